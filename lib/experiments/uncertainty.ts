/**
 * Standard errors of the studies' error metrics, and the rule that says when a difference between two of them
 * is resolved. One place for both, so that every table, chart and summary reads the same way.
 *
 * A cell's MSE is the mean of I·R per-estimate squared errors e_ir (input i, repeat r): the repeats are
 * independent draws, the inputs a fixed design. Its standard error is the stratified one,
 * SE² = (1/I²) Σ_i s_i²/R with s_i² the sample variance of e_i1 … e_iR (R ≥ 2); with R = 1 the inputs are taken as
 * independent draws (s² over all of them, divided by I). RMSE = √MSE carries SE(MSE)/(2·RMSE) (delta method).
 */

/** Sum and sample variance of a metric over the repeats of each input. */
export interface ErrorEstimate {
  /** Mean over inputs and repeats. */
  mean: number;
  /** Its standard error (see the file comment); NaN when it cannot be estimated (one estimate in all). */
  se: number;
}

/** Mean and stratified standard error of values laid out as inputs × R (row i·R + r). */
export function stratifiedMean(values: ArrayLike<number>, inputs: number, R: number): ErrorEstimate {
  const N = inputs * R;
  let total = 0;
  for (let k = 0; k < N; k++) total += values[k];
  const mean = total / N;
  if (R >= 2) {
    let varSum = 0;
    for (let i = 0; i < inputs; i++) {
      let m = 0;
      for (let r = 0; r < R; r++) m += values[i * R + r] / R;
      let ss = 0;
      for (let r = 0; r < R; r++) ss += (values[i * R + r] - m) ** 2;
      varSum += ss / (R - 1) / R;
    }
    return { mean, se: Math.sqrt(varSum) / inputs };
  }
  if (N < 2) return { mean, se: Number.NaN };
  let ss = 0;
  for (let k = 0; k < N; k++) ss += (values[k] - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (N - 1) / N) };
}

/**
 * MSE per entry of R repeated Jacobian estimates (rows i·R + r of jac, m×n each) against the reference of
 * input i, and of the VJPs with the fixed v_i (vᵀĴ from the same samples), each with its standard error.
 */
export function errorStatistics(
  jac: Float32Array,
  ref: Float32Array,
  v: Float32Array,
  inputs: number,
  R: number,
  m: number,
  n: number,
): { jacobian: ErrorEstimate; vjp: ErrorEstimate } {
  const mn = m * n;
  const jacErr = new Float64Array(inputs * R);
  const vjpErr = new Float64Array(inputs * R);
  for (let i = 0; i < inputs; i++) {
    const J = ref.subarray(i * mn, (i + 1) * mn);
    const vi = v.subarray(i * m, (i + 1) * m);
    for (let r = 0; r < R; r++) {
      const E = jac.subarray((i * R + r) * mn, (i * R + r + 1) * mn);
      let sj = 0;
      for (let k = 0; k < mn; k++) sj += (E[k] - J[k]) ** 2;
      let sv = 0;
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let k = 0; k < m; k++) d += vi[k] * (E[k * n + j] - J[k * n + j]);
        sv += d * d;
      }
      jacErr[i * R + r] = sj / mn;
      vjpErr[i * R + r] = sv / n;
    }
  }
  return { jacobian: stratifiedMean(jacErr, inputs, R), vjp: stratifiedMean(vjpErr, inputs, R) };
}

/** The standard error of √MSE from that of the MSE (delta method). */
export function rmseStderr(mse: number, mseSe: number): number {
  return mse > 0 ? mseSe / (2 * Math.sqrt(mse)) : Number.NaN;
}

/**
 * How many combined standard errors a difference must exceed to count as resolved: 2 (about 95 % two-sided for
 * a normal difference). Stated in every summary that uses it.
 */
export const RESOLVE_Z = 2;

/** True when a and b differ by more than RESOLVE_Z combined standard errors (a missing SE never resolves). */
export function resolved(a: number, seA: number | undefined, b: number, seB: number | undefined): boolean {
  if (seA === undefined || seB === undefined || !Number.isFinite(seA) || !Number.isFinite(seB)) return false;
  return Math.abs(a - b) > RESOLVE_Z * Math.sqrt(seA * seA + seB * seB);
}

/** `1.23e-3 ± 4.5e-5`, or the value alone when there is no standard error. */
export function withStderr(value: number, se: number | undefined, digits = 2): string {
  const v = value.toExponential(digits);
  return se === undefined || !Number.isFinite(se) ? v : `${v} ± ${se.toExponential(1)}`;
}
