/**
 * The js backend's noise for the shared chunk loop (lib/backends/chunk-loop.ts): for each batch element b, in chunks of
 * samples, generate u → ε = F⁻¹(u), s = score(u) → z = x_b + Lε; the loop evaluates f and this hands the chunk
 * to a visitor. Memory is O(chunk · (n + m)) whatever S is; nothing of size S survives a chunk.
 */
import { clipU } from '../../distributions.js';
import { medianOfDistribution } from '../../median.js';
import type { DistributionName } from '../../types.js';
import { SmoothingError } from '../../errors.js';
import type { Plan, RunControl } from '../../plan.js';
import type { Task } from '../../task.js';
import { createSampler } from '../../samplers.js';
import { perturb } from '../../scale.js';
import { chunkRows, runChunks, type CacheUse } from '../chunk-loop.js';

export interface ChunkVisitor {
  /** Called once per batch element before its first chunk. */
  begin?(b: number): void;
  /** eps and score are count×n (double), outputs count×m (float32). */
  chunk(b: number, count: number, eps: Float64Array, score: Float64Array, outputs: Float32Array): void;
  /** Called once per batch element after its last chunk. */
  end?(b: number): void;
}

export function* streamSamples(plan: Plan, x: Float32Array, batch: number, seed: number, phase: string, control: RunControl, visitor: ChunkVisitor, cache?: CacheUse): Task<void> {
  const { n } = plan;
  // Median-of-k noise: the built-in distribution's median-of-k version (smooth() allows it for built-ins only).
  const distribution = plan.medianOf > 1 ? medianOfDistribution(plan.distribution.name as DistributionName, plan.medianOf) : plan.distribution;
  const source = createSampler({ sampler: plan.sampler, samples: plan.samples, dims: n, seed, antithetic: plan.antithetic });
  const chunk = chunkRows(plan);
  const u = new Float64Array(chunk * n);
  const eps = new Float64Array(chunk * n);
  const score = new Float64Array(chunk * n);
  const custom = !plan.builtinDistribution;
  yield* runChunks(plan, batch, phase, control, {
    begin: (b) => visitor.begin?.(b),
    fill(b, start, count, inputs) {
      source.fill(b, start, count, u);
      for (let k = 0; k < count * n; k++) {
        const uk = clipU(u[k]);
        eps[k] = distribution.icdf(uk);
        score[k] = distribution.scoreFromU(uk);
      }
      if (custom) checkCustomNoise(plan, eps, score, count * n);
      for (let i = 0; i < count; i++) perturb(plan.scale, x, b * n, eps, i * n, inputs, i * n);
    },
    take: (b, count, outputs) => visitor.chunk(b, count, eps, score, outputs),
    end: (b) => visitor.end?.(b),
  }, cache);
}

function checkCustomNoise(plan: Plan, eps: Float64Array, score: Float64Array, len: number): void {
  for (let k = 0; k < len; k++) {
    if (!Number.isFinite(eps[k]) || !Number.isFinite(score[k])) {
      throw new SmoothingError('ERR_INVALID_ARGUMENT', `the custom distribution '${plan.distribution.name}' returned a non-finite icdf or scoreFromU (${eps[k]}, ${score[k]}).`, {
        argument: 'options.distribution',
        value: plan.distribution.name,
        fix: 'make icdf(u) and scoreFromU(u) finite for every u in [2^-33, 1 - 2^-33]',
      });
    }
  }
}
