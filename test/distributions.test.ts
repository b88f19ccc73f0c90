import test from 'ava';
import {
  DISTRIBUTION_NAMES, U_CLIP, clipU, distributions, normalCdf, normalIcdf, resolveDistribution,
} from '../lib/distributions.js';
import { SmoothingError } from '../lib/errors.js';
import type { Distribution } from '../lib/types.js';
import { fixtureRows } from './helpers/fixtures.js';

const all: Distribution[] = DISTRIBUTION_NAMES.map((n) => distributions[n]);
const symmetric = all.filter((d) => d.symmetric);

// ---------------------------------------------------------------------------------------------
// Independent quadrature: adaptive Gauss-Legendre (nodes computed here by Newton on P_n) on the
// substitution ε = t/(1 - t²), t ∈ (-1, 1), which maps R to a finite interval and turns Cauchy's
// algebraic tails into bounded integrands. Open rules never evaluate t = ±1 (ε = ±∞). Intervals
// are split at the kinks (Laplace 0; Triangular -1, 0, 1) so every piece is smooth.

function gaussLegendre(n: number): { x: number[]; w: number[] } {
  const x: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x.push(z);
    w.push(2 / ((1 - z * z) * dp * dp));
  }
  return { x, w };
}
const GL = gaussLegendre(10);

function glPanel(f: (t: number) => number, a: number, b: number): number {
  const h = (b - a) / 2;
  const c = (a + b) / 2;
  let s = 0;
  for (let i = 0; i < GL.x.length; i++) s += GL.w[i] * f(c + h * GL.x[i]);
  return s * h;
}

function adaptive(f: (t: number) => number, a: number, b: number, whole: number, tol: number, depth: number): number {
  const m = (a + b) / 2;
  const left = glPanel(f, a, m);
  const right = glPanel(f, m, b);
  // Absolute tolerance, floored at a few ulps of the panel value so rounding cannot force deep recursion.
  if (depth <= 0 || Math.abs(left + right - whole) <= Math.max(tol, 4e-16 * Math.abs(left + right))) return left + right;
  return adaptive(f, a, m, left, tol / 2, depth - 1) + adaptive(f, m, b, right, tol / 2, depth - 1);
}

/** t with t/(1 - t²) = e. */
function tOf(e: number): number {
  if (e === Infinity) return 1;
  if (e === -Infinity) return -1;
  return (2 * e) / (1 + Math.sqrt(1 + 4 * e * e));
}

const KINKS: Record<string, number[]> = {
  gaussian: [0], logistic: [0], gumbel: [0], cauchy: [0], laplace: [0], triangular: [-1, 0, 1],
};

/** E[g(ε)] = ∫ pdf·g; the weight 0 wins over an infinite g far out in a tail (Gumbel's score → -∞). */
function expect(d: Distribution, g: (e: number) => number): number {
  return integrate((e) => {
    const p = d.pdf(e);
    return p === 0 ? 0 : p * g(e);
  }, KINKS[d.name]);
}

/** ∫_{-∞}^{upper} f(ε) dε, split at the given kinks. */
function integrate(f: (e: number) => number, kinks: number[], upper = Infinity): number {
  const g = (t: number) => {
    const d = 1 - t * t;
    const v = f(t / d) * ((1 + t * t) / (d * d));
    if (Number.isNaN(v)) throw new Error(`integrand is NaN at ε = ${t / d}`); // fail fast, never recurse on NaN
    return v;
  };
  const cuts = [-1, ...kinks.filter((k) => k < upper).map(tOf), tOf(upper)];
  let sum = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i];
    const b = cuts[i + 1];
    // Start from 8 panels so that a narrow peak cannot fool the first error estimate.
    for (let j = 0; j < 8; j++) {
      const pa = a + ((b - a) * j) / 8;
      const pb = a + ((b - a) * (j + 1)) / 8;
      sum += adaptive(g, pa, pb, glPanel(g, pa, pb), 1e-13, 40);
    }
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------

test('names, flags and registry', (t) => {
  t.deepEqual([...DISTRIBUTION_NAMES], ['gaussian', 'logistic', 'gumbel', 'cauchy', 'laplace', 'triangular']);
  t.deepEqual(Object.keys(distributions).sort(), [...DISTRIBUTION_NAMES].sort());
  for (const d of all) t.is(d.symmetric, d.name !== 'gumbel', d.name);
  t.is(U_CLIP, 2 ** -33);
  t.is(clipU(0), U_CLIP);
  t.is(clipU(1), 1 - U_CLIP);
  t.is(clipU(0.3), 0.3);
  t.is(clipU(2 ** -34), U_CLIP);
});

test('pdf matches the closed forms of docs/method.md §2 at a few points', (t) => {
  const closed: Record<string, (e: number) => number> = {
    gaussian: (e) => Math.exp(-e * e / 2) / Math.sqrt(2 * Math.PI),
    logistic: (e) => Math.exp(-e) / (1 + Math.exp(-e)) ** 2,
    gumbel: (e) => Math.exp(-e - Math.exp(-e)),
    cauchy: (e) => 1 / (Math.PI * (1 + e * e)),
    laplace: (e) => 0.5 * Math.exp(-Math.abs(e)),
    triangular: (e) => Math.max(0, 1 - Math.abs(e)),
  };
  for (const d of all) {
    for (const e of [-3.1, -0.9, -0.2, 0, 0.35, 0.8, 2.4, 7]) {
      const want = closed[d.name](e);
      t.true(Math.abs(d.pdf(e) - want) <= 1e-14 * Math.max(want, 1e-300), `${d.name} pdf(${e})`);
    }
  }
});

for (const d of all) {
  test(`${d.name}: pdf integrates to 1 and cdf is its integral`, (t) => {
    const total = integrate(d.pdf, KINKS[d.name]);
    t.true(Math.abs(total - 1) < 1e-9, `∫pdf = ${total}`);
    const points = d.name === 'triangular' ? [-0.7, -0.2, 0, 0.5, 0.9] : [-3, -0.7, 0, 0.4, 2.5];
    for (const x of points) {
      const q = integrate(d.pdf, KINKS[d.name], x);
      t.true(Math.abs(q - d.cdf(x)) < 1e-9, `cdf(${x}) = ${d.cdf(x)} vs ∫ = ${q}`);
    }
  });

  test(`${d.name}: cdf(icdf(u)) = clipU(u), relative to min(u, 1-u)`, (t) => {
    const us = [0, 1e-12, 1e-9, 1e-6, 1e-3, 0.1, 0.3, 0.5 - 1e-9, 0.5, 0.5 + 1e-9, 0.7, 0.9, 1 - 1e-3, 1 - 1e-6, 1];
    for (const u of us) {
      const c = clipU(u); // icdf clips: 0 and 1e-12 map to U_CLIP
      const back = d.cdf(d.icdf(u));
      t.true(Math.abs(back - c) <= 1e-9 * Math.min(c, 1 - c), `u = ${u}: cdf(icdf(u)) = ${back}`);
    }
    t.is(d.icdf(1e-12), d.icdf(U_CLIP));
    // monotone on a fine grid
    let prev = -Infinity;
    for (let k = 0; k <= 1000; k++) {
      const e = d.icdf(k / 1000);
      t.true(e > prev || (k === 0 && e === prev), `icdf not increasing at ${k / 1000}`);
      prev = e;
    }
  });

  test(`${d.name}: score = -(log pdf)' and score(icdf(u)) = scoreFromU(u)`, (t) => {
    const es = d.name === 'triangular' ? [-0.9, -0.5, -0.15, 0.2, 0.65, 0.97] : [-4, -2.5, -1.2, -0.3, 0.4, 1.1, 2.7, 6];
    for (const e of es) {
      const h = 1e-5 * Math.max(1, Math.abs(e));
      const fd = -(Math.log(d.pdf(e + h)) - Math.log(d.pdf(e - h))) / (2 * h);
      const s = d.score(e);
      t.true(Math.abs(fd - s) <= 1e-6 * Math.max(1, Math.abs(s)), `score(${e}) = ${s}, finite difference ${fd}`);
    }
    const us = [U_CLIP, 1e-9, 1e-6, 1e-3, 0.05, 0.2, 0.37, 0.5 - 1e-9, 0.5, 0.5 + 1e-9, 0.63, 0.8, 0.95, 1 - 1e-3, 1 - 1e-6, 1 - 1e-9, 1 - U_CLIP];
    for (const u of us) {
      const a = d.score(d.icdf(u));
      const b = d.scoreFromU(u);
      t.true(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `u = ${u}: score(icdf) = ${a}, scoreFromU = ${b}`);
    }
  });

  test(`${d.name}: E[s] = 0 and E[s ε] = 1 by quadrature`, (t) => {
    const m1 = expect(d, (e) => d.score(e));
    const m2 = expect(d, (e) => d.score(e) * e);
    t.true(Math.abs(m1) < 1e-9, `E[s] = ${m1}`);
    t.true(Math.abs(m2 - 1) < 1e-9, `E[s ε] = ${m2}`);
    // Fisher information E[s²] where it is finite and known in closed form.
    const fisher: Record<string, number> = { gaussian: 1, logistic: 1 / 3, gumbel: 1, cauchy: 0.5, laplace: 1 };
    if (d.name in fisher) {
      const m3 = expect(d, (e) => d.score(e) ** 2);
      t.true(Math.abs(m3 - fisher[d.name]) < 1e-9, `E[s²] = ${m3}`);
    }
  });

  test(`${d.name}: clipping and extreme inputs stay finite`, (t) => {
    for (const u of [0, 1, -0, 2 ** -40, 1 - 2 ** -53]) {
      t.true(Number.isFinite(d.icdf(u)), `icdf(${u}) = ${d.icdf(u)}`);
      t.true(Number.isFinite(d.scoreFromU(u)), `scoreFromU(${u}) = ${d.scoreFromU(u)}`);
    }
    t.is(d.icdf(0), d.icdf(U_CLIP));
    t.is(d.icdf(1), d.icdf(1 - U_CLIP));
    t.is(d.scoreFromU(0), d.scoreFromU(U_CLIP));
    t.is(d.scoreFromU(1), d.scoreFromU(1 - U_CLIP));
    for (const e of [1e300, -1e300, Infinity, -Infinity]) t.is(d.pdf(e), 0, `pdf(${e})`);
    t.is(d.cdf(-Infinity), 0);
    t.is(d.cdf(Infinity), 1);
    t.is(d.cdf(1e300), 1);
    const low = d.cdf(-1e300);
    t.true(low >= 0 && low < 1e-299, `cdf(-1e300) = ${low}`); // Cauchy: 1/(π·1e300)
    for (const e of [1e10, 1e300]) t.true(Number.isFinite(d.score(e)), `score(${e})`);
    // Gumbel's score 1 - e^{-ε} really is -∞ far left; every other score is finite there.
    for (const e of [-1e10, -1e300]) t.is(d.score(e), d.name === 'gumbel' ? -Infinity : d.score(e), `score(${e})`);
    if (d.name !== 'gumbel') t.true(Number.isFinite(d.score(-1e300)));
  });
}

test('cauchy and gumbel tails keep relative accuracy', (t) => {
  const c = distributions.cauchy;
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  t.true(rel(c.pdf(1e10), 1 / (Math.PI * 1e20)) < 1e-14);
  t.true(rel(c.cdf(-1e10), 1 / (Math.PI * 1e10)) < 1e-12);
  t.true(rel(c.score(1e200), 2e-200) < 1e-14);
  t.true(rel(c.icdf(1e-9), -1 / Math.tan(Math.PI * 1e-9)) < 1e-14);
  t.true(rel(c.scoreFromU(1e-9), -Math.sin(2 * Math.PI * 1e-9)) < 1e-14);
  // Gumbel's upper tail: -log u from the exact 1 - u by its series (independent of the code's log1p).
  const g = distributions.gumbel;
  const u = 1 - 1e-9;
  const d1 = 1 - u; // exact (Sterbenz)
  const negLogU = d1 + (d1 * d1) / 2 + (d1 * d1 * d1) / 3;
  t.true(rel(g.icdf(u), -Math.log(negLogU)) < 1e-15);
  t.true(Math.abs(g.scoreFromU(u) - (1 - negLogU)) <= 2 ** -53);
});

test('symmetric distributions are exactly odd around ½ on the 32-bit grid', (t) => {
  const ks = [0, 1, 2, 3, 2 ** 31 - 2, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1];
  let state = 12345;
  for (let i = 0; i < 4000; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0; // LCG (Numerical Recipes constants)
    ks.push(state);
  }
  for (const d of symmetric) {
    let bad = 0;
    for (const k of ks) {
      const u = (k + 0.5) * 2 ** -32;
      if (d.icdf(1 - u) !== -d.icdf(u)) bad++;
      if (d.scoreFromU(1 - u) !== -d.scoreFromU(u)) bad++;
    }
    t.is(bad, 0, d.name);
    t.true(d.scoreFromU(0.5) === 0, `${d.name} scoreFromU(½)`);
    t.true(d.icdf(0.5) === 0, `${d.name} icdf(½)`);
  }
  t.is(distributions.laplace.score(0), 0);
  t.is(distributions.triangular.score(0), 0);
  for (const e of [-1, 1, -1.5, 2, Infinity]) t.is(distributions.triangular.score(e), 0);
});

// Reference values in test/fixtures/distributions.json (shared with native/test/core_test.cc): mpmath at 50 digits,
// rounded once to double (scripts/make-fixtures.py). scipy 1.17.1 agrees with them within these tolerances.
const PPF = fixtureRows('distributions.json', 'normal_ppf', 2);

test('normalIcdf matches the reference Φ⁻¹ to ~1e-15', (t) => {
  t.is(PPF.length, 18);
  for (const [u, want] of PPF) {
    const got = normalIcdf(u);
    t.true(Math.abs(got - want) <= 2e-15 * Math.abs(want), `Φ⁻¹(${u}) = ${got}, reference ${want}`);
  }
  t.is(normalIcdf(0.5), 0);
  t.is(normalIcdf(0), -Infinity);
  t.is(normalIcdf(1), Infinity);
  for (const u of [-0.1, 1.1, NaN]) t.true(Number.isNaN(normalIcdf(u)));
  t.true(Number.isFinite(normalIcdf(Number.MIN_VALUE)));
});

// Φ within 1e-14 relative on |x| ≤ 10 (the bound the implementation promises there); in the deep lower tail
// (non-integer x, so x² is inexact) and for φ there, 2e-15.
const CDF = fixtureRows('distributions.json', 'normal_cdf', 2);
const CDF_DEEP = fixtureRows('distributions.json', 'normal_cdf_deep', 2);
const PDF_DEEP = fixtureRows('distributions.json', 'normal_pdf_deep', 2);

test('normalCdf matches the reference Φ in both tails', (t) => {
  t.deepEqual([CDF.length, CDF_DEEP.length, PDF_DEEP.length], [17, 4, 2]);
  for (const [x, want] of CDF) {
    const got = normalCdf(x);
    t.true(Math.abs(got - want) <= 1e-14 * want, `Φ(${x}) = ${got}, reference ${want}`);
  }
  for (const [x, want] of CDF_DEEP) {
    const got = normalCdf(x);
    t.true(Math.abs(got - want) <= 2e-15 * want, `Φ(${x}) = ${got}, reference ${want}`);
  }
  for (const [x, want] of PDF_DEEP) {
    const got = distributions.gaussian.pdf(x);
    t.true(Math.abs(got - want) <= 2e-15 * want, `φ(${x}) = ${got}, reference ${want}`);
  }
  t.is(normalCdf(0), 0.5);
  t.is(normalCdf(-40), 0);
  t.is(normalCdf(40), 1);
  t.is(normalCdf(-Infinity), 0);
  t.is(normalCdf(Infinity), 1);
  t.true(Number.isNaN(normalCdf(NaN)));
  // Φ(x) + Φ(-x) = 1
  for (const x of [0.1, 0.7, 2, 4.5, 7]) t.true(Math.abs(normalCdf(x) + normalCdf(-x) - 1) < 2e-16);
});

/** |got − want| within `rel` of |want| (exact when want is 0). */
function close(got: number, want: number, rel: number): boolean {
  return Math.abs(got - want) <= rel * Math.abs(want);
}

test('every distribution: F, density and score at fixed points, F⁻¹ and scoreFromU at fixed u, match their closed forms', (t) => {
  for (const name of DISTRIBUTION_NAMES) {
    const d = distributions[name];
    const points = fixtureRows('distributions.json', `${name}_points`, 4);
    const quantiles = fixtureRows('distributions.json', `${name}_quantiles`, 3);
    t.deepEqual([points.length, quantiles.length], [5, 6], name);
    for (const [x, cdf, pdf, score] of points) {
      t.true(close(d.cdf(x), cdf, 1e-14), `${name} F(${x}) = ${d.cdf(x)}, reference ${cdf}`);
      t.true(close(d.pdf(x), pdf, 1e-14), `${name} p(${x}) = ${d.pdf(x)}, reference ${pdf}`);
      t.true(close(d.score(x), score, 1e-14), `${name} score(${x}) = ${d.score(x)}, reference ${score}`);
    }
    for (const [u, e, score] of quantiles) {
      t.true(close(d.icdf(u), e, 1e-14), `${name} F⁻¹(${u}) = ${d.icdf(u)}, reference ${e}`);
      t.true(close(d.scoreFromU(u), score, 1e-14), `${name} scoreFromU(${u}) = ${d.scoreFromU(u)}, reference ${score}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------

function throwsCode(t: import('ava').ExecutionContext, fn: () => unknown, code: string): SmoothingError {
  const err = t.throws(fn, { instanceOf: SmoothingError }) as SmoothingError;
  t.true(err instanceof SmoothingError);
  t.is(err.code, code as SmoothingError['code']);
  return err;
}

test('resolveDistribution: names, uniform, unknown values', (t) => {
  for (const n of DISTRIBUTION_NAMES) t.is(resolveDistribution(n), distributions[n]);
  const uni = throwsCode(t, () => resolveDistribution('uniform'), 'ERR_UNSUPPORTED');
  t.regex(uni.message, /absolutely continuous/);
  t.regex(uni.message, /triangular/);
  t.is(uni.argument, 'options.distribution');
  const cap = throwsCode(t, () => resolveDistribution('Gaussian'), 'ERR_INVALID_ARGUMENT');
  t.regex(cap.fix ?? '', /'gaussian'/);
  const normal = throwsCode(t, () => resolveDistribution('normal'), 'ERR_INVALID_ARGUMENT');
  t.regex(normal.fix ?? '', /'gaussian'/);
  throwsCode(t, () => resolveDistribution(42), 'ERR_INVALID_ARGUMENT');
  throwsCode(t, () => resolveDistribution(null), 'ERR_INVALID_ARGUMENT');
  throwsCode(t, () => resolveDistribution(undefined), 'ERR_INVALID_ARGUMENT');
  throwsCode(t, () => resolveDistribution('toString'), 'ERR_INVALID_ARGUMENT');
  const named = throwsCode(t, () => resolveDistribution('beta', 'smoother.noise'), 'ERR_INVALID_ARGUMENT');
  t.is(named.argument, 'smoother.noise');
  t.is(named.value, 'beta');
});

test('resolveDistribution: custom objects', (t) => {
  const custom = { name: 'shifted-logistic', symmetric: false, icdf: (u: number) => Math.log(u / (1 - u)) + 1, scoreFromU: (u: number) => 2 * u - 1 };
  t.is(resolveDistribution(custom), custom);
  const { scoreFromU: _omit, ...missing } = custom;
  const err = throwsCode(t, () => resolveDistribution(missing), 'ERR_INVALID_ARGUMENT');
  t.regex(err.message, /scoreFromU/);
  const wrong = throwsCode(t, () => resolveDistribution({ ...custom, symmetric: 'yes' }), 'ERR_INVALID_ARGUMENT');
  t.regex(wrong.message, /symmetric/);
  throwsCode(t, () => resolveDistribution({ ...custom, icdf: 3 }), 'ERR_INVALID_ARGUMENT');
  throwsCode(t, () => resolveDistribution({ ...custom, name: undefined }), 'ERR_INVALID_ARGUMENT');
});
