#!/usr/bin/env bash
# Build the libFuzzer targets with clang (libFuzzer + ASan + UBSan) into build-fuzz/ and run each for SECONDS
# (default 60). Exit status non-zero when a target finds a failure; its reproducer is left in build-fuzz/.
# Usage: fuzz/run.sh [SECONDS]   (needs clang++: apt-get install -y clang)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=build-fuzz
mkdir -p "$out"
flags=(-std=c++17 -O1 -g -ffp-contract=off -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -Inative -Inative/core -Inative/engine -Inative/cpu -Ifuzz)
clang++ "${flags[@]}" fuzz/plan_fuzz.cc native/engine/job.cc native/cpu/engine.cc -o "$out/plan_fuzz" -lpthread
clang++ "${flags[@]}" fuzz/sampler_fuzz.cc -o "$out/sampler_fuzz"
status=0
for target in plan_fuzz sampler_fuzz; do
  mkdir -p "$out/corpus-$target"
  # Every input that once found a fault (fuzz/regressions/<target>/) replays first, whatever the time budget.
  if compgen -G "fuzz/regressions/$target/*" >/dev/null; then
    echo "== fuzz: $target replays fuzz/regressions/$target/"
    if ! "$out/$target" fuzz/regressions/"$target"/* 2>"$out/$target-regressions.log"; then
      grep -E "^==[0-9]+==ERROR|^SUMMARY|^Running" "$out/$target-regressions.log" || true
      status=1
    fi
  fi
  echo "== fuzz: $target for ${seconds} s"
  if ! "$out/$target" -max_total_time="$seconds" -max_len=512 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/$target-" "$out/corpus-$target" 2>"$out/$target.log"; then
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^==[0-9]+==ERROR|^SUMMARY|Test unit written|deadly signal" "$out/$target.log" || true
done
exit $status
