/**
 * The tfjs models of the training demos, built from seeded layers so that every method of a comparison starts
 * from the same weights. Three sizes (`--model`):
 *  - dense: weight-shared dense layers only, a stride-28 (digits) or stride-patch (terrain cells) "convolution"
 *    written as a reshape and a matMul; the fastest, and what the pure-JS cpu backend can afford.
 *  - cnn: small real convolutions (./conv.ts, im2col), sized to train in the default budget on 2 cores with the
 *    WebAssembly backend.
 *  - paper: the paper's architectures (per-digit 5×5×32 → pool → 5×5×64 → pool → dense for ranking; for the
 *    terrain maps a stack of 3×3 convolutions over the map, a stand-in for the first ResNet block the paper uses),
 *    for a faster backend (tfjs-node).
 * docs/training/README.md has the measured ms/step of each.
 */
import * as tf from '@tensorflow/tfjs';
import { avgPool, conv2dIm2col, maxPool } from './conv.js';
import type { Rng } from './rng.js';

import type { Architecture } from './model-names.js';

export { ARCHITECTURES, type Architecture } from './model-names.js';

/** A layer's weights: dense [inputs, outputs] or convolution [k, k, C, F], and its biases. */
export interface Dense {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
}

function glorot(rng: Rng, size: number, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return Float32Array.from({ length: size }, () => (2 * rng.next() - 1) * limit);
}

/** A dense layer with Glorot-uniform weights from rng and zero biases. */
export function dense(rng: Rng, inputs: number, outputs: number): Dense {
  const w = glorot(rng, inputs * outputs, inputs, outputs);
  return { w: tf.variable(tf.tensor2d(w, [inputs, outputs])), b: tf.variable(tf.zeros([outputs])) };
}

/** A k×k convolution from `inputs` to `outputs` channels, Glorot-uniform (fans k·k·C and k·k·F, as Keras). */
export function conv(rng: Rng, k: number, inputs: number, outputs: number): Dense {
  const w = glorot(rng, k * k * inputs * outputs, k * k * inputs, k * k * outputs);
  return { w: tf.variable(tf.tensor4d(w, [k, k, inputs, outputs])), b: tf.variable(tf.zeros([outputs])) };
}

export function applyDense(layer: Dense, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, layer.w as tf.Tensor2D), layer.b);
}

function applyConv(layer: Dense, x: tf.Tensor4D, padding: 'same' | 'valid', stride = 1): tf.Tensor4D {
  return tf.relu(tf.add(conv2dIm2col(x, layer.w as tf.Tensor4D, padding, stride), layer.b)) as tf.Tensor4D;
}

export interface Model {
  readonly architecture: Architecture;
  readonly layers: readonly Dense[];
}

export function disposeModel(model: Model): void {
  for (const l of model.layers) tf.dispose([l.w, l.b]);
}

/**
 * The ranking scorer. Each of the four 28×28 digits of a number goes through the same digit encoder (shared
 * weights), the four codes are concatenated → 64 → 1 score. Digit encoders:
 *  - dense: 784 → 64;
 *  - cnn: 3×3×8 at stride 2 (valid: 13×13) → 3×3×16 (valid: 11×11) → pool 2 → 400 → 32 (the stride instead of a
 *    first pool: 4× less work in the widest layer);
 *  - paper: 5×5×32 (same) → pool 2 → 5×5×64 (same) → pool 2 → 3136 → 64.
 */
export function digitScorer(rng: Rng, architecture: Architecture = 'dense'): Model {
  switch (architecture) {
    case 'dense':
      return { architecture, layers: [dense(rng, 784, 64), dense(rng, 256, 64), dense(rng, 64, 1)] };
    case 'cnn':
      return { architecture, layers: [conv(rng, 3, 1, 8), conv(rng, 3, 8, 16), dense(rng, 400, 32), dense(rng, 128, 64), dense(rng, 64, 1)] };
    case 'paper':
      return { architecture, layers: [conv(rng, 5, 1, 32), conv(rng, 5, 32, 64), dense(rng, 3136, 64), dense(rng, 256, 64), dense(rng, 64, 1)] };
  }
}

/** digits [D, 28, 28] → codes [D, code size] (the per-digit encoder of digitScorer). */
function encodeDigits(model: Model, digits: tf.Tensor3D): tf.Tensor2D {
  const D = digits.shape[0];
  if (model.architecture === 'dense') return tf.relu(applyDense(model.layers[0], digits.reshape([D, 784]) as tf.Tensor2D));
  const x = digits.reshape([D, 28, 28, 1]) as tf.Tensor4D;
  const h1 = model.architecture === 'cnn' ? applyConv(model.layers[0], x, 'valid', 2) : maxPool(applyConv(model.layers[0], x, 'same'), 2);
  const h2 = maxPool(applyConv(model.layers[1], h1, model.architecture === 'cnn' ? 'valid' : 'same'), 2);
  return tf.relu(applyDense(model.layers[2], h2.reshape([D, h2.size / D]) as tf.Tensor2D));
}

/** images [N, 28, 112] → scores [N]. */
export function scoreNumbers(model: Model, images: tf.Tensor3D): tf.Tensor1D {
  return tf.tidy(() => {
    const N = images.shape[0];
    const digits = images.reshape([N, 28, 4, 28]).transpose([0, 2, 1, 3]).reshape([N * 4, 28, 28]) as tf.Tensor3D;
    const codes = encodeDigits(model, digits);
    const top = model.layers.length - 2;
    const hidden = tf.relu(applyDense(model.layers[top], codes.reshape([N, 4 * codes.shape[1]]) as tf.Tensor2D));
    return applyDense(model.layers[top + 1], hidden).reshape([N]) as tf.Tensor1D;
  });
}

/**
 * The terrain cost model, one cost per cell:
 *  - dense: each cell's patch×patch×3 pixels alone → 32 → 1 (a stride-patch convolution, no context);
 *  - cnn: 3×3×8 over the pixels → mean pool over each cell → 3×3×16 over the cell grid (each cell sees its
 *    8 neighbours) → 1;
 *  - paper: 3×3×32 → 3×3×32 → pool 2 → 3×3×64 → pool 2 (patch 4: one value per cell) → 1.
 * softplus keeps the predicted cost positive.
 */
export function cellCoster(rng: Rng, patch: number, architecture: Architecture = 'dense'): Model {
  switch (architecture) {
    case 'dense':
      return { architecture, layers: [dense(rng, patch * patch * 3, 32), dense(rng, 32, 1)] };
    case 'cnn':
      return { architecture, layers: [conv(rng, 3, 3, 8), conv(rng, 3, 8, 16), dense(rng, 16, 1)] };
    case 'paper':
      return { architecture, layers: [conv(rng, 3, 3, 32), conv(rng, 3, 32, 32), conv(rng, 3, 32, 64), dense(rng, 64, 1)] };
  }
}

/** images [B, rows·patch, cols·patch, 3] → one raw (pre-softplus) value per cell, [B·rows·cols, 1]. */
function cellLogits(model: Model, images: tf.Tensor4D, rows: number, cols: number, patch: number): tf.Tensor2D {
  const B = images.shape[0];
  const L = model.layers;
  switch (model.architecture) {
    case 'dense': {
      const cells = images
        .reshape([B, rows, patch, cols, patch, 3])
        .transpose([0, 1, 3, 2, 4, 5])
        .reshape([B * rows * cols, patch * patch * 3]) as tf.Tensor2D;
      return applyDense(L[1], tf.relu(applyDense(L[0], cells)));
    }
    case 'cnn': {
      const grid = avgPool(applyConv(L[0], images, 'same'), patch);
      const context = applyConv(L[1], grid, 'same');
      return applyDense(L[2], context.reshape([B * rows * cols, 16]) as tf.Tensor2D);
    }
    case 'paper': {
      if (patch !== 4) throw new Error('the paper cost model pools twice by 2: it needs patch = 4');
      const h = maxPool(applyConv(L[1], applyConv(L[0], images, 'same'), 'same'), 2);
      const grid = maxPool(applyConv(L[2], h, 'same'), 2);
      return applyDense(L[3], grid.reshape([B * rows * cols, 64]) as tf.Tensor2D);
    }
  }
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
    const costs = tf.softplus(cellLogits(model, images, rows, cols, patch)).reshape([B, rows * cols]);
    return tf.div(costs, tf.mean(costs, 1, true)) as tf.Tensor2D;
  });
}
