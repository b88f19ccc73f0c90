/**
 * The noise scale: z = x + L ε with L = γ I (scalar), diag(σ) (diagonal) or a full invertible matrix.
 * All scale-dependent factors of the estimator live here (docs/method.md §1 and pitfall 5):
 *   J = E[(f − β) sᵀ] L⁻¹                      (x-Jacobian; for diagonal L column j is divided by σ_j)
 *   ∂/∂σ_j = (1/σ_j) E[g (s_j ε_j − 1)]          (diagonal; the scalar gradient is the sum over j)
 *   ∇_L = L⁻ᵀ E[g (s εᵀ − I)]                   (matrix; the −I comes from log|det L|)
 */
import { invalid } from './errors.js';
import { MAX_ELEMENTS } from './limits.js';
import { copyFloat64Array, typedArrayKind } from './validate.js';

export type ScaleOption = number | Float32Array | { matrix: Float32Array };

export interface Scale {
  readonly kind: 'scalar' | 'diagonal' | 'matrix';
  readonly n: number;
  /** Per-coordinate σ (scalar: all equal to γ); undefined for a full matrix. */
  readonly sigma?: Float64Array;
  /** L row-major (matrix only). */
  readonly matrix?: Float64Array;
  /** L⁻¹ row-major (matrix only). */
  readonly inverse?: Float64Array;
}

export function resolveScale(value: unknown, n: number, argument = 'options.scale'): Scale {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) {
      throw invalid(argument, value, 'the scale γ must be a finite number > 0.', 'pass a positive number such as 0.1 (the noise standard deviation for gaussian)');
    }
    return { kind: 'scalar', n, sigma: new Float64Array(n).fill(value) };
  }
  // Typed arrays are copied through their internal slots (a redefined `length` or iterator is ignored), once.
  const sigma = copyFloat64Array(value, argument);
  if (sigma !== undefined) {
    if (sigma.length !== n) {
      throw invalid(argument, value, `a diagonal scale needs one σ per input coordinate: length ${n}, got ${sigma.length}.`, `pass a Float32Array of length ${n}, or a single number`);
    }
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(sigma[j]) || sigma[j] <= 0) {
        throw invalid(`${argument}[${j}]`, sigma[j], 'every diagonal scale σ_j must be finite and > 0.', 'replace zero or negative entries by a small positive σ');
      }
    }
    return { kind: 'diagonal', n, sigma };
  }
  if (typeof value === 'object' && value !== null && typedArrayKind(value) === undefined && Object.hasOwn(value, 'matrix')) {
    // The one key is read once, from the object itself (nothing inherited).
    const given = (value as { matrix: unknown }).matrix;
    if (n * n > MAX_ELEMENTS) {
      throw invalid(`${argument}.matrix`, n, `a matrix scale has n×n = ${n * n} entries for n = ${n}, above the limit ${MAX_ELEMENTS} (README "Limits": n ≤ 46340).`, 'use a scalar or diagonal scale for this many inputs');
    }
    const matrix = copyFloat64Array(given, `${argument}.matrix`);
    if (matrix === undefined || matrix.length !== n * n) {
      throw invalid(`${argument}.matrix`, given, `the scale matrix L must be a Float32Array of n×n = ${n * n} numbers (row-major).`, `pass { matrix: new Float32Array(${n * n}) } filled row by row`);
    }
    for (let i = 0; i < matrix.length; i++) {
      if (!Number.isFinite(matrix[i])) throw invalid(`${argument}.matrix[${i}]`, matrix[i], 'the scale matrix must be finite.', 'remove NaN/Infinity entries');
    }
    const inverse = invertMatrix(matrix, n);
    if (inverse === undefined) {
      throw invalid(`${argument}.matrix`, given, 'the scale matrix L is singular (or numerically singular: condition number above 1e12); the estimator needs L⁻¹.', 'pass an invertible L, e.g. a lower-triangular Cholesky factor with a positive diagonal');
    }
    return { kind: 'matrix', n, matrix, inverse };
  }
  throw invalid(argument, value, 'the scale must be a number (γ), a Float32Array of n σ_j, or { matrix: Float32Array(n×n) }.', 'pass for example scale: 0.5');
}

/**
 * Gauss–Jordan inversion with partial pivoting in double. Returns undefined when L is singular or its
 * 1-norm condition number exceeds 1e12 (the gradient would then be noise amplified beyond float precision).
 */
export function invertMatrix(a: Float64Array, n: number): Float64Array | undefined {
  const w = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(w[r * n + col]) > Math.abs(w[pivot * n + col])) pivot = r;
    const p = w[pivot * n + col];
    if (p === 0 || !Number.isFinite(p)) return undefined;
    if (pivot !== col) {
      for (let c = 0; c < n; c++) {
        [w[col * n + c], w[pivot * n + c]] = [w[pivot * n + c], w[col * n + c]];
        [inv[col * n + c], inv[pivot * n + c]] = [inv[pivot * n + c], inv[col * n + c]];
      }
    }
    for (let c = 0; c < n; c++) {
      w[col * n + c] /= p;
      inv[col * n + c] /= p;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = w[r * n + col];
      if (factor === 0) continue;
      for (let c = 0; c < n; c++) {
        w[r * n + c] -= factor * w[col * n + c];
        inv[r * n + c] -= factor * inv[col * n + c];
      }
    }
  }
  const cond = norm1(a, n) * norm1(inv, n);
  return Number.isFinite(cond) && cond <= 1e12 ? inv : undefined;
}

function norm1(a: Float64Array, n: number): number {
  let best = 0;
  for (let c = 0; c < n; c++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += Math.abs(a[r * n + c]);
    best = Math.max(best, s);
  }
  return best;
}

/** z = x + L ε for one sample (x float32 row, ε double), written as float32 for the black box. */
export function perturb(scale: Scale, x: Float32Array, xOffset: number, eps: Float64Array, epsOffset: number, out: Float32Array, outOffset: number): void {
  const n = scale.n;
  if (scale.sigma) {
    const sigma = scale.sigma;
    for (let j = 0; j < n; j++) out[outOffset + j] = x[xOffset + j] + sigma[j] * eps[epsOffset + j];
    return;
  }
  const L = scale.matrix!;
  for (let r = 0; r < n; r++) {
    let acc = 0;
    for (let c = 0; c < n; c++) acc += L[r * n + c] * eps[epsOffset + c];
    out[outOffset + r] = x[xOffset + r] + acc;
  }
}

/** Row vector w (length n, E[g sᵀ]) times L⁻¹, in place into out: the x-gradient from score sums. */
export function applyInverseRight(scale: Scale, w: Float64Array, wOffset: number, out: Float64Array, outOffset: number): void {
  const n = scale.n;
  if (scale.sigma) {
    for (let j = 0; j < n; j++) out[outOffset + j] = w[wOffset + j] / scale.sigma[j];
    return;
  }
  const inv = scale.inverse!;
  for (let c = 0; c < n; c++) {
    let acc = 0;
    for (let k = 0; k < n; k++) acc += w[wOffset + k] * inv[k * n + c];
    out[outOffset + c] = acc;
  }
}

/** L⁻¹ t for a tangent t (column vector), used by the jvp: J t = E[(f − β) sᵀ (L⁻¹ t)]. */
export function applyInverseLeft(scale: Scale, t: Float32Array, tOffset: number, out: Float64Array): void {
  const n = scale.n;
  if (scale.sigma) {
    for (let j = 0; j < n; j++) out[j] = t[tOffset + j] / scale.sigma[j];
    return;
  }
  const inv = scale.inverse!;
  for (let r = 0; r < n; r++) {
    let acc = 0;
    for (let c = 0; c < n; c++) acc += inv[r * n + c] * t[tOffset + c];
    out[r] = acc;
  }
}

/** Size of the per-sample scale statistic h: n for scalar/diagonal (s_j ε_j − 1), n×n for a matrix (s εᵀ − I). */
export function scaleStatisticSize(scale: Scale): number {
  return scale.kind === 'matrix' ? scale.n * scale.n : scale.n;
}

export function scaleStatistic(scale: Scale, s: Float64Array, eps: Float64Array, offset: number, out: Float64Array): void {
  const n = scale.n;
  if (scale.kind !== 'matrix') {
    for (let j = 0; j < n; j++) out[j] = s[offset + j] * eps[offset + j] - 1;
    return;
  }
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) out[r * n + c] = s[offset + r] * eps[offset + c] - (r === c ? 1 : 0);
  }
}

/**
 * Turn E[g h] (h from scaleStatistic) into the scale gradient: scalar → Σ_j E[g(s_jε_j−1)]/γ (one number),
 * diagonal → E[g(s_jε_j−1)]/σ_j (n numbers), matrix → L⁻ᵀ E[g(sεᵀ−I)] (n×n numbers).
 */
export function finishScaleGradient(scale: Scale, mean: Float64Array, out: Float32Array | Float64Array, outOffset: number): void {
  const n = scale.n;
  if (scale.kind === 'scalar') {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += mean[j];
    out[outOffset] = acc / scale.sigma![0];
    return;
  }
  if (scale.kind === 'diagonal') {
    for (let j = 0; j < n; j++) out[outOffset + j] = mean[j] / scale.sigma![j];
    return;
  }
  const inv = scale.inverse!;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += inv[k * n + r] * mean[k * n + c]; // (L⁻ᵀ)_{rk} = (L⁻¹)_{kr}
      out[outOffset + r * n + c] = acc;
    }
  }
}

export function scaleGradientSize(scale: Scale): number {
  return scale.kind === 'scalar' ? 1 : scale.kind === 'diagonal' ? scale.n : scale.n * scale.n;
}
