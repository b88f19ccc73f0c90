/**
 * fromFunction boxes and perturbedMax on the cuda backend, over the EMULATED device (the CUDA addon built with its
 * kernels' tile code on the host; lib/backends/cuda.ts CUDA_ADDON_ENV): same numbers as js for the same seed, and
 * the same bits with the output cache on and off (test/output-cache.test.ts covers every box on every backend).
 * A child process loads it (the backend registry is per process). Without a CUDA toolkit the addon is not built
 * and there is nothing to run; the real device runs the same paths in scripts/check-gpu.mjs.
 */
import test from 'ava';
import { runOnEmulatedCuda } from './helpers/emulated-cuda.js';

const script = `
import { backends, blackboxes, smooth, perturbedMax, fenchelYoungLoss } from 'stochastic-smoothing';
const out = { info: backends().find((b) => b.name === 'cuda') };
const opts = { distribution: 'gumbel', scale: 0.7, samples: 2048, sampler: 'mc', covariate: 'none', seed: 3 };
const theta = [[0.5, -0.3, 1.2, 0], [1, 1, 0, -2]];
for (const backend of ['cuda', 'js']) {
  const m = await perturbedMax(smooth(blackboxes.argmax(4), { ...opts, backend }), theta);
  const l = await fenchelYoungLoss(smooth(blackboxes.permutation(4), { ...opts, distribution: 'gaussian', backend }), theta, Array.from({ length: 32 }, (_, k) => (k % 5 === 0 ? 1 : 0)));
  const box = blackboxes.fromFunction(async (x) => [Math.abs(x[0]), x[1] * x[0]], { inputSize: 2, outputSize: 2 });
  const s = await smooth(box, { ...opts, distribution: 'laplace', covariate: 'loo', backend }).forward([[0.5, 1], [-1, 2]]);
  out[backend] = { max: [...m.value, ...m.gradient], loss: [...l.loss, ...l.gradient], value: [...s.value], vjp: [...(await s.vjp([1, 1, 1, 1]))], ran: s.backend };
  // The same user box with the output cache off: its vjp re-evaluates the box and must give the same bits.
  const off = await smooth(box, { ...opts, distribution: 'laplace', covariate: 'loo', backend, outputCache: 0 }).forward([[0.5, 1], [-1, 2]]);
  out[backend].vjpCacheOff = [...(await off.vjp([1, 1, 1, 1]))];
}
console.log(JSON.stringify(out));
`;

test('fromFunction and perturbedMax / fenchelYoungLoss on the emulated cuda backend equal js', async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const r = await runOnEmulatedCuda<any>('api-emulated-cuda', script);
  if (r === undefined) {
    t.log('stochastic_smoothing_cuda_emulated.node not built (no CUDA toolkit): nothing to run');
    t.pass();
    return;
  }
  t.true(r.info.available, `emulated cuda unavailable: ${r.info.reason}`);
  t.is(r.cuda.ran, 'cuda');
  for (const backend of ['cuda', 'js']) t.deepEqual(r[backend].vjpCacheOff, r[backend].vjp, `${backend}: the vjp differs with the output cache off`);
  for (const key of ['max', 'loss', 'value', 'vjp']) {
    const [a, b] = [r.cuda[key] as number[], r.js[key] as number[]];
    t.is(a.length, b.length);
    a.forEach((v, k) => t.true(Math.abs(v - b[k]) <= 1e-4 * (1 + Math.abs(b[k])), `${key}[${k}]: cuda ${v} vs js ${b[k]}`));
  }
});
