// Fused kernels of the sorting boxes (permutation, ranks, top-k): see fused_kernel.cuh, fused_launch.cuh and cuda/tile/.
#include "kernels/fused_launch.cuh"

namespace ss {
namespace gpu {

FusedLauncher fused_launcher_permutation() { return make_fused_launcher<BOX_PERMUTATION>(); }
FusedLauncher fused_launcher_ranks() { return make_fused_launcher<BOX_RANKS>(); }
FusedLauncher fused_launcher_topk() { return make_fused_launcher<BOX_TOPK>(); }

}  // namespace gpu
}  // namespace ss
