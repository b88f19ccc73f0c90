/**
 * Child process of test/cpu-simd.test.ts: runs a few cpu-backend jobs at the SIMD level set by the parent
 * (STOCHASTIC_SMOOTHING_SIMD) and prints the raw bytes of every output as hex, one line per job.
 */
import { blackboxes, smooth, type BlackBox, type DistributionName } from '../../lib/index.js';
import { bytesOf } from './bits.js';

const hex = (a: Float32Array) => bytesOf(a).toString('hex');
const cases: Array<[() => BlackBox, DistributionName, 'mc' | 'rqmc-latin' | 'sobol', boolean]> = [
  [() => blackboxes.ranks(100), 'gaussian', 'mc', false],
  [() => blackboxes.ranks(12), 'triangular', 'rqmc-latin', false],
  [() => blackboxes.permutation(5), 'gaussian', 'rqmc-latin', false],
  [() => blackboxes.topk(9, 3), 'logistic', 'mc', false],
  [() => blackboxes.shortestPath(4, 4), 'gaussian', 'mc', false],
  // The logistic and Gumbel F⁻¹ on the log family of native/cpu/fdlibm_log.h (lanes at avx2 and avx512).
  [() => blackboxes.ranks(40), 'logistic', 'rqmc-latin', true],
  [() => blackboxes.permutation(5), 'logistic', 'sobol', false],
  [() => blackboxes.shortestPath(5, 5), 'gumbel', 'mc', false],
  [() => blackboxes.ranks(20), 'gumbel', 'rqmc-latin', false],
];
// Each job twice: with the output cache (the default) and without it (outputCache: 0), so every level is
// compared with the cache on and off.
for (const [box, distribution, sampler, antithetic, outputCache] of cases.flatMap((c) => [[...c, undefined], [...c, 0]] as const)) {
  const f = box();
  const s = smooth(f, { distribution, scale: 0.5, samples: 1500, sampler, antithetic, covariate: 'loo', backend: 'cpu', seed: 3, outputCache });
  const x = new Float32Array(2 * f.inputSize).map((_, k) => Math.sin(2.3 * k) + (f.name.startsWith('shortest') ? 1.5 : 0));
  const v = new Float32Array(2 * f.outputSize).map((_, k) => Math.cos(k));
  const out = await s.forward(x);
  const parts = [out.value, out.stderr, await out.vjp(v), await out.jvp(x), await out.jacobian()];
  console.log(parts.map(hex).join(' '));
}
