/**
 * The two ways to train through a black box h (docs/method.md §4):
 *  - algorithm smoothing: smooth h, then apply any differentiable loss ℓ to the smoothed value;
 *    the gradient is the VJP of the smoothed h with v = ∂ℓ/∂value  (`algorithmSmoothing`);
 *  - loss smoothing: smooth the scalar composite ℓ(h(·)) itself; ℓ may be non-differentiable
 *    (`withLoss` builds the composite black box, `lossSmoothing` returns its value and gradient).
 * They are different functions: E[ℓ(h)] ≠ ℓ(E[h]).
 */
import { composeBox } from './blackboxes/compose.js';
import { invalid } from './errors.js';
import type { ForwardOptions, Smoothed, Smoother } from './smooth.js';
import { validateBlackBox } from './smooth.js';
import type { BlackBox } from './types.js';
import { requireFiniteVector } from './validate.js';

/**
 * The scalar black box z ↦ loss(f(z), b): `b` is the batch element being perturbed, so the loss can look up
 * its own target (e.g. `(y, b) => crossEntropy(y, targets[b])`). Output size 1.
 */
export function withLoss(f: BlackBox, loss: (output: Float32Array, b: number) => number, name = `loss(${f.name})`): BlackBox {
  validateBlackBox(f);
  if (typeof loss !== 'function') throw invalid('loss', loss, 'loss must be a function (output, b) => number.', 'pass for example (y, b) => squaredError(y, targets[b])');
  const m = f.outputSize;
  return composeBox(f, name, 1, (_inputs, count, inner, outputs, batchIndex) => {
    for (let r = 0; r < count; r++) outputs[r] = loss(inner.subarray(r * m, (r + 1) * m), batchIndex ? batchIndex[r] : 0);
  });
}

export interface LossResult {
  /** B smoothed losses E[ℓ(h(x_b + Lε))]. */
  loss: Float32Array;
  /** Their standard errors. */
  stderr: Float32Array;
  /** B×n gradient of each smoothed loss with respect to its x_b. */
  gradient: Float32Array;
  smoothed: Smoothed;
}

/** Loss smoothing: forward + VJP with v = 1 on a smoother of a scalar black box (see withLoss). */
export async function lossSmoothing(smoother: Smoother, x: Float32Array, options?: ForwardOptions): Promise<LossResult> {
  if (smoother.blackBox.outputSize !== 1) {
    throw invalid('smoother', smoother.blackBox.name, `loss smoothing needs a scalar black box; '${smoother.blackBox.name}' has ${smoother.blackBox.outputSize} outputs.`, 'wrap the black box with withLoss(f, loss) first');
  }
  const smoothed = await smoother.forward(x, options);
  const gradient = await smoothed.vjp(new Float32Array(smoothed.batch).fill(1), { signal: options?.signal });
  return { loss: smoothed.value, stderr: smoothed.stderr, gradient, smoothed };
}

export interface AlgorithmResult {
  loss: number;
  /** B×m smoothed outputs the loss was applied to. */
  value: Float32Array;
  /** B×n gradient of the loss with respect to x. */
  gradient: Float32Array;
  smoothed: Smoothed;
}

/**
 * Algorithm smoothing: `loss(value)` returns the loss of the smoothed outputs (B×m) and its gradient with
 * respect to them; the result carries the chain-ruled gradient with respect to x (B×n).
 */
export async function algorithmSmoothing(
  smoother: Smoother,
  x: Float32Array,
  loss: (value: Float32Array) => { loss: number; gradient: Float32Array },
  options?: ForwardOptions,
): Promise<AlgorithmResult> {
  if (typeof loss !== 'function') throw invalid('loss', loss, 'loss must be a function (value) => { loss, gradient }.', 'return the loss and its gradient with respect to the smoothed value');
  const smoothed = await smoother.forward(x, options);
  const out = loss(smoothed.value);
  const upstream = requireFiniteVector(out?.gradient, smoothed.value.length, 'loss(...).gradient', 'B×m');
  const gradient = await smoothed.vjp(upstream, { signal: options?.signal });
  return { loss: out.loss, value: smoothed.value, gradient, smoothed };
}
