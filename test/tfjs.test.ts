/**
 * stochastic-smoothing/tfjs: the op's gradient is the plain API's VJP (same seed), the synchronous path gives
 * the asynchronous numbers, nothing leaks over 100 optimizer steps, and training through the op lowers a loss.
 */
import * as tf from '@tensorflow/tfjs';
import test from 'ava';
import { backends, blackboxes, fenchelYoungLoss, smooth, SmoothingError, type BlackBox, type SmoothOptions } from '../lib/index.js';
import { fenchelYoungLossOp, smoothedLossOp, smoothedOp, smoothedScaleOp } from '../lib/tfjs.js';

// The pure-JS backend, without its "install tfjs-node" banner (IS_TEST silences tfjs warnings).
tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');

// js always; cpu and cuda where they load (their absence is a failure in test/native-parity and test/cuda under CI).
const BACKENDS = ['js', ...backends().filter((b) => b.name !== 'js' && b.available).map((b) => b.name)];

function options(backend: string, extra: Partial<SmoothOptions> = {}): SmoothOptions {
  return { distribution: 'laplace', scale: 0.7, samples: 256, sampler: 'rqmc-latin', covariate: 'loo', backend: backend as SmoothOptions['backend'], ...extra };
}

function randomArray(length: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

for (const backend of BACKENDS) {
  test(`${backend}: op forward = forward().value and op gradient = vjp() of the plain API, same seed`, async (t) => {
    const B = 3;
    const n = 5;
    const smoother = smooth(blackboxes.permutation(n), options(backend));
    const x = randomArray(B * n, 1);
    const v = randomArray(B * n * n, 2);
    const ref = await smoother.forward(x, { seed: 42 });
    const refGrad = await ref.vjp(v);

    const op = smoothedOp(smoother, { outputShape: [n, n], seed: 42 });
    const xt = tf.tensor2d(x, [B, n]);
    const vt = tf.tensor3d(v, [B, n, n]);
    const y = op(xt);
    t.deepEqual(y.shape, [B, n, n]);
    t.deepEqual(Array.from(y.dataSync()), Array.from(ref.value));
    const op2 = smoothedOp(smoother, { outputShape: [n, n], seed: 42 });
    const grad = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(op2(z), vt)))(xt);
    t.deepEqual(grad.shape, [B, n]);
    t.deepEqual(Array.from(grad.dataSync()), Array.from(refGrad));
    // The same through tf.variableGrads on a variable (what optimizers call).
    const op3 = smoothedOp(smoother, { outputShape: [n, n], seed: 42 });
    const xv = tf.variable(xt);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(op3(xv), vt)) as tf.Scalar, [xv]);
    t.deepEqual(Array.from(grads[xv.name].dataSync()), Array.from(refGrad));
    let dot = 0;
    for (let k = 0; k < v.length; k++) dot += v[k] * ref.value[k];
    t.true(Math.abs(value.dataSync()[0] - dot) <= 1e-4 * Math.max(1, Math.abs(dot)));
    tf.dispose([xt, vt, y, grad, xv, value, grads[xv.name]]);
  });

  test(`${backend}: forwardSync / vjpSync / jacobianSync / jvpSync / scaleGradientSync = their async twins (built-in and user boxes)`, async (t) => {
    const user: BlackBox = {
      name: 'clipped-cubes',
      inputSize: 3,
      outputSize: 2,
      evaluate(inputs, count, outputs) {
        for (let r = 0; r < count; r++) {
          outputs[2 * r] = Math.max(-1, Math.min(1, inputs[3 * r] ** 3 - inputs[3 * r + 2]));
          outputs[2 * r + 1] = inputs[3 * r + 1] > 0 ? 1 : 0;
        }
      },
    };
    for (const [f, extra] of [
      [blackboxes.ranks(4), {}],
      [user, { covariate: 'fx' as const }],
      [blackboxes.shortestPath(3, 3), { scale: Float32Array.from({ length: 9 }, (_, i) => 0.3 + 0.1 * i) }],
    ] as const) {
      const smoother = smooth(f, options(backend, extra));
      const B = 2;
      const x = randomArray(B * f.inputSize, 3);
      const v = randomArray(B * f.outputSize, 4);
      const tv = randomArray(B * f.inputSize, 5);
      const a = await smoother.forward(x, { seed: 7 });
      const s = smoother.forwardSync(x, { seed: 7 });
      t.deepEqual(Array.from(s.value), Array.from(a.value), f.name);
      t.deepEqual(Array.from(s.stderr), Array.from(a.stderr), f.name);
      t.deepEqual(Array.from(s.vjpSync(v)), Array.from(await a.vjp(v)), f.name);
      t.deepEqual(Array.from(s.jacobianSync()), Array.from(await a.jacobian()), f.name);
      t.deepEqual(Array.from(s.jvpSync(tv)), Array.from(await a.jvp(tv)), f.name);
      t.deepEqual(Array.from(s.scaleGradientSync(v)), Array.from(await a.scaleGradient(v)), f.name);
    }
  });

  test(`${backend}: the synchronous path refuses an asynchronous black box with ERR_UNSUPPORTED, and the async path still takes it`, async (t) => {
    const slow: BlackBox = {
      name: 'async-box',
      inputSize: 2,
      outputSize: 1,
      async evaluate(inputs, count, outputs) {
        await new Promise((resolve) => setImmediate(resolve));
        for (let r = 0; r < count; r++) outputs[r] = inputs[2 * r] > 0 ? 1 : 0;
      },
    };
    const smoother = smooth(slow, options(backend));
    const err = t.throws(() => smoother.forwardSync(new Float32Array([0.1, 0.2])));
    t.true(err instanceof SmoothingError);
    t.is((err as SmoothingError).code, 'ERR_UNSUPPORTED');
    t.regex(err!.message, /async-box.*asynchronous/);
    const ok = await smoother.forward(new Float32Array([0.1, 0.2]));
    t.true(ok.value[0] > 0.5 && ok.value[0] < 0.6);
  });
}

test('scale op: d/dx is the VJP and d/dγ the batch sum of scaleGradient (scalar γ and diagonal σ)', async (t) => {
  const n = 4;
  const B = 3;
  const x = randomArray(B * n, 8);
  const v = randomArray(B * n, 9);
  const base = smooth(blackboxes.ranks(n), options('js', { distribution: 'gaussian' }));
  // 0.75: a float32 value, so the tensor holds the same γ as the reference.
  for (const scale of [0.75, Float32Array.from([0.5, 0.6, 0.7, 0.8])]) {
    const ref = await base.withScale(scale).forward(x, { seed: 11 });
    const refX = await ref.vjp(v);
    const perRow = await ref.scaleGradient(v);
    const size = perRow.length / B;
    const refScale = Array.from({ length: size }, (_, k) => perRow[k] + perRow[size + k] + perRow[2 * size + k]);

    const op = smoothedScaleOp(base, { seed: 11 });
    const xt = tf.tensor2d(x, [B, n]);
    const st = typeof scale === 'number' ? tf.scalar(scale) : tf.tensor1d(scale);
    const vt = tf.tensor2d(v, [B, n]);
    const [gx, gs] = tf.grads((a: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(op(a, s), vt)))([xt, st]);
    t.deepEqual(gs.shape, st.shape);
    t.deepEqual(Array.from(gx.dataSync()), Array.from(refX));
    t.true(maxAbsDiff(gs.dataSync(), refScale) <= 1e-5 * Math.max(1, ...refScale.map(Math.abs)));
    tf.dispose([xt, st, vt, gx, gs]);
  }
});

test('no tensor leaks over 100 optimizer steps (algorithm smoothing, loss smoothing, learned scale)', (t) => {
  const n = 5;
  const smoother = smooth(blackboxes.permutation(n), options(BACKENDS[BACKENDS.length - 1], { samples: 64 }));
  const op = smoothedOp(smoother, { outputShape: [n, n] });
  const scaleOp = smoothedScaleOp(smoother, { outputShape: [n, n] });
  const lossOp = smoothedLossOp(blackboxes.ranks(n), (y, target) => (y.every((r, i) => r === target[i]) ? 0 : 1), (box) =>
    smooth(box, options(BACKENDS[BACKENDS.length - 1], { samples: 64 })),
  );
  const w = tf.variable(tf.tensor2d(randomArray(2 * n, 12), [2, n]));
  // γ = exp(θ): the usual way to keep a learned scale positive.
  const logGamma = tf.variable(tf.scalar(Math.log(0.7)));
  const target = tf.tensor3d(Float32Array.from({ length: 2 * n * n }, (_, k) => (Math.floor(k / n) % n === k % n ? 1 : 0)), [2, n, n]);
  const ranksTarget = tf.tensor2d([0, 1, 2, 3, 4, 0, 1, 2, 3, 4], [2, n]);
  const optimizer = tf.train.adam(0.05);
  const step = () => {
    optimizer.minimize(() => tf.mean(tf.sum(tf.mul(target, tf.neg(tf.log(tf.add(op(w), 1e-6)))), [1, 2])) as tf.Scalar);
    optimizer.minimize(() => tf.mean(tf.square(tf.sub(scaleOp(w, tf.exp(logGamma)), target))) as tf.Scalar);
    optimizer.minimize(() => tf.mean(lossOp(w, ranksTarget)) as tf.Scalar);
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 100; i++) step();
  t.is(tf.memory().numTensors, before);
  tf.dispose([w, logGamma, target, ranksTarget]);
  optimizer.dispose();
});

test('training through the op lowers the loss: scores learn a target order (algorithm and loss smoothing)', (t) => {
  const n = 5;
  const backend = BACKENDS[BACKENDS.length - 1];
  // The target: item i at ascending position π(i).
  const pi = [3, 0, 4, 1, 2];
  const target = tf.tensor3d(Float32Array.from({ length: n * n }, (_, k) => (pi[Math.floor(k / n)] === k % n ? 1 : 0)), [1, n, n]);
  const op = smoothedOp(smooth(blackboxes.permutation(n), options(backend)), { outputShape: [n, n] });
  const w = tf.variable(tf.zeros([1, n]));
  const optimizer = tf.train.adam(0.1);
  const crossEntropy = () => tf.sum(tf.mul(target, tf.neg(tf.log(tf.add(op(w), 1e-6))))) as tf.Scalar;
  const first = crossEntropy().dataSync()[0];
  for (let i = 0; i < 60; i++) optimizer.minimize(crossEntropy);
  const last = crossEntropy().dataSync()[0];
  t.true(last < 0.5 * first, `cross-entropy ${first} → ${last}`);
  const order = Array.from(w.dataSync()).map((s, i) => [s, i]).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  t.deepEqual(order.map((i) => pi[i]), [0, 1, 2, 3, 4]);

  // Loss smoothing of a 0/1 loss (not differentiable at all): the smoothed loss must fall too.
  const ranksTarget = tf.tensor2d([pi], [1, n]);
  const lossOp = smoothedLossOp(blackboxes.ranks(n), (y, tg) => (y.every((r, i) => r === tg[i]) ? 0 : 1), (box) => smooth(box, options(backend, { samples: 1024 })));
  const v = tf.variable(tf.zeros([1, n]));
  const lossOpt = tf.train.adam(0.1);
  const zeroOne = () => tf.sum(lossOp(v, ranksTarget)) as tf.Scalar;
  const start = zeroOne().dataSync()[0];
  for (let i = 0; i < 80; i++) lossOpt.minimize(zeroOne);
  const end = zeroOne().dataSync()[0];
  t.true(start > 0.9 && end < 0.5, `smoothed 0/1 loss ${start} → ${end}`);
  tf.dispose([target, w, ranksTarget, v]);
});

test('bad input is a SmoothingError before any work: shapes, outputShape, seed, targets, scale', (t) => {
  const smoother = smooth(blackboxes.permutation(3), options('js'));
  const code = (f: () => unknown) => (t.throws(f) as SmoothingError).code;
  t.is(code(() => smoothedOp(smoother, { outputShape: [2, 2] })), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => smoothedOp(smoother, { seed: -1 })), 'ERR_INVALID_ARGUMENT');
  const op = smoothedOp(smoother);
  t.is(code(() => op(tf.tensor1d([1, 2, 3]))), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => op(tf.tensor2d([1, 2, 3, 4], [1, 4]))), 'ERR_INVALID_ARGUMENT');
  const scaleOp = smoothedScaleOp(smoother);
  t.is(code(() => scaleOp(tf.tensor2d([1, 2, 3], [1, 3]), tf.tensor1d([0.5, 0.5]))), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => scaleOp(tf.tensor2d([1, 2, 3], [1, 3]), tf.scalar(-1))), 'ERR_INVALID_ARGUMENT');
  const lossOp = smoothedLossOp(blackboxes.ranks(3), () => 0, (box) => smooth(box, options('js')));
  t.is(code(() => lossOp(tf.tensor2d([1, 2, 3], [1, 3]), tf.tensor2d([0, 1, 2, 0, 1, 2], [2, 3]))), 'ERR_INVALID_ARGUMENT');
  t.is(code(() => smoothedLossOp(blackboxes.ranks(3), () => 0, () => smoother)), 'ERR_INVALID_ARGUMENT');
});

test('fenchelYoungLossOp: value and gradient equal fenchelYoungLoss for the same seed; dy scales the gradient; training lowers the loss', async (t) => {
  const n = 4;
  const opts = { distribution: 'gumbel', scale: 0.5, samples: 512, sampler: 'mc', covariate: 'none', seed: 21, backend: 'js' } as const;
  const smoother = smooth(blackboxes.argmax(n), opts);
  const theta = randomArray(2 * n, 5);
  const target = Float32Array.from([0, 0, 1, 0, 1, 0, 0, 0]);
  const op = fenchelYoungLossOp(smoother, { seed: 21 });
  const plain = await fenchelYoungLoss(smoother, theta, target, { seed: 21 });
  const th = tf.tensor2d(theta, [2, n]);
  const tt = tf.tensor2d(target, [2, n]);
  const weights = tf.tensor1d([1, -2]);
  const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => tf.sum(tf.mul(op(x, tt), weights)))([th]);
  t.true(Math.abs(value.dataSync()[0] - (plain.loss[0] - 2 * plain.loss[1])) < 1e-5);
  const g = grads[0].dataSync();
  for (let j = 0; j < n; j++) {
    t.true(Math.abs(g[j] - plain.gradient[j]) < 1e-6);
    t.true(Math.abs(g[n + j] + 2 * plain.gradient[n + j]) < 1e-6);
  }
  t.throws(() => fenchelYoungLossOp(smooth(blackboxes.fromFunction((x) => x[0], { inputSize: 1, outputSize: 1 }), opts)), { instanceOf: SmoothingError, code: 'ERR_UNSUPPORTED' } as never);
  // Training θ on the loss moves the perturbed argmax towards the target (its softmax puts more mass there).
  const w = tf.variable(tf.zeros([1, n]));
  const t1 = tf.tensor2d([[0, 1, 0, 0]]);
  const optimizer = tf.train.sgd(0.5);
  for (let i = 0; i < 30; i++) optimizer.minimize(() => tf.sum(op(w, t1)) as tf.Scalar);
  const learned = Array.from(w.dataSync());
  t.true(learned[1] > Math.max(learned[0], learned[2], learned[3]) + 0.5, `θ after training: ${learned}`);
});
