#!/bin/sh
# Resource usage of every kernel (registers, stack, spills, shared memory) as ptxas reports it with -v, for
# each architecture of the build, with CMake's CUDA flags. Writes build-cmake/Release/ptxas-usage.txt (carried to
# the GPU machine, where check-gpu.mjs prints it) or the file named by $1. Needs nvcc, not a GPU.
#   sh cuda/ptxas-usage.sh [OUT]        ARCHS="80 90" by default; CURAND_INCLUDE_DIR as for the build
set -eu
cd "$(dirname "$0")/.."
out=${1:-build-cmake/Release/ptxas-usage.txt}
archs=${ARCHS:-"80 90"}
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
defs="-DSS_NO_CURAND"
inc=""
if [ -n "${CURAND_INCLUDE_DIR:-}" ] && [ -f "$CURAND_INCLUDE_DIR/curand_kernel.h" ]; then
  defs="-DSS_HAVE_CURAND"
  inc="-I$CURAND_INCLUDE_DIR"
fi
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
{
  echo "# ptxas -v, nvcc $("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'), -O3 --fmad=false $defs"
  for arch in $archs; do
    for src in cuda/kernels/fused_sort.cu cuda/kernels/fused_path.cu cuda/kernels/stream_kernels.cu; do
      "$nvcc" -std=c++17 -O3 --fmad=false -arch=sm_$arch -cubin -Xptxas -v $defs $inc -Inative/core -Inative/engine -Icuda \
        -o "$tmp/k.cubin" "$src" 2>&1 |
        sed -n 's/^ptxas info *: Function properties for \(.*\)$/\1/p; s/^ptxas info *: Used \(.*\)$/    used \1/p; s/^ *\([0-9]* bytes stack frame.*\)$/    \1/p' |
        c++filt | sed "s/^\([^ ]\)/sm_$arch  \1/"
    done
  done
} > "$out"
rm -rf "$tmp"
echo "wrote $out"
