// Fused kernels of argmax (warp-wide key minimum) and the grid shortest path (Jacobi relaxation, cuda/block/grid_relax.h).
#include "kernels/fused_launch.cuh"

namespace ss {
namespace gpu {

FusedLauncher fused_launcher_argmax() { return make_fused_launcher<BOX_ARGMAX>(); }
FusedLauncher fused_launcher_path() { return make_fused_launcher<BOX_SHORTEST_PATH>(); }

}  // namespace gpu
}  // namespace ss
