/**
 * A 2-D convolution and 2-D pools whose gradients exist on every tfjs backend (im2col and max pooling as custom
 * ops with their own gradients; pad, reshape, matMul and mean from tfjs). tf.conv2d cannot train on the
 * WebAssembly backend: it has no Conv2DBackpropFilter kernel there.
 *
 * im2col: the k×k neighbourhood of every output pixel is laid out as one row of k·k·C numbers, ordered
 * (dy, dx, c) — the order of a [k, k, C, F] kernel flattened to [k·k·C, F] — so the convolution is one matMul.
 */
import * as tf from '@tensorflow/tfjs';

export type ConvPadding = 'same' | 'valid';

/**
 * The im2col rows of x [N, H, W, C] for a k×k window at stride s: [N·Ho·Wo, k·k·C], Ho = ⌊(H − k)/s⌋ + 1 (x
 * already padded). Written as plain loops in a custom op (its gradient is the matching col2im scatter-add): tfjs's
 * Slice and Concat kernels on wasm walk their elements generically and took over 90 % of a small CNN's forward
 * pass there (docs/training/README.md).
 */
function im2col(x: tf.Tensor4D, k: number, stride: number): tf.Tensor2D {
  const [N, H, W, C] = x.shape;
  const Ho = Math.floor((H - k) / stride) + 1;
  const Wo = Math.floor((W - k) / stride) + 1;
  const rowSize = k * k * C;
  const op = tf.customGrad(((input: tf.Tensor4D) => {
    const src = input.dataSync() as Float32Array;
    const cols = new Float32Array(N * Ho * Wo * rowSize);
    let o = 0;
    for (let n = 0; n < N; n++) {
      for (let y = 0; y < Ho; y++) {
        for (let xo = 0; xo < Wo; xo++) {
          for (let dy = 0; dy < k; dy++) {
            // The k pixels of window row dy are contiguous in x: k·C numbers copied at once.
            const from = ((n * H + y * stride + dy) * W + xo * stride) * C;
            for (let j = 0; j < k * C; j++) cols[o++] = src[from + j];
          }
        }
      }
    }
    return {
      value: tf.tensor2d(cols, [N * Ho * Wo, rowSize]),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const dx = new Float32Array(N * H * W * C);
        let i = 0;
        for (let n = 0; n < N; n++) {
          for (let y = 0; y < Ho; y++) {
            for (let xo = 0; xo < Wo; xo++) {
              for (let wy = 0; wy < k; wy++) {
                const to = ((n * H + y * stride + wy) * W + xo * stride) * C;
                for (let j = 0; j < k * C; j++) dx[to + j] += g[i++];
              }
            }
          }
        }
        return tf.tensor4d(dx, [N, H, W, C]);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor2D;
}

/**
 * x [N, H, W, C] convolved (cross-correlation, as tf.conv2d) with kernel [k, k, C, F] → [N, H', W', F];
 * 'same' pads (k − 1)/2 zeros on each side (odd k, stride 1 only), 'valid' none.
 */
export function conv2dIm2col(x: tf.Tensor4D, kernel: tf.Tensor4D, padding: ConvPadding, stride = 1): tf.Tensor4D {
  return tf.tidy(() => {
    const [k, k2, C, F] = kernel.shape;
    if (k !== k2 || x.shape[3] !== C) throw new Error(`conv2dIm2col: kernel ${JSON.stringify(kernel.shape)} does not fit input ${JSON.stringify(x.shape)}`);
    if (padding === 'same' && (k % 2 === 0 || stride !== 1)) throw new Error('conv2dIm2col: padding "same" needs an odd kernel size and stride 1');
    const half = padding === 'same' ? (k - 1) / 2 : 0;
    const padded = half > 0 ? tf.pad(x, [[0, 0], [half, half], [half, half], [0, 0]]) : x;
    const [N, Hp, Wp] = padded.shape;
    const columns = k === 1 && stride === 1 ? (padded.reshape([N * Hp * Wp, C]) as tf.Tensor2D) : im2col(padded, k, stride);
    const Ho = Math.floor((Hp - k) / stride) + 1;
    const Wo = Math.floor((Wp - k) / stride) + 1;
    return tf.matMul(columns, kernel.reshape([k * k * C, F]) as tf.Tensor2D).reshape([N, Ho, Wo, F]) as tf.Tensor4D;
  });
}

/**
 * Non-overlapping `size`×`size` max pool (floor: trailing rows and columns that do not fill a window are
 * dropped, as tf.maxPool with 'valid'). A custom op with loops: its gradient goes to the first maximum of each
 * window (as tf.maxPool's); the generic form (reshape + max) spent most of a wasm step in the broadcast Equal of
 * max's gradient.
 */
export function maxPool(x: tf.Tensor4D, size: number): tf.Tensor4D {
  const [N, H, W, C] = x.shape;
  const Ho = Math.floor(H / size);
  const Wo = Math.floor(W / size);
  const op = tf.customGrad(((input: tf.Tensor4D) => {
    const src = input.dataSync() as Float32Array;
    const out = new Float32Array(N * Ho * Wo * C);
    const from = new Int32Array(out.length); // index in x of each output's maximum
    for (let n = 0; n < N; n++) {
      for (let y = 0; y < Ho; y++) {
        for (let xo = 0; xo < Wo; xo++) {
          const o = ((n * Ho + y) * Wo + xo) * C;
          for (let c = 0; c < C; c++) {
            let best = -Infinity;
            let at = ((n * H + y * size) * W + xo * size) * C + c;
            for (let dy = 0; dy < size; dy++) {
              for (let dx = 0; dx < size; dx++) {
                const i = ((n * H + y * size + dy) * W + xo * size + dx) * C + c;
                if (src[i] > best) {
                  best = src[i];
                  at = i;
                }
              }
            }
            out[o + c] = best;
            from[o + c] = at;
          }
        }
      }
    }
    return {
      value: tf.tensor4d(out, [N, Ho, Wo, C]),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const dx = new Float32Array(N * H * W * C);
        for (let o = 0; o < g.length; o++) dx[from[o]] += g[o];
        return tf.tensor4d(dx, [N, H, W, C]);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor4D;
}

/** Non-overlapping `size`×`size` mean pool (floor, as maxPool): averages the noisy pixels of a terrain cell. */
export function avgPool(x: tf.Tensor4D, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [N, H, W, C] = x.shape;
    const Ho = Math.floor(H / size);
    const Wo = Math.floor(W / size);
    const cropped = Ho * size === H && Wo * size === W ? x : tf.slice(x, [0, 0, 0, 0], [N, Ho * size, Wo * size, C]);
    return cropped.reshape([N, Ho, size, Wo, size, C]).mean([2, 4]) as tf.Tensor4D;
  });
}
