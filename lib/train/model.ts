/**
 * The small tfjs models of the training demos, built from seeded dense layers so that every method of a
 * comparison starts from the same weights. Dense layers only: tfjs's pure-JS cpu backend is slow at conv2d
 * gradients (measured on a 2-core VM, batch of 40 images of 28×112: one 5×5 convolution layer 3 s per
 * training step, the whole dense ranking model 58 ms), so the
 * paper's CNNs become their weight-shared equivalents, a stride-28 (digits) or stride-4 (terrain cells)
 * "convolution" written as a reshape and a matMul.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.js';

export interface Dense {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
}

/** A dense layer with Glorot-uniform weights from rng and zero biases. */
export function dense(rng: Rng, inputs: number, outputs: number): Dense {
  const limit = Math.sqrt(6 / (inputs + outputs));
  const w = Float32Array.from({ length: inputs * outputs }, () => (2 * rng.next() - 1) * limit);
  return { w: tf.variable(tf.tensor2d(w, [inputs, outputs])), b: tf.variable(tf.zeros([outputs])) };
}

export function applyDense(layer: Dense, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, layer.w), layer.b);
}

export interface Model {
  readonly layers: readonly Dense[];
}

export function disposeModel(model: Model): void {
  for (const l of model.layers) tf.dispose([l.w, l.b]);
}

/**
 * The ranking scorer: each of the four 28×28 digits of a number goes through the same 784 → 64 layer
 * (shared weights: a stride-28 convolution), the four codes are concatenated (256) → 64 → 1 score.
 */
export function digitScorer(rng: Rng): Model {
  return { layers: [dense(rng, 784, 64), dense(rng, 256, 64), dense(rng, 64, 1)] };
}

/** images [N, 28, 112] → scores [N]. */
export function scoreNumbers(model: Model, images: tf.Tensor3D): tf.Tensor1D {
  return tf.tidy(() => {
    const N = images.shape[0];
    const digits = images.reshape([N, 28, 4, 28]).transpose([0, 2, 1, 3]).reshape([N * 4, 784]) as tf.Tensor2D;
    const codes = tf.relu(applyDense(model.layers[0], digits)).reshape([N, 256]) as tf.Tensor2D;
    const hidden = tf.relu(applyDense(model.layers[1], codes));
    return applyDense(model.layers[2], hidden).reshape([N]) as tf.Tensor1D;
  });
}

/**
 * The terrain cost model: each cell's patch×patch×3 pixels go through the same 48 → 32 → 1 layers
 * (a stride-4 convolution), softplus keeps the predicted cost positive.
 */
export function cellCoster(rng: Rng, patch: number): Model {
  return { layers: [dense(rng, patch * patch * 3, 32), dense(rng, 32, 1)] };
}

/**
 * images [B, rows·patch, cols·patch, 3] → costs [B, rows·cols], normalised to mean 1 per map. The shortest
 * path does not depend on the scale of the costs, but smoothing does: without the normalisation a model can
 * lower a smoothed loss just by inflating every cost until the noise γ no longer matters (measured: loss
 * smoothing then made all costs grow, roads the most). With it, γ is always relative to the mean cell cost.
 */
export function predictCosts(model: Model, images: tf.Tensor4D, rows: number, cols: number, patch: number): tf.Tensor2D {
  return tf.tidy(() => {
    const B = images.shape[0];
    const cells = images
      .reshape([B, rows, patch, cols, patch, 3])
      .transpose([0, 1, 3, 2, 4, 5])
      .reshape([B * rows * cols, patch * patch * 3]) as tf.Tensor2D;
    const hidden = tf.relu(applyDense(model.layers[0], cells));
    const costs = tf.softplus(applyDense(model.layers[1], hidden)).reshape([B, rows * cols]);
    return tf.div(costs, tf.mean(costs, 1, true)) as tf.Tensor2D;
  });
}
