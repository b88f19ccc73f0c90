/**
 * Child process of test/log-family.test.ts: at the SIMD level set by the parent (STOCHASTIC_SMOOTHING_SIMD), feeds
 * the uniforms of test/helpers/log-family-uniforms.ts through the cpu engine's noise kernels (the addon's
 * noiseOfU) and through the js backend's distributions (V8's Math.log / log1p / atanh), and prints one JSON line
 * per distribution: how many ε and scores differ as doubles, the largest difference in ulps, and how many of the
 * perturbed floats float(x + σε) differ.
 */
import { distributions } from '../../lib/index.js';
import { DISTRIBUTION_NAMES } from '../../lib/distributions.js';
import { loadAddon, type CpuAddon } from '../../lib/backends/native/addon.js';
import { logFamilyUniforms } from './log-family-uniforms.js';

type NoiseOfU = (dist: number, u: Float64Array) => Float64Array;
const loaded = loadAddon<CpuAddon>('stochastic_smoothing_cpu.node');
if (!('addon' in loaded)) throw new Error(`the cpu addon does not load: ${loaded.reason}`);
const noiseOfU = (loaded.addon as unknown as { noiseOfU: NoiseOfU }).noiseOfU;

/** |a − b| in units in the last place (adjacent doubles: 1), for finite a, b of the same sign; Infinity otherwise. */
function ulps(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || Math.sign(a) * Math.sign(b) < 0) return Infinity;
  const bits = new BigInt64Array(new Float64Array([Math.abs(a), Math.abs(b)]).buffer);
  const d = bits[0] - bits[1];
  return Number(d < 0n ? -d : d);
}

const u = logFamilyUniforms();
const x = 0.3;
const sigma = 0.7;
for (const name of ['logistic', 'gumbel'] as const) {
  const out = noiseOfU(DISTRIBUTION_NAMES.indexOf(name), u);
  const d = distributions[name];
  let epsDiffer = 0;
  let scoreDiffer = 0;
  let floatsDiffer = 0;
  let worstUlps = 0;
  for (let k = 0; k < u.length; k++) {
    const eps = d.icdf(u[k]);
    const score = d.scoreFromU(u[k]);
    const e = out[k];
    const s = out[u.length + k];
    if (!Object.is(e, eps)) {
      epsDiffer++;
      worstUlps = Math.max(worstUlps, ulps(e, eps));
    }
    if (!Object.is(s, score)) {
      scoreDiffer++;
      worstUlps = Math.max(worstUlps, ulps(s, score));
    }
    if (!Object.is(Math.fround(x + sigma * e), Math.fround(x + sigma * eps))) floatsDiffer++;
  }
  console.log(JSON.stringify({ name, count: u.length, epsDiffer, scoreDiffer, worstUlps, floatsDiffer }));
}
