// A test oracle for the warp path's changed-cell frontier (cuda/block/warp_relax.h), written independently of
// it: full Jacobi sweeps (relax_cell on EVERY cell, two buffers) that also record which cells had a neighbour
// change in the previous sweep. It checks the claim the warp path rests on (a cell none of whose neighbours
// changed keeps its label) and counts the work the warp path should do: the frontier cells relaxed and the
// 32-cell words with at least one of them. cuda_host_test uses it on many grids and for the performance
// model's figures; cuda_simt_test compares the device code's own counts with it.
#pragma once
#include <cstdint>
#include <vector>

#include "block/grid_relax.h"

namespace ss {
namespace test {

struct FrontierRun {
  std::vector<double> dist;    // final labels
  std::vector<int32_t> hops;
  uint32_t sweeps = 0;         // sweeps that changed a label
  bool converged = true;
  uint32_t relaxed = 0;        // frontier cells summed over sweeps (the first sweep: every cell)
  uint32_t word_passes = 0;    // words j (cells 32j..32j+31) with a frontier cell, summed over sweeps
  uint32_t packed_passes = 0;  // ⌈frontier / 32⌉ summed over sweeps: warp passes if the frontier were compacted
  uint32_t skipped_changes = 0;  // cells outside the frontier whose label changed: must stay 0
};

inline FrontierRun frontier_model(const double* cost, uint32_t rows, uint32_t cols, uint32_t max_sweeps) {
  const uint32_t N = rows * cols;
  std::vector<double> dist[2] = {std::vector<double>(N), std::vector<double>(N)};
  std::vector<int32_t> hops[2] = {std::vector<int32_t>(N), std::vector<int32_t>(N)};
  for (uint32_t v = 0; v < N; v++) gpu::relax_init(cost, v, dist[0][v], hops[0][v]);
  std::vector<uint8_t> changed(N, 1), frontier(N);  // before the first sweep every cell counts as changed
  FrontierRun run;
  uint32_t cur = 0;
  for (;;) {
    for (uint32_t v = 0; v < N; v++) {
      const int64_t r = v / cols, c = v % cols;
      uint8_t f = 0;
      for (int64_t dr = -1; dr <= 1; dr++)
        for (int64_t dc = -1; dc <= 1; dc++) {
          const int64_t rr = r + dr, cc = c + dc;
          if ((dr || dc) && rr >= 0 && rr < rows && cc >= 0 && cc < cols) f |= changed[rr * cols + cc];
        }
      frontier[v] = f;
    }
    bool any = false;
    uint32_t size = 0;
    for (uint32_t v = 0; v < N; v++) size += frontier[v];
    run.packed_passes += (size + 31) / 32;
    for (uint32_t v = 0; v < N; v++) {
      double nd;
      int32_t nh;
      gpu::relax_cell(dist[cur].data(), hops[cur].data(), cost, rows, cols, v, nd, nh);
      changed[v] = nd != dist[cur][v] || nh != hops[cur][v];
      any |= changed[v] != 0;
      run.skipped_changes += changed[v] && !frontier[v];
      run.relaxed += frontier[v];
      dist[cur ^ 1][v] = nd;
      hops[cur ^ 1][v] = nh;
    }
    for (uint32_t j = 0; 32 * j < N; j++) {
      bool busy = false;
      for (uint32_t v = 32 * j; v < N && v < 32 * j + 32; v++) busy |= frontier[v] != 0;
      run.word_passes += busy;
    }
    cur ^= 1;
    if (!any) break;
    if (++run.sweeps > max_sweeps) {
      run.converged = false;
      break;
    }
  }
  run.dist = dist[cur];
  run.hops = hops[cur];
  return run;
}

}  // namespace test
}  // namespace ss
