/**
 * The im2col convolution of the training models (lib/train/conv.ts) equals tf.conv2d in value and in both
 * gradients (input and kernel, by tf.grads), on the pure-JS cpu backend and on the WebAssembly backend, where
 * tf.conv2d itself cannot be differentiated (no Conv2DBackpropFilter kernel): there the reference is tf.conv2d on cpu.
 * The pools equal tf.maxPool / tf.avgPool in value and gradient.
 */
import * as tf from '@tensorflow/tfjs';
import test from 'ava';
import { avgPool, conv2dIm2col, maxPool } from '../lib/train/conv.js';
import { createRng } from '../lib/train/rng.js';
import { useTfBackend } from '../lib/train/tf-backend.js';

tf.env().set('IS_TEST', true);

function random(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => 2 * rng.next() - 1), shape);
}

interface Case {
  x: number[];
  k: number[];
  padding: 'same' | 'valid';
  stride?: number;
}
const CASES: Case[] = [
  { x: [2, 9, 7, 1], k: [3, 3, 1, 4], padding: 'valid' },
  { x: [3, 8, 8, 3], k: [3, 3, 3, 5], padding: 'same' },
  { x: [2, 10, 10, 2], k: [5, 5, 2, 3], padding: 'same' },
  { x: [1, 6, 5, 2], k: [1, 1, 2, 3], padding: 'valid' },
  { x: [2, 11, 10, 2], k: [3, 3, 2, 4], padding: 'valid', stride: 2 },
  { x: [1, 9, 9, 1], k: [2, 2, 1, 2], padding: 'valid', stride: 3 },
];

/** Value, d/dx and d/dkernel of sum(conv(x, kernel) · r) for a conv function, as plain arrays. */
function evaluate(c: Case, seed: number, convolve: (x: tf.Tensor4D, k: tf.Tensor4D) => tf.Tensor4D): Float32Array[] {
  return tf.tidy(() => {
    const x = random(c.x, seed) as tf.Tensor4D;
    const k = random(c.k, seed + 1) as tf.Tensor4D;
    const y = convolve(x, k);
    const r = random(y.shape, seed + 2);
    const [dx, dk] = tf.grads((a, b) => tf.sum(tf.mul(convolve(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, k]);
    return [y, dx, dk].map((t) => t.dataSync() as Float32Array);
  });
}

/** |a − b| ≤ 1e-5 + 1e-4 · max|b| elementwise: float32 sums in a different order. */
function close(t: import('ava').ExecutionContext, a: Float32Array, b: Float32Array, what: string): void {
  t.is(a.length, b.length, what);
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  t.true(scale > 0.01, `${what}: a non-trivial reference (max ${scale})`);
  t.true(worst <= 1e-5 + 1e-4 * scale, `${what}: worst difference ${worst} (scale ${scale})`);
}

test.serial('im2col convolution = tf.conv2d in value and gradients on the cpu backend, then on wasm', async (t) => {
  await useTfBackend(tf, 'cpu');
  const references = CASES.map((c, i) => evaluate(c, 10 * i, (x, k) => tf.conv2d(x, k, c.stride ?? 1, c.padding)));
  for (const [i, c] of CASES.entries()) {
    const mine = evaluate(c, 10 * i, (x, k) => conv2dIm2col(x, k, c.padding, c.stride ?? 1));
    ['value', 'd/dx', 'd/dkernel'].forEach((what, j) => close(t, mine[j], references[i][j], `cpu ${JSON.stringify(c)} ${what}`));
  }
  t.is(await useTfBackend(tf, 'wasm'), 'wasm');
  for (const [i, c] of CASES.entries()) {
    const mine = evaluate(c, 10 * i, (x, k) => conv2dIm2col(x, k, c.padding, c.stride ?? 1));
    ['value', 'd/dx', 'd/dkernel'].forEach((what, j) => close(t, mine[j], references[i][j], `wasm ${JSON.stringify(c)} ${what}`));
  }
  // The reason for im2col: tf.conv2d's kernel gradient is missing on wasm.
  t.throws(() => evaluate(CASES[0], 0, (x, k) => tf.conv2d(x, k, 1, 'valid')), { message: /Conv2DBackpropFilter/ });
  await useTfBackend(tf, 'cpu');
});

test.serial('the pools equal tf.maxPool and tf.avgPool in value and gradient (floor for a size that does not divide)', async (t) => {
  await useTfBackend(tf, 'cpu');
  for (const [shape, size] of [[[2, 8, 8, 3], 2], [[1, 9, 7, 2], 2], [[2, 12, 12, 1], 4]] as [number[], number][]) {
    const x = random(shape, 99) as tf.Tensor4D;
    close(t, maxPool(x, size).dataSync() as Float32Array, tf.maxPool(x, size, size, 'valid').dataSync() as Float32Array, `max ${shape}`);
    close(t, avgPool(x, size).dataSync() as Float32Array, tf.avgPool(x, size, size, 'valid').dataSync() as Float32Array, `avg ${shape}`);
    // Gradients too (random inputs: no ties, so the maximum of each window is unique).
    const r = random(maxPool(x, size).shape, 7);
    const grad = (pool: (v: tf.Tensor4D) => tf.Tensor) => tf.grad((v) => tf.sum(tf.mul(pool(v as tf.Tensor4D), r)))(x).dataSync() as Float32Array;
    close(t, grad((v) => maxPool(v, size)), grad((v) => tf.maxPool(v, size, size, 'valid')), `max gradient ${shape}`);
    close(t, grad((v) => avgPool(v, size)), grad((v) => tf.avgPool(v, size, size, 'valid')), `avg gradient ${shape}`);
    x.dispose();
  }
});
