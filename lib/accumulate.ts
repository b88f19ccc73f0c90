/**
 * The estimator's streaming sums (one place for this math; native/core mirrors it).
 *
 * Every gradient-like estimate has the form (1/S) Σ_i (g_i − β_i) h_iᵀ for a per-sample output g_i
 * (the outputs f_i, or ⟨v, f_i⟩) and a per-sample statistic h_i (the score s_i, or s_iᵀL⁻¹t, or the scale
 * statistic). Keeping A = Σ g hᵀ, a = Σ g and c = Σ h is enough for every covariate (docs/method.md §3):
 *   none: A / S
 *   fx:   (A − f(x) cᵀ) / S
 *   loo:  S/(S−1) · (A − S ḡ h̄ᵀ) / S  =  (A − a cᵀ / S) / (S − 1)
 * The loo form cancels heavily at large S, so all sums are kept in double.
 */
import type { CovariateName } from './types.js';

export class CrossSums {
  readonly A: Float64Array;
  readonly a: Float64Array;
  readonly c: Float64Array;
  count = 0;

  constructor(readonly p: number, readonly q: number) {
    this.A = new Float64Array(p * q);
    this.a = new Float64Array(p);
    this.c = new Float64Array(q);
  }

  add(g: ArrayLike<number>, gOffset: number, h: ArrayLike<number>, hOffset: number): void {
    const { p, q, A, a, c } = this;
    for (let k = 0; k < q; k++) c[k] += h[hOffset + k];
    for (let r = 0; r < p; r++) {
      const gr = g[gOffset + r];
      a[r] += gr;
      if (gr === 0) continue; // 0/1 outputs: most rows are zero, skip them
      const row = r * q;
      for (let k = 0; k < q; k++) A[row + k] += gr * h[hOffset + k];
    }
    this.count++;
  }

  /** The covariate-corrected mean (1/S) Σ (g − β) hᵀ, p×q row-major, into out. */
  finish(covariate: CovariateName, fx: ArrayLike<number> | undefined, out: Float64Array): void {
    const { p, q, A, a, c, count: S } = this;
    for (let r = 0; r < p; r++) {
      for (let k = 0; k < q; k++) {
        const i = r * q + k;
        if (covariate === 'none') out[i] = A[i] / S;
        else if (covariate === 'fx') out[i] = (A[i] - fx![r] * c[k]) / S;
        else out[i] = (A[i] - (a[r] * c[k]) / S) / (S - 1);
      }
    }
  }
}

/**
 * Mean and standard error of the outputs. Sums are shifted by the first sample's output K, which removes
 * the cancellation of Σf² − S f̄² when outputs sit far from zero.
 */
export class MomentSums {
  readonly shift: Float64Array;
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;
  count = 0;

  constructor(readonly m: number) {
    this.shift = new Float64Array(m);
    this.sum = new Float64Array(m);
    this.sumSq = new Float64Array(m);
  }

  add(f: ArrayLike<number>, offset: number): void {
    const { m, shift, sum, sumSq } = this;
    if (this.count === 0) for (let k = 0; k < m; k++) shift[k] = f[offset + k];
    for (let k = 0; k < m; k++) {
      const d = f[offset + k] - shift[k];
      sum[k] += d;
      sumSq[k] += d * d;
    }
    this.count++;
  }

  /** value = f̄; stderr = sqrt(sample variance / S) (the i.i.d. formula; an indicator only for QMC samplers). */
  finish(value: Float32Array, stderr: Float32Array, offset: number): void {
    const S = this.count;
    for (let k = 0; k < this.m; k++) {
      const meanShifted = this.sum[k] / S;
      value[offset + k] = this.shift[k] + meanShifted;
      const variance = S > 1 ? Math.max(0, (this.sumSq[k] - S * meanShifted * meanShifted) / (S - 1)) : 0;
      stderr[offset + k] = Math.sqrt(variance / S);
    }
  }
}

/**
 * The standard error of an estimate (1/S) Σ (g − β) wᵀ, element by element, from the same samples
 * (docs/method.md §3, "Standard errors"). w is the per-sample statistic after the estimate's final linear map
 * (L⁻¹, or the scale gradient's map), so that each output element is a plain mean of (g_r − β_r) w_e.
 * Kept only when asked: Q = Σ g² w² and P = Σ g w² (p×q), R = Σ w² (q), next to the cross sums of w.
 * β is f(x) for 'fx' and ḡ for 'loo' (treated as fixed: the leave-one-out correction to the variance is
 * O(1/S²)); the loo estimate carries the factor S/(S−1), so its standard error does too.
 * native/core/accumulate.h (square_add, square_merge, square_finish) mirrors this class operation for operation:
 * change both together.
 */
export class SquareSums {
  readonly cross: CrossSums;
  readonly Q: Float64Array;
  readonly P: Float64Array;
  readonly R: Float64Array;

  constructor(readonly p: number, readonly q: number) {
    this.cross = new CrossSums(p, q);
    this.Q = new Float64Array(p * q);
    this.P = new Float64Array(p * q);
    this.R = new Float64Array(q);
  }

  add(g: ArrayLike<number>, gOffset: number, w: ArrayLike<number>, wOffset: number): void {
    const { p, q, Q, P, R } = this;
    this.cross.add(g, gOffset, w, wOffset);
    for (let k = 0; k < q; k++) R[k] += w[wOffset + k] * w[wOffset + k];
    for (let r = 0; r < p; r++) {
      const gr = g[gOffset + r];
      if (gr === 0) continue;
      const row = r * q;
      for (let k = 0; k < q; k++) {
        const w2 = w[wOffset + k] * w[wOffset + k];
        P[row + k] += gr * w2;
        Q[row + k] += gr * gr * w2;
      }
    }
  }

  /** √(Var/S) per element, p×q row-major, into out (offset outOffset). Var = (Σ (g−β)² w² − S·mean²)/(S−1). */
  finish(covariate: CovariateName, fx: ArrayLike<number> | undefined, out: Float32Array, outOffset: number): void {
    const { p, q, Q, P, R } = this;
    const { A, a, c, count: S } = this.cross;
    const factor = covariate === 'loo' ? S / (S - 1) : 1;
    for (let r = 0; r < p; r++) {
      const beta = covariate === 'none' ? 0 : covariate === 'fx' ? fx![r] : a[r] / S;
      for (let k = 0; k < q; k++) {
        const i = r * q + k;
        const mean = (A[i] - beta * c[k]) / S;
        const second = Q[i] - 2 * beta * P[i] + beta * beta * R[k];
        const variance = S > 1 ? Math.max(0, (second - S * mean * mean) / (S - 1)) : 0;
        out[outOffset + i] = factor * Math.sqrt(variance / S);
      }
    }
  }
}
