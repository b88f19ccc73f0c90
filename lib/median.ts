/**
 * Median-of-k noise (docs/method.md, "Median-of-k noise"): the distribution of the median of k = 2r + 1
 * independent draws of a base distribution. Density μ_k(ε) = k!/(r!)² F^r (1 − F)^r μ(ε); score (s = −(log μ)')
 * s_k = s − r μ/F + r μ/(1 − F); sampled from the sampler's u as t = B⁻¹(u), ε = F⁻¹(t), B the Beta(r + 1, r + 1)
 * CDF. native/core/median.h mirrors this file function by function, with the same operations in the same order.
 *
 * B is symmetric, so B⁻¹ is solved on the lower half only (m = min(u, 1 − u), tl = B⁻¹(m) ≤ ½) and every later
 * step works from tl, never from 1 − tl (which loses a small tl's digits): symmetric distributions evaluate on the
 * lower half and negate, Gumbel takes log t = log1p(−tl) on the upper half. Antithetic pairs stay exactly opposite.
 */
import { clipU, distributions, normalIcdf } from './distributions.js';
import type { Distribution, DistributionName } from './types.js';

/** The largest k accepted (README "Median-of-k noise"; native/core/median.h MAX_MEDIAN_OF). */
export const MAX_MEDIAN_OF = 99;

/** C(2r + 1, r) in double, the same roundings as the C++. */
function binomial(r: number): number {
  const k = 2 * r + 1;
  let c = 1;
  for (let i = 1; i <= r; i++) c = (c * (k - r + i)) / i;
  return c;
}

/** (t(1 − t))^r by repeated multiplication (no Math.pow: its last bit is the engine's). */
function power(r: number, t: number): number {
  const ts = t * (1 - t);
  let p = 1;
  for (let i = 0; i < r; i++) p *= ts;
  return p;
}

/** B(t) for 0 ≤ t ≤ ½: Σ_{j=r+1}^{k} C(k, j) t^j (1 − t)^{k−j}, decreasing positive terms from j = r + 1. */
export function betaCdfLower(r: number, t: number): number {
  const k = 2 * r + 1;
  const s = 1 - t;
  let term = binomial(r) * t * power(r, t); // C(k, r + 1) = C(k, r)
  let sum = term;
  for (let j = r + 1; j < k; j++) {
    term = (term * (k - j) * t) / ((j + 1) * s);
    sum += term;
  }
  return sum;
}

/** B(t) on [0, 1] through the symmetry B(t) = 1 − B(1 − t) above ½. */
export function betaCdf(r: number, t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t <= 0.5 ? betaCdfLower(r, t) : 1 - betaCdfLower(r, 1 - t);
}

/** B'(t) = k!/(r!)² (t(1 − t))^r. */
export function betaDensity(r: number, t: number): number {
  return (r + 1) * binomial(r) * power(r, t);
}

/**
 * B⁻¹(m) for 0 < m ≤ ½: a start from the small-t form and the normal approximation (the larger, inside (0, ½)),
 * then Newton steps on log B against log t inside a bracket narrowed by every evaluation; a step leaving it (or
 * NaN) becomes the midpoint. Stops
 * when an iterate repeats or after 64 steps (median.h median_t_lower).
 */
export function betaIcdfLower(r: number, m: number): number {
  if (!(m < 0.5)) return m === 0.5 ? 0.5 : NaN;
  const k = 2 * r + 1;
  const powerStart = Math.exp(Math.log(m / binomial(r)) / (r + 1));
  const normalStart = 0.5 + normalIcdf(m) / (2 * Math.sqrt(k + 2));
  let t = powerStart > normalStart ? powerStart : normalStart;
  if (!(t > 0 && t < 0.5)) t = 0.25;
  let lo = 0;
  let hi = 0.5;
  for (let it = 0; it < 64; it++) {
    const b = betaCdfLower(r, t);
    const f = b - m;
    if (f === 0) break;
    if (f > 0) hi = t;
    else lo = t;
    // Newton on log B against log t: nearly linear (B ~ t^{r+1} near 0), so it converges from far away.
    let next = t * Math.exp(-(Math.log(b / m) * b) / (betaDensity(r, t) * t));
    if (next === t) break; // converged; tested before the bracket, which t itself bounds on one side
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (next === t) break;
    t = next;
  }
  return t;
}

/** B⁻¹(u) on [0, 1] (B⁻¹(1 − u) = 1 − B⁻¹(u)). */
export function betaIcdf(r: number, u: number): number {
  return u <= 0.5 ? betaIcdfLower(r, u) : 1 - betaIcdfLower(r, 1 - u);
}

const GUMBEL = 'gumbel';

/**
 * ε and s_k of median-of-(2r + 1) noise from a clipped u (r ≥ 1), into out[0], out[1] (median.h median_noise).
 * −r μ/F + r μ/(1 − F) = ∓ r μ (1 − 2tl)/(tl(1 − tl)): − on the lower half, + on the upper.
 */
export function medianNoise(base: Distribution, r: number, uc: number, out: Float64Array | number[]): void {
  const upper = uc > 0.5;
  const m = upper ? 1 - uc : uc;
  const tl = betaIcdfLower(r, m);
  const d = (1 - 2 * tl) / (tl * (1 - tl));
  if (base.name === GUMBEL) {
    const logT = upper ? Math.log1p(-tl) : Math.log(tl);
    const t = upper ? 1 - tl : tl;
    const dens = -logT * t;
    out[0] = -Math.log(-logT);
    const plain = 1 + logT;
    out[1] = upper ? plain + r * dens * d : plain - r * dens * d;
    return;
  }
  const eLower = base.icdf(tl);
  const dens = base.pdf(eLower);
  const sLower = base.scoreFromU(tl) - r * dens * d;
  out[0] = upper ? -eLower : eLower;
  out[1] = upper ? -sLower : sLower;
}

const cache = new Map<string, Distribution>();

/**
 * The median-of-k version of a built-in distribution as a full Distribution (pdf, cdf, icdf, score, scoreFromU):
 * what the js backend draws from and what the tests integrate. k = 1 returns the base itself.
 */
export function medianOfDistribution(name: DistributionName, k: number): Distribution {
  const base = distributions[name];
  if (k === 1) return base;
  const key = `${name}/${k}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const r = (k - 1) / 2;
  const c = (r + 1) * binomial(r); // k!/(r!)²
  // icdf and scoreFromU are called in turn with the same u by the js stream: one inversion serves both.
  let lastU = NaN;
  const last = new Float64Array(2);
  const noise = (u: number): Float64Array => {
    const uc = clipU(u);
    if (!Object.is(uc, lastU)) {
      medianNoise(base, r, uc, last);
      lastU = uc;
    }
    return last;
  };
  const upperTail = (e: number) => (base.symmetric ? base.cdf(-e) : 1 - base.cdf(e));
  const dist: Distribution = Object.freeze({
    name: `${name} median-of-${k}`,
    symmetric: base.symmetric,
    pdf: (e: number) => c * (base.cdf(e) * upperTail(e)) ** r * base.pdf(e),
    cdf: (e: number) => betaCdf(r, base.cdf(e)),
    icdf: (u: number) => noise(u)[0],
    score: (e: number) => {
      const F = base.cdf(e);
      const G = upperTail(e);
      const p = base.pdf(e);
      return base.score(e) - (r * p) / F + (r * p) / G;
    },
    scoreFromU: (u: number) => noise(u)[1],
  });
  cache.set(key, dist);
  return dist;
}
