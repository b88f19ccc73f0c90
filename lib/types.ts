/** Public types shared across the library. Names follow the README's API section (test/readme-api.test.ts runs its examples). */

export type DistributionName = 'gaussian' | 'logistic' | 'gumbel' | 'cauchy' | 'laplace' | 'triangular';
export type SamplerName = 'mc' | 'qmc-latin' | 'rqmc-latin' | 'rqmc-cartesian' | 'sobol' | 'rqmc-sobol';
export type CovariateName = 'none' | 'fx' | 'loo';
export type BackendName = 'js' | 'cpu' | 'cuda';

/** A noise distribution with location 0 and scale 1 (a product of these is the noise on R^n). */
export interface Distribution {
  readonly name: string;
  /** True when the density is even: antithetic pairs (u, 1-u) are then (ε, -ε). */
  readonly symmetric: boolean;
  pdf(e: number): number;
  cdf(e: number): number;
  /** F⁻¹(u). `u` is clipped to [U_CLIP, 1 - U_CLIP] first. */
  icdf(u: number): number;
  /** s(ε) = -d/dε log μ(ε), 0 on kinks. */
  score(e: number): number;
  /** s(F⁻¹(u)), computed directly from u (cheaper and safer in the tails). */
  scoreFromU(u: number): number;
}

/** The minimum a user-supplied distribution must provide (runs on the js backend only). */
export interface CustomDistribution {
  readonly name: string;
  readonly symmetric: boolean;
  icdf(u: number): number;
  scoreFromU(u: number): number;
}

/**
 * A black box f: R^n -> R^m, evaluated on `count` rows at once (row-major count×n -> count×m).
 * `batchIndex`, when given, holds for each input row the index b of the batch element it perturbs;
 * loss-smoothing black boxes use it to look up per-example targets.
 */
export interface BlackBox {
  readonly name: string;
  readonly inputSize: number;
  readonly outputSize: number;
  evaluate(inputs: Float32Array, count: number, outputs: Float32Array, batchIndex?: Uint32Array): void | Promise<void>;
  /** Optional: the box's output maximises a linear objective of its input (fenchelYoungLoss, perturbedMax). */
  readonly maximizer?: LinearMaximizer;
}

/**
 * Declares that a black box is a linear maximiser: its output y = f(θ) maximises ⟨φ(y), θ⟩ over a finite set,
 * with φ linear. `statistic(y, out)` writes φ(y) (n numbers) into out. See README "Fenchel–Young loss".
 */
export interface LinearMaximizer {
  statistic(output: Float32Array, out: Float32Array): void;
}

/** `vjp(v, { stderr: true })`: the VJP (B×n) and the standard error of each entry, from the same samples. */
export interface VjpWithStderr {
  readonly gradient: Float32Array;
  readonly stderr: Float32Array;
}
/** `jacobian({ stderr: true })`: B×m×n and the standard error of each entry. */
export interface JacobianWithStderr {
  readonly jacobian: Float32Array;
  readonly stderr: Float32Array;
}
/** `jvp(t, { stderr: true })`: B×m and the standard error of each entry. */
export interface JvpWithStderr {
  readonly jvp: Float32Array;
  readonly stderr: Float32Array;
}
/** `scaleGradient(v, { stderr: true })`: B, B×n or B×n×n and the standard error of each entry. */
export interface ScaleGradientWithStderr {
  readonly scaleGradient: Float32Array;
  readonly stderr: Float32Array;
}
