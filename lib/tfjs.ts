/**
 * stochastic-smoothing/tfjs: a smoothed black box as a TensorFlow.js operation.
 *
 *   const op = smoothedOp(smooth(blackboxes.permutation(5), { ... }), { outputShape: [5, 5] });
 *   const { value, grads } = tf.variableGrads(() => crossEntropy(op(model(images)), targets));
 *
 * The forward is the smoothed value E[f(x + Lε)] of every row of x (the leading dimension is the batch); the
 * gradient is the smoothed VJP for the upstream gradient dy, from the same samples (same seed). tfjs gradient
 * functions are synchronous, so both run through the library's synchronous path (forwardSync / vjpSync):
 * THE CALL BLOCKS THE EVENT LOOP for the duration of the estimate (the cpu backend still uses all its threads;
 * timers and I/O wait). The black box must evaluate synchronously (every built-in does).
 *
 * Fresh noise per call: each call uses seed, seed + 1, seed + 2, … (or the `seed` function you pass), so
 * consecutive training steps see independent samples and a run is reproducible.
 *
 * `@tensorflow/tfjs-core` is an optional peer dependency: only this module imports it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalid } from './errors.js';
import { fenchelYoungLossSync, maximizerOf } from './fenchel-young.js';
import { withLoss } from './loss.js';
import type { Smoothed, Smoother } from './smooth.js';
import type { BlackBox } from './types.js';

/** customGrad's argument type (tfjs-core does not export its name from the package root). */
type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

export interface SmoothedOpOptions {
  /** Shape of one output row (its product must be the black box's m). Default [m]; [] for a scalar box. */
  outputShape?: number[];
  /** Seed of each call: a function called once per call, or the first seed of a counter. Default: smoother.seed. */
  seed?: number | (() => number);
}

/** Algorithm smoothing: x [B, …] → smoothed f(x) [B, …outputShape]; d/dx is the VJP. */
export type SmoothedOp = (x: tf.Tensor) => tf.Tensor;

/** As SmoothedOp, with the noise scale an input too: d/dscale is the scale gradient (scalar γ or diagonal σ [n]). */
export type SmoothedScaleOp = (x: tf.Tensor, scale: tf.Tensor) => tf.Tensor;

interface Prepared {
  smoother: Smoother;
  outputShape: number[];
  nextSeed: () => number;
}

function prepare(smoother: Smoother, options: SmoothedOpOptions | undefined): Prepared {
  const m = smoother.blackBox.outputSize;
  const outputShape = options?.outputShape ?? [m];
  if (!Array.isArray(outputShape) || outputShape.some((d) => !Number.isSafeInteger(d) || d <= 0) || outputShape.reduce((a, d) => a * d, 1) !== m) {
    throw invalid('options.outputShape', outputShape, `the output shape must be positive integers whose product is the black box's output size m = ${m}.`, `pass [${m}] (the default), or e.g. [rows, cols] with rows·cols = ${m}`);
  }
  const seed = options?.seed ?? smoother.seed;
  let nextSeed: () => number;
  if (typeof seed === 'function') nextSeed = seed;
  else if (Number.isSafeInteger(seed) && seed >= 0) {
    let counter = seed;
    nextSeed = () => counter++;
  } else {
    throw invalid('options.seed', seed, 'the seed must be a non-negative safe integer or a function returning one.', 'pass seed: 0, or seed: () => step');
  }
  return { smoother, outputShape, nextSeed };
}

/** Rows and row size of x, with the checks that must happen before any work. */
function rowsOf(x: tf.Tensor, n: number, argument: string): number {
  if (!(x instanceof tf.Tensor)) throw invalid(argument, x, 'the input must be a tf.Tensor.', 'pass a tensor of shape [batch, …] whose trailing dimensions hold n numbers');
  if (x.rank < 2) throw invalid(argument, x.shape, `the input must have a batch dimension: shape [B, …] with n = ${n} numbers per row.`, `reshape it to [1, ${n}] for a single input`);
  const rowSize = x.shape.slice(1).reduce((a, d) => a * d, 1);
  if (rowSize !== n) throw invalid(argument, x.shape, `each row of the input must hold the black box's n = ${n} numbers; shape ${JSON.stringify(x.shape)} holds ${rowSize}.`, `pass shape [B, ${n}]`);
  return x.shape[0];
}

/** A tensor's values as float32 (an int32 tensor is converted). */
function floats(t: tf.Tensor): Float32Array {
  const data = t.dataSync();
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

function forward(p: Prepared, smoother: Smoother, x: tf.Tensor): { smoothed: Smoothed; y: tf.Tensor } {
  const batch = rowsOf(x, smoother.blackBox.inputSize, 'x');
  const smoothed = smoother.forwardSync(floats(x), { batch, seed: p.nextSeed() });
  return { smoothed, y: tf.tensor(smoothed.value, [batch, ...p.outputShape], 'float32') };
}

/** d/dx for the upstream gradient dy: the smoothed VJP, shaped like x. */
function vjpTensor(smoothed: Smoothed, dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.tensor(smoothed.vjpSync(floats(dy)), x.shape, 'float32');
}

/**
 * Wrap a smoother as a tfjs op (algorithm smoothing): apply any differentiable tfjs loss to its output.
 * Works inside tf.variableGrads / optimizer.minimize / tf.tidy; allocates only its output and gradient.
 */
export function smoothedOp(smoother: Smoother, options?: SmoothedOpOptions): SmoothedOp {
  const p = prepare(smoother, options);
  const op = tf.customGrad(((x: tf.Tensor) => {
    const { smoothed, y } = forward(p, smoother, x);
    return { value: y, gradFunc: (dy: tf.Tensor) => vjpTensor(smoothed, dy, x) };
  }) as unknown as CustomGradientFunc);
  return (x: tf.Tensor) => op(x);
}

/**
 * A smoothed op whose noise scale is a tensor too (a scalar γ, or σ of shape [n] for a diagonal scale), so that
 * the scale can be learned: its gradient is the sum over the batch of the scale gradient for dy.
 */
export function smoothedScaleOp(smoother: Smoother, options?: SmoothedOpOptions): SmoothedScaleOp {
  const p = prepare(smoother, options);
  const n = smoother.blackBox.inputSize;
  const op = tf.customGrad(((x: tf.Tensor, scale: tf.Tensor) => {
    if (!(scale instanceof tf.Tensor) || !(scale.rank === 0 || (scale.rank === 1 && scale.size === n))) {
      throw invalid('scale', scale instanceof tf.Tensor ? scale.shape : scale, `the scale must be a scalar tensor (γ) or a tensor of shape [${n}] (σ per coordinate).`, 'pass tf.scalar(0.5) or tf.fill([n], 0.5)');
    }
    const values = floats(scale);
    const scaled = smoother.withScale(scale.rank === 0 ? values[0] : Float32Array.from(values));
    const { smoothed, y } = forward(p, scaled, x);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor) => {
        const dx = vjpTensor(smoothed, dy, x);
        const perRow = smoothed.scaleGradientSync(floats(dy));
        const size = perRow.length / smoothed.batch;
        const total = new Float32Array(size);
        for (let b = 0; b < smoothed.batch; b++) for (let k = 0; k < size; k++) total[k] += perRow[b * size + k];
        return [dx, tf.tensor(total, scale.shape, 'float32')];
      },
    };
  }) as unknown as CustomGradientFunc);
  return (x: tf.Tensor, scale: tf.Tensor) => op(x, scale);
}

/** A per-row loss of f's output and that row's target; may be non-differentiable (a 0/1 loss, a Hamming distance). */
export type RowLoss = (output: Float32Array, target: Float32Array) => number;

/** Loss smoothing: (x [B, …], targets [B, …]) → the B smoothed losses E[ℓ(f(x_b + Lε), t_b)]; d/dx only. */
export type SmoothedLossOp = (x: tf.Tensor, targets: tf.Tensor) => tf.Tensor1D;

/**
 * Loss smoothing as a tfjs op: smooths the scalar composite z ↦ loss(f(z), target_b) itself, so the loss need not
 * be differentiable. `configure(box)` builds the smoother of that composite box, e.g.
 * `(box) => smooth(box, { distribution: 'gaussian', scale: 0.5, samples: 256, sampler: 'rqmc-latin', covariate: 'loo' })`.
 */
export function smoothedLossOp(f: BlackBox, loss: RowLoss, configure: (box: BlackBox) => Smoother, options?: Omit<SmoothedOpOptions, 'outputShape'>): SmoothedLossOp {
  if (typeof loss !== 'function') throw invalid('loss', loss, 'loss must be a function (output, target) => number.', 'pass for example (y, t) => hamming(y, t)');
  // The targets of the call being evaluated: set before the forward and again before its gradient, which
  // re-evaluates the same samples later (another call may have run in between).
  let targets: Float32Array = new Float32Array(0);
  let targetSize = 0;
  const box = withLoss(f, (y, b) => loss(y, targets.subarray(b * targetSize, (b + 1) * targetSize)), `loss(${f.name})`);
  const smoother = configure(box);
  if (smoother?.blackBox !== box) throw invalid('configure', configure, 'configure(box) must return smooth(box, options) for the box it is given.', 'return smooth(box, { ... }) from configure');
  const p = prepare(smoother, { ...options, outputShape: [] });
  const op = tf.customGrad(((x: tf.Tensor, t: tf.Tensor) => {
    const batch = rowsOf(x, f.inputSize, 'x');
    if (!(t instanceof tf.Tensor) || t.rank < 1 || t.shape[0] !== batch) throw invalid('targets', t instanceof tf.Tensor ? t.shape : t, `targets must be a tensor with one row per input row (${batch}).`, `pass shape [${batch}, …]`);
    const mine = floats(t);
    const size = t.size / batch;
    targets = mine;
    targetSize = size;
    const { smoothed, y } = forward(p, smoother, x);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor) => {
        targets = mine;
        targetSize = size;
        return [vjpTensor(smoothed, dy, x), tf.zerosLike(t)];
      },
    };
  }) as unknown as CustomGradientFunc);
  return (x: tf.Tensor, t: tf.Tensor) => op(x, t) as tf.Tensor1D;
}

/** Fenchel–Young loss as a tfjs op: (θ [B, n], targets [B, …m]) → the B losses F(θ_b) − ⟨θ_b, φ(t_b)⟩. */
export type FenchelYoungLossOp = (theta: tf.Tensor, targets: tf.Tensor) => tf.Tensor1D;

/**
 * The Fenchel–Young loss of a smoother of a linear maximiser (see fenchelYoungLoss, README "Fenchel–Young loss"),
 * as a tfjs op: d/dθ_b = dy_b·(E[φ(y*)] − φ(t_b)), from the samples of the forward (no second pass). The targets
 * are data: their gradient is zero. Blocks the event loop like the other ops.
 */
export function fenchelYoungLossOp(smoother: Smoother, options?: Omit<SmoothedOpOptions, 'outputShape'>): FenchelYoungLossOp {
  const p = prepare(smoother, { ...options, outputShape: undefined });
  maximizerOf(smoother.blackBox, 'fenchelYoungLossOp'); // ERR_UNSUPPORTED now, not at the first call
  const n = smoother.blackBox.inputSize;
  const m = smoother.blackBox.outputSize;
  const op = tf.customGrad(((theta: tf.Tensor, t: tf.Tensor) => {
    const batch = rowsOf(theta, n, 'theta');
    if (!(t instanceof tf.Tensor) || t.rank < 1 || t.shape[0] !== batch || t.size !== batch * m) {
      throw invalid('targets', t instanceof tf.Tensor ? t.shape : t, `targets must be a tensor of ${batch} rows of the black box's m = ${m} outputs.`, `pass shape [${batch}, ${m}]`);
    }
    const r = fenchelYoungLossSync(smoother, floats(theta), floats(t), { seed: p.nextSeed() });
    return {
      value: tf.tensor1d(r.loss, 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        const d = floats(dy);
        const g = new Float32Array(batch * n);
        for (let b = 0; b < batch; b++) for (let j = 0; j < n; j++) g[b * n + j] = d[b] * r.gradient[b * n + j];
        return [tf.tensor(g, theta.shape, 'float32'), tf.zerosLike(t)];
      },
    };
  }) as unknown as CustomGradientFunc);
  return (theta: tf.Tensor, t: tf.Tensor) => op(theta, t) as tf.Tensor1D;
}
