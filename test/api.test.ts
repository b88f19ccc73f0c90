/** Behaviour of the public API: seeds, abort, progress, concurrency, streaming memory, loss helpers, backends. */
import test from 'ava';
import { algorithmSmoothing, backends, blackboxes, lossSmoothing, smooth, SmoothingError, withLoss } from '../lib/index.js';

// These tests pin the js backend (the reference); test/native-parity.test.ts covers the same behaviour on cpu.
const opts = { distribution: 'logistic', scale: 0.5, samples: 256, sampler: 'rqmc-latin', covariate: 'loo', backend: 'js' } as const;

test('the same seed reproduces, a different seed in forward() overrides the smoother seed', async (t) => {
  const s = smooth(blackboxes.ranks(4), { ...opts, seed: 1 });
  const x = new Float32Array([0.3, 0.1, 0.2, 0.25]);
  const a = await s.forward(x);
  const b = await s.forward(x);
  const c = await s.forward(x, { seed: 2 });
  const d = await smooth(blackboxes.ranks(4), { ...opts, seed: 2 }).forward(x);
  t.deepEqual(a.value, b.value);
  t.notDeepEqual(a.value, c.value);
  t.deepEqual(c.value, d.value);
  t.is(c.seed, 2);
  t.is(a.backend, 'js');
});

test('forward copies x: changing the caller array afterwards does not change vjp', async (t) => {
  const s = smooth(blackboxes.ranks(3), opts);
  const x = new Float32Array([0.3, 0.1, 0.2]);
  const out = await s.forward(x);
  const v = new Float32Array([1, 0, -1]);
  const before = await out.vjp(v);
  x.fill(100);
  t.deepEqual(await out.vjp(v), before);
});

test('an AbortSignal stops a long call with ERR_ABORTED, and an already-aborted signal stops it before any work', async (t) => {
  const s = smooth(blackboxes.ranks(50), { ...opts, samples: 1 << 20 });
  const x = new Float32Array(50).map((_, i) => Math.sin(i));
  const controller = new AbortController();
  let evaluations = 0;
  const started = Date.now();
  setTimeout(() => controller.abort(), 50);
  const err = await t.throwsAsync(s.forward(x, { signal: controller.signal, onProgress: (p) => (evaluations = p.done) }));
  t.is((err as SmoothingError).code, 'ERR_ABORTED');
  t.true(evaluations < 1 << 20, 'stopped before the end');
  t.true(Date.now() - started < 5000, 'stopped promptly');
  const err2 = await t.throwsAsync(s.forward(x, { signal: AbortSignal.abort() }));
  t.is((err2 as SmoothingError).code, 'ERR_ABORTED');
});

test('onProgress reports increasing counts that end at B·S', async (t) => {
  const s = smooth(blackboxes.argmax(3), { ...opts, samples: 1000, chunkSize: 100 });
  const seen: number[] = [];
  await s.forward(new Float32Array([0, 1, 2, 3, 4, 5]), { onProgress: (p) => seen.push(p.done) });
  t.is(seen.length, 20);
  t.is(seen.at(-1), 2000);
  t.true(seen.every((v, i) => i === 0 || v > seen[i - 1]));
});

test('concurrent calls are independent and give the same results as sequential ones', async (t) => {
  const s = smooth(blackboxes.permutation(4), opts);
  const xs = [0, 1, 2, 3].map((k) => new Float32Array([k * 0.1, 0.3, -0.2, 0.05 * k]));
  const sequential = [];
  for (const x of xs) sequential.push((await s.forward(x)).value);
  const concurrent = await Promise.all(xs.map((x) => s.forward(x).then((r) => r.value)));
  t.deepEqual(concurrent, sequential);
});

test('S = 10⁶ samples per input streams in constant memory', async (t) => {
  const s = smooth(blackboxes.argmax(2), { distribution: 'cauchy', scale: 1, samples: 1_000_000, sampler: 'mc', covariate: 'loo', backend: 'js' });
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const out = await s.forward(new Float32Array([0.2, -0.2]), {
    onProgress: () => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    },
  });
  const grad = await out.vjp(new Float32Array([1, 0]));
  t.log(`heap growth during S = 1e6: ${((peak - before) / 2 ** 20).toFixed(1)} MiB`);
  t.true(peak - before < 64 * 2 ** 20, `heap grew by ${(peak - before) / 2 ** 20} MiB`);
  // P(x0 + ε0 > x1 + ε1) with Cauchy noise: the difference is Cauchy with scale 2.
  const truth = 0.5 + Math.atan(0.4 / 2) / Math.PI;
  t.true(Math.abs(out.value[0] - truth) < 5 * out.stderr[0] + 1e-6, `${out.value[0]} vs ${truth}`);
  const dtruth = 1 / (Math.PI * 2 * (1 + 0.04));
  t.true(Math.abs(grad[0] - dtruth) < 0.01, `gradient ${grad[0]} vs ${dtruth}`);
});

test('loss smoothing: withLoss + lossSmoothing smooth E[ℓ(h)] and give its gradient', async (t) => {
  // ℓ = 1 when the predicted ranking differs from the target in item 0's rank: non-differentiable.
  const targets = [new Float32Array([0, 1]), new Float32Array([1, 0])];
  const box = withLoss(blackboxes.ranks(2), (y, b) => (y[0] === targets[b][0] ? 0 : 1));
  t.is(box.outputSize, 1);
  const s = smooth(box, { distribution: 'gaussian', scale: 1, samples: 1 << 14, sampler: 'rqmc-latin', covariate: 'loo' });
  const x = new Float32Array([0.5, 0, 0.5, 0]);
  const { loss, gradient } = await lossSmoothing(s, x);
  // row 0 wants item 0 first (lower): loss = P(x0+ε0 > x1+ε1); row 1 wants it last: the complement.
  const { normalCdf } = await import('../lib/distributions.js');
  const p = normalCdf(0.5 / Math.SQRT2);
  t.true(Math.abs(loss[0] - p) < 0.01 && Math.abs(loss[1] - (1 - p)) < 0.01, `${loss}`);
  t.true(gradient[0] > 0 && gradient[1] < 0 && gradient[2] < 0 && gradient[3] > 0, `${gradient}`);
  const err = await t.throwsAsync(lossSmoothing(smooth(blackboxes.ranks(2), opts), x));
  t.is((err as SmoothingError).code, 'ERR_INVALID_ARGUMENT');
});

test('algorithm smoothing: a differentiable loss on the smoothed value chains through the vjp', async (t) => {
  const s = smooth(blackboxes.permutation(3), opts);
  const x = new Float32Array([0.2, 0.1, 0.4]);
  const target = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const result = await algorithmSmoothing(s, x, (value) => {
    let loss = 0;
    const gradient = new Float32Array(value.length);
    for (let k = 0; k < value.length; k++) {
      loss += (value[k] - target[k]) ** 2;
      gradient[k] = 2 * (value[k] - target[k]);
    }
    return { loss, gradient };
  });
  const direct = await (await s.forward(x)).vjp(Float32Array.from(result.value, (v, k) => 2 * (v - target[k])));
  t.deepEqual(result.gradient, direct);
  t.true(result.loss > 0);
});

test('backends() lists js as available and says why native backends are not', (t) => {
  const list = backends();
  t.deepEqual(list.map((b) => b.name).sort(), ['cpu', 'cuda', 'js']);
  const js = list.find((b) => b.name === 'js')!;
  t.true(js.available);
  for (const b of list.filter((b) => !b.available)) t.true(typeof b.reason === 'string' && b.reason.length > 10);
});

test('STOCHASTIC_SMOOTHING_BACKEND forces the auto choice, and an invalid value is a clear error', (t) => {
  const saved = process.env.STOCHASTIC_SMOOTHING_BACKEND;
  try {
    const auto = { ...opts, backend: 'auto' } as const;
    process.env.STOCHASTIC_SMOOTHING_BACKEND = 'js';
    t.is(smooth(blackboxes.ranks(2), auto).backendName, 'js');
    process.env.STOCHASTIC_SMOOTHING_BACKEND = 'tpu';
    const err = t.throws(() => smooth(blackboxes.ranks(2), auto));
    t.is((err as SmoothingError).code, 'ERR_INVALID_ARGUMENT');
  } finally {
    if (saved === undefined) delete process.env.STOCHASTIC_SMOOTHING_BACKEND;
    else process.env.STOCHASTIC_SMOOTHING_BACKEND = saved;
  }
});
