/**
 * The estimator benchmark of paper §4.1 (docs/method.md §5): settings, strategies, feasibility and inputs.
 * A strategy is sampler × covariate × antithetic; a cell is (setting, distribution, strategy).
 */
import { blackboxes } from '../blackboxes/index.js';
import { DISTRIBUTION_NAMES, normalIcdf } from '../distributions.js';
import { philoxUniform } from '../random/philox.js';
import type { BlackBox, CovariateName, DistributionName, SamplerName } from '../types.js';

export interface Setting {
  readonly id: string;
  readonly title: string;
  readonly make: () => BlackBox;
  readonly n: number;
}

export const SETTINGS: readonly Setting[] = [
  { id: 'permutation3', title: 'permutation(3)', make: () => blackboxes.permutation(3), n: 3 },
  { id: 'permutation5', title: 'permutation(5)', make: () => blackboxes.permutation(5), n: 5 },
  { id: 'shortestPath8', title: 'shortestPath(8, 8)', make: () => blackboxes.shortestPath(8, 8), n: 64 },
  { id: 'shortestPath12', title: 'shortestPath(12, 12)', make: () => blackboxes.shortestPath(12, 12), n: 144 },
];

export interface Strategy {
  readonly id: string;
  readonly sampler: SamplerName;
  readonly covariate: CovariateName;
  readonly antithetic: boolean;
  /** The paper's 24 strategies, or one of ours (rqmc-sobol). */
  readonly paper: boolean;
}

const PAPER_SAMPLERS: SamplerName[] = ['mc', 'qmc-latin', 'rqmc-latin', 'rqmc-cartesian'];
const COVARIATES: CovariateName[] = ['none', 'fx', 'loo'];

export const STRATEGIES: readonly Strategy[] = [...PAPER_SAMPLERS, 'rqmc-sobol' as SamplerName].flatMap((sampler) =>
  [false, true].flatMap((antithetic) =>
    COVARIATES.map((covariate) => ({
      id: `${sampler}/${covariate}${antithetic ? '/anti' : ''}`,
      sampler,
      covariate,
      antithetic,
      paper: sampler !== 'rqmc-sobol',
    })),
  ),
);

export const DISTRIBUTIONS: readonly DistributionName[] = DISTRIBUTION_NAMES;

/** The Cartesian grid side for about S samples in n dimensions: the k ≥ 2 whose k^n is nearest to S. */
export function cartesianSide(samples: number, n: number): number {
  const k = Math.max(2, Math.round(samples ** (1 / n)));
  return k;
}

export interface Feasibility {
  feasible: boolean;
  /** The sample count this cell uses (k^n for Cartesian). */
  samples: number;
  reason?: string;
}

/** Which cells exist: Gumbel has no antithetic; Cartesian needs S = k^n near S (and even k for antithetic). */
export function feasibility(setting: Setting, distribution: DistributionName, strategy: Strategy, samples: number): Feasibility {
  if (strategy.antithetic && distribution === 'gumbel') return { feasible: false, samples, reason: 'gumbel is asymmetric: no antithetic pairs' };
  if (strategy.sampler !== 'rqmc-cartesian') return { feasible: true, samples };
  const k = cartesianSide(samples, setting.n);
  const cells = k ** setting.n;
  if (!Number.isSafeInteger(cells) || cells > 4 * samples) {
    return { feasible: false, samples, reason: `no k^${setting.n} grid near ${samples} samples (2^${setting.n} cells at least)` };
  }
  if (strategy.antithetic && k % 2 === 1) return { feasible: false, samples: cells, reason: `antithetic needs an even grid side (k = ${k})` };
  return { feasible: true, samples: cells };
}

/**
 * Seeded inputs, documented in the README: scores x_i ~ N(0, 1) for the permutations; cell costs uniform in
 * [0.5, 1.5) for the grids. Drawn from Philox stream 0 with key 20241011 (input b, coordinate d), so they are
 * the same on every machine.
 */
export function makeInputs(setting: Setting, count: number): Float32Array {
  const x = new Float32Array(count * setting.n);
  for (let b = 0; b < count; b++) {
    for (let d = 0; d < setting.n; d++) {
      const u = philoxUniform(20241011, 0, b, 0, d);
      x[b * setting.n + d] = setting.id.startsWith('shortest') ? 0.5 + u : normalIcdf(u);
    }
  }
  return x;
}

/** The fixed upstream gradient v of the VJP metric: v_k ~ N(0, 1) from Philox key 20241012. */
export function makeDirections(m: number, count: number): Float32Array {
  const v = new Float32Array(count * m);
  for (let b = 0; b < count; b++) for (let k = 0; k < m; k++) v[b * m + k] = normalIcdf(philoxUniform(20241012, 0, b, 0, k));
  return v;
}

/** Each of the `inputs` rows of x repeated R times: the repeats draw independent noise (one batch row each). */
export function repeatRows(x: Float32Array, inputs: number, R: number, n: number): Float32Array {
  const rows = new Float32Array(inputs * R * n);
  for (let i = 0; i < inputs; i++) for (let r = 0; r < R; r++) rows.set(x.subarray(i * n, (i + 1) * n), (i * R + r) * n);
  return rows;
}

/**
 * Sums of squared errors of R repeated Jacobian estimates (rows i·R + r) against the reference of input i, and of
 * the VJPs with the fixed v: the VJP from the same samples is exactly vᵀĴ (checked in the tests), so no extra pass.
 */
export function squaredErrors(jac: Float32Array, ref: Float32Array, v: Float32Array, inputs: number, R: number, m: number, n: number): { jacobian: number; vjp: number } {
  let jacobian = 0;
  let vjp = 0;
  const mn = m * n;
  for (let i = 0; i < inputs; i++) {
    const J = ref.subarray(i * mn, (i + 1) * mn);
    const vi = v.subarray(i * m, (i + 1) * m);
    for (let r = 0; r < R; r++) {
      const E = jac.subarray((i * R + r) * mn, (i * R + r + 1) * mn);
      for (let k = 0; k < mn; k++) jacobian += (E[k] - J[k]) ** 2;
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let k = 0; k < m; k++) d += vi[k] * (E[k * n + j] - J[k * n + j]);
        vjp += d * d;
      }
    }
  }
  return { jacobian, vjp };
}
