/**
 * The six noise distributions of docs/method.md §2 (location 0, scale 1), the standard normal Φ / Φ⁻¹
 * they need, and the resolver for `options.distribution`.
 *
 * Everything here is a plain function on doubles with simple control flow, because native/core/*.h
 * mirrors this file function by function (host and device code). Conventions:
 * - `icdf` and `scoreFromU` clip u to [U_CLIP, 1 - U_CLIP] first, so u = 0 or 1 (the Sobol origin)
 *   still give finite noise and scores.
 * - Symmetric distributions evaluate the lower half on m = min(u, 1 - u) and negate for the upper
 *   half. 1 - u is exact for u ≥ ½ (Sterbenz), so icdf(1 - u) === -icdf(u) bit for bit whenever 1 - u
 *   is exact; antithetic pairs then give exactly opposite noise and scores.
 * - pdf / cdf never return NaN for ±Infinity or huge |e| (Cauchy noise reaches 1e10 and beyond).
 */
import { SmoothingError, invalid } from './errors.js';
import type { CustomDistribution, Distribution, DistributionName } from './types.js';

/** u is clipped to [U_CLIP, 1 - U_CLIP]. 2^-33 is half the spacing of 32-bit uniforms, so it never
 *  moves a u = (k + ½)·2^-32 built from 32 random bits, yet keeps F⁻¹(0) and F⁻¹(1) finite. */
export const U_CLIP = 2 ** -33;
const U_CLIP_HI = 1 - U_CLIP; // exact in double

export function clipU(u: number): number {
  // NaN falls through unchanged (both comparisons are false).
  return u < U_CLIP ? U_CLIP : u > U_CLIP_HI ? U_CLIP_HI : u;
}

const PI = Math.PI;
const INV_SQRT_2PI = 0.398942280401432677939946059934; // 1/√(2π)

// ---------------------------------------------------------------------------------------------
// Standard normal

/** exp(-y²/2) for y ≥ 0 without the error of rounding y² first (that error grows like y²·ulp):
 *  split y = hi + lo with hi = trunc(16y)/16, so hi² is exact and y² = hi² + (y - hi)(y + hi). */
function expMinusHalfSquare(y: number): number {
  if (y > 40) return 0; // exp(-800) underflows anyway; also keeps y = Infinity away from Inf - Inf
  const hi = Math.trunc(y * 16) / 16;
  const del = (y - hi) * (y + hi);
  return Math.exp(-0.5 * hi * hi) * Math.exp(-0.5 * del);
}

/**
 * Φ(x). Rational Chebyshev approximations of W. J. Cody, ALGORITHM 715 (SPECFUN), function ANORM,
 * ACM TOMS 19 (1993) 22-32 (derived from Cody, Math. Comp. 23 (1969) 631-637). The coefficients
 * below are Cody's published ones. Working directly in x (not erfc(x/√2)) avoids the rounding of
 * x/√2, which would cost ~x²·ulp relative accuracy deep in the tail.
 */
export function normalCdf(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.66291) {
    // Φ(x) = ½ + x·R(x²); no cancellation because |x·R| < 0.25.
    const s = x * x;
    const num = (((0.065682337918207449113 * s + 2.2352520354606839287) * s + 161.02823106855587881) * s
      + 1067.6894854603709582) * s + 18154.981253343561249;
    const den = (((s + 47.20258190468824187) * s + 976.09855173777669322) * s
      + 10260.932208618978205) * s + 45507.789335026729956;
    return 0.5 + (x * num) / den;
  }
  let tail: number; // Φ(-y), computed with full relative accuracy
  if (y <= 5.656854248) {
    const num = (((((((1.0765576773720192317e-8 * y + 0.39894151208813466764) * y + 8.8831497943883759412) * y
      + 93.506656132177855979) * y + 597.27027639480026226) * y + 2494.5375852903726711) * y
      + 6848.1904505362823326) * y + 11602.651437647350124) * y + 9842.7148383839780218;
    const den = (((((((y + 22.266688044328115691) * y + 235.38790178262499861) * y + 1519.377599407554805) * y
      + 6485.558298266760755) * y + 18615.571640885098091) * y + 34900.952721145977266) * y
      + 38912.003286093271411) * y + 19685.429676859990727;
    tail = expMinusHalfSquare(y) * (num / den);
  } else {
    // Asymptotic form: Φ(-y) = φ(y)/y · (1 - z·R(z)·√(2π)), z = 1/y². z = 0 for y = Infinity.
    const z = 1 / (y * y);
    const num = ((((0.02307344176494017303 * z + 0.21589853405795699) * z + 0.1274011611602473639) * z
      + 0.022235277870649807) * z + 0.001421619193227893466) * z + 2.9112874951168792e-5;
    const den = ((((z + 1.28426009614491121) * z + 0.468238212480865118) * z + 0.0659881378689285515) * z
      + 0.00378239633202758244) * z + 7.29751555083966205e-5;
    tail = (expMinusHalfSquare(y) * (INV_SQRT_2PI - (z * num) / den)) / y;
  }
  return x < 0 ? tail : 1 - tail;
}

/** Φ⁻¹(m) for 0 < m ≤ ½ (result ≤ 0). M. J. Wichura, Algorithm AS 241 (PPND16), Applied
 *  Statistics 37 (1988) 477-484; coefficients as published there. */
function normalIcdfLower(m: number): number {
  const q = m - 0.5;
  if (q >= -0.425) {
    const r = 0.180625 - q * q;
    const num = ((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
      + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
      + 133.14166789178437745) * r + 3.387132872796366608;
    const den = ((((((5226.495278852854561 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
      + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
      + 42.313330701600911252) * r + 1;
    return (q * num) / den;
  }
  let r = Math.sqrt(-Math.log(m));
  let num: number;
  let den: number;
  if (r <= 5) {
    r -= 1.6;
    num = ((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
      + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
      + 4.6303378461565452959) * r + 1.42343711074968357734;
    den = ((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
      + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
      + 2.05319162663775882187) * r + 1;
  } else {
    r -= 5;
    num = ((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
      + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
      + 5.4637849111641143699) * r + 6.6579046435011037772;
    den = ((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
      + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
      + 0.59983220655588793769) * r + 1;
  }
  return -num / den;
}

/** Φ⁻¹(u). Not clipped: Φ⁻¹(0) = -∞, Φ⁻¹(1) = +∞, NaN outside [0, 1]. Exactly odd around ½. */
export function normalIcdf(u: number): number {
  if (!(u > 0 && u < 1)) return u === 0 ? -Infinity : u === 1 ? Infinity : NaN;
  const lower = normalIcdfLower(u < 0.5 ? u : 1 - u);
  return u > 0.5 ? -lower : lower;
}

function gaussianPdf(e: number): number {
  return INV_SQRT_2PI * expMinusHalfSquare(Math.abs(e));
}
function gaussianScore(e: number): number {
  return e;
}
function gaussianIcdf(u: number): number {
  return normalIcdf(clipU(u));
}

// ---------------------------------------------------------------------------------------------
// Logistic

function logisticPdf(e: number): number {
  const t = Math.exp(-Math.abs(e)); // in [0, 1]: no overflow for any e
  return t / ((1 + t) * (1 + t));
}
function logisticCdf(e: number): number {
  if (e >= 0) return 1 / (1 + Math.exp(-e));
  const t = Math.exp(e);
  return t / (1 + t);
}
function logisticScore(e: number): number {
  return Math.tanh(0.5 * e);
}
function logisticIcdf(u: number): number {
  const c = clipU(u);
  const m = c < 0.5 ? c : 1 - c;
  // log(m/(1-m)); near ½ use 2·atanh(2m - 1) (2m - 1 is exact there) to keep relative accuracy.
  const lower = m < 0.25 ? Math.log(m / (1 - m)) : 2 * Math.atanh(2 * m - 1);
  return c > 0.5 ? -lower : lower;
}
function logisticScoreFromU(u: number): number {
  const c = clipU(u);
  const m = c < 0.5 ? c : 1 - c;
  const lower = 2 * m - 1;
  return c > 0.5 ? -lower : lower;
}

// ---------------------------------------------------------------------------------------------
// Gumbel (maximum convention, mean ≈ 0.5772; not symmetric)

function gumbelPdf(e: number): number {
  const t = Math.exp(-e);
  return t === Infinity ? 0 : t * Math.exp(-t); // e → -∞: Inf·0 would be NaN
}
function gumbelCdf(e: number): number {
  return Math.exp(-Math.exp(-e));
}
function gumbelScore(e: number): number {
  return -Math.expm1(-e); // 1 - e^{-e}, accurate near e = 0
}
/** log(u) for clipped u; above ½ via log1p(u - 1) (u - 1 exact there) so the upper tail keeps precision. */
function gumbelLogU(c: number): number {
  return c > 0.5 ? Math.log1p(c - 1) : Math.log(c);
}
function gumbelIcdf(u: number): number {
  return -Math.log(-gumbelLogU(clipU(u)));
}
function gumbelScoreFromU(u: number): number {
  return 1 + gumbelLogU(clipU(u));
}

// ---------------------------------------------------------------------------------------------
// Cauchy

function cauchyPdf(e: number): number {
  const a = Math.abs(e);
  if (a <= 1) return 1 / (PI * (1 + a * a));
  const t = 1 / a; // a² would overflow for a > 1e154; t = 0 for a = Infinity
  return (t * t) / (PI * (1 + t * t));
}
function cauchyCdf(e: number): number {
  // atan2(1, -e)/π = atan(-1/e)/π: full relative accuracy in the lower tail, no ½ + (-½ + δ).
  return e < 0 ? Math.atan2(1, -e) / PI : 1 - Math.atan2(1, e) / PI;
}
function cauchyScore(e: number): number {
  const a = Math.abs(e);
  return a <= 1 ? (2 * e) / (1 + e * e) : 2 / (e + 1 / e); // second form cannot overflow
}
function cauchyIcdf(u: number): number {
  const c = clipU(u);
  const m = c < 0.5 ? c : 1 - c;
  // tan(π(m - ½)) = -1/tan(πm). Near ½ use the first form (m - ½ exact, so icdf(½) = 0 exactly);
  // in the tail the second (πm is accurate, π(m - ½) would lose the digits of m).
  const lower = m < 0.25 ? -1 / Math.tan(PI * m) : Math.tan(PI * (m - 0.5));
  return c > 0.5 ? -lower : lower;
}
function cauchyScoreFromU(u: number): number {
  const c = clipU(u);
  const m = c < 0.5 ? c : 1 - c;
  // -sin(2πm) = sin(π(2m - 1)); the second form is exact-argument near ½ and gives +0 at ½.
  const lower = m < 0.25 ? -Math.sin(2 * PI * m) : Math.sin(PI * (2 * m - 1));
  return c > 0.5 ? -lower : lower;
}

// ---------------------------------------------------------------------------------------------
// Laplace (kink at 0: score 0 there, paper Lemma 3)

function laplacePdf(e: number): number {
  return 0.5 * Math.exp(-Math.abs(e));
}
function laplaceCdf(e: number): number {
  return e < 0 ? 0.5 * Math.exp(e) : 1 - 0.5 * Math.exp(-e);
}
/** sign(x) with sign(0) = 0 and NaN kept. */
function signOrZero(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN;
}
function laplaceScore(e: number): number {
  return signOrZero(e);
}
function laplaceIcdf(u: number): number {
  const c = clipU(u);
  const m = c < 0.5 ? c : 1 - c;
  const lower = Math.log(2 * m); // 2m is exact, so this is accurate at both ends of (0, ½]
  return c > 0.5 ? -lower : lower;
}
function laplaceScoreFromU(u: number): number {
  return signOrZero(clipU(u) - 0.5); // c - ½ is exact and 0 only at c = ½
}

// ---------------------------------------------------------------------------------------------
// Triangular on [-1, 1] (kinks at 0 and ±1: score 0 there and outside the support)

function triangularPdf(e: number): number {
  return Math.max(0, 1 - Math.abs(e)); // Math.max propagates NaN
}
function triangularCdf(e: number): number {
  if (e >= 1) return 1;
  if (e <= -1) return 0;
  if (e < 0) return 0.5 * (1 + e) * (1 + e);
  return 1 - 0.5 * (1 - e) * (1 - e); // NaN propagates
}
function triangularScore(e: number): number {
  const a = Math.abs(e);
  if (a >= 1) return 0;
  return signOrZero(e) / (1 - a);
}
function triangularIcdf(u: number): number {
  const c = clipU(u);
  const m = c < 0.5 ? c : 1 - c;
  // √(2m) - 1 rewritten without cancellation near m = ½ (2m - 1 is exact there).
  const lower = (2 * m - 1) / (1 + Math.sqrt(2 * m));
  return c > 0.5 ? -lower : lower;
}
function triangularScoreFromU(u: number): number {
  const c = clipU(u);
  if (c === 0.5) return 0; // the kink at ε = 0
  const m = c < 0.5 ? c : 1 - c;
  const lower = -1 / Math.sqrt(2 * m);
  return c > 0.5 ? -lower : lower;
}

// ---------------------------------------------------------------------------------------------
// Registry and resolver

export const distributions: Readonly<Record<DistributionName, Distribution>> = Object.freeze({
  gaussian: Object.freeze({ name: 'gaussian', symmetric: true, pdf: gaussianPdf, cdf: normalCdf, icdf: gaussianIcdf, score: gaussianScore, scoreFromU: gaussianIcdf }),
  logistic: Object.freeze({ name: 'logistic', symmetric: true, pdf: logisticPdf, cdf: logisticCdf, icdf: logisticIcdf, score: logisticScore, scoreFromU: logisticScoreFromU }),
  gumbel: Object.freeze({ name: 'gumbel', symmetric: false, pdf: gumbelPdf, cdf: gumbelCdf, icdf: gumbelIcdf, score: gumbelScore, scoreFromU: gumbelScoreFromU }),
  cauchy: Object.freeze({ name: 'cauchy', symmetric: true, pdf: cauchyPdf, cdf: cauchyCdf, icdf: cauchyIcdf, score: cauchyScore, scoreFromU: cauchyScoreFromU }),
  laplace: Object.freeze({ name: 'laplace', symmetric: true, pdf: laplacePdf, cdf: laplaceCdf, icdf: laplaceIcdf, score: laplaceScore, scoreFromU: laplaceScoreFromU }),
  triangular: Object.freeze({ name: 'triangular', symmetric: true, pdf: triangularPdf, cdf: triangularCdf, icdf: triangularIcdf, score: triangularScore, scoreFromU: triangularScoreFromU }),
});

export const DISTRIBUTION_NAMES: readonly DistributionName[] = Object.freeze([
  'gaussian', 'logistic', 'gumbel', 'cauchy', 'laplace', 'triangular',
] as DistributionName[]);

const NAME_LIST = DISTRIBUTION_NAMES.map((n) => `'${n}'`).join(', ');
const CUSTOM_SHAPE = '{ name: string, symmetric: boolean, icdf(u: number): number, scoreFromU(u: number): number }';

/**
 * Turns `options.distribution` into a distribution: one of the six names (matched exactly), or a
 * user object with name, symmetric, icdf and scoreFromU (returned as is). 'uniform' is refused with
 * ERR_UNSUPPORTED (paper Lemma 3); anything else throws ERR_INVALID_ARGUMENT.
 */
export function resolveDistribution(value: unknown, argument = 'options.distribution'): Distribution | CustomDistribution {
  if (typeof value === 'string') {
    if (Object.prototype.hasOwnProperty.call(distributions, value)) return distributions[value as DistributionName];
    if (value === 'uniform') {
      throw new SmoothingError(
        'ERR_UNSUPPORTED',
        "The uniform distribution is not supported: its density jumps at the ends of its support, so it is " +
          'not absolutely continuous. Its score is 0 almost everywhere and the estimator would silently ' +
          'return a zero gradient (paper Lemma 3).',
        { argument, value, fix: "use 'triangular' (compact support and absolutely continuous) or another of: " + NAME_LIST },
      );
    }
    const lower = value.trim().toLowerCase();
    let hint = '';
    if (Object.prototype.hasOwnProperty.call(distributions, lower)) hint = `did you mean '${lower}'? Names are case-sensitive; `;
    else if (lower === 'normal') hint = "did you mean 'gaussian'? ";
    throw invalid(argument, value, `unknown distribution ${JSON.stringify(value)}.`, `${hint}use one of: ${NAME_LIST}, or a custom object ${CUSTOM_SHAPE}`);
  }
  if (typeof value !== 'object' || value === null) {
    throw invalid(argument, value, 'a distribution must be a name or a custom distribution object.', `use one of: ${NAME_LIST}, or a custom object ${CUSTOM_SHAPE}`);
  }
  const obj = value as Record<string, unknown>;
  const expected: ReadonlyArray<readonly [string, string]> = [
    ['name', 'string'], ['symmetric', 'boolean'], ['icdf', 'function'], ['scoreFromU', 'function'],
  ];
  for (const [member, type] of expected) {
    const got = obj[member];
    if (typeof got !== type) {
      const problem = got === undefined
        ? `the custom distribution object is missing '${member}' (expected a ${type}).`
        : `the custom distribution member '${member}' must be a ${type}, got ${got === null ? 'null' : typeof got}.`;
      throw invalid(argument, value, problem, `give an object ${CUSTOM_SHAPE}, or one of: ${NAME_LIST}`);
    }
  }
  return value as CustomDistribution;
}
