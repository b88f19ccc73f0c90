/**
 * The two baselines the paper's §4.2/§4.3 compare stochastic smoothing against, as TensorFlow.js ops:
 *
 *  - neuralSort: NeuralSort (Grover, Wang, Zweig, Ermon, ICLR 2019), a continuous relaxation of the
 *    sorting permutation matrix;
 *  - blackboxDifferentiation: "Differentiation of Blackbox Combinatorial Solvers" (Vlastelica, Paulus,
 *    Musil, Martius, Rolínek, ICLR 2020), a gradient for a linear-objective solver from one extra solve.
 *
 * This file (with the rest of lib/train/) is the only part of the library that imports tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { invalid } from '../errors.js';

function requirePositive(value: unknown, argument: string, call: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(argument, value, `${call}: ${argument} must be a positive finite number.`, `pass e.g. ${argument} = 1`);
  }
  return value;
}

/**
 * NeuralSort's relaxed permutation matrices of B rows of n scores, in the convention of
 * blackboxes.permutation: result[b, i, r] ≈ 1 when item i sits at position r of the ASCENDING order.
 *
 * NeuralSort's own matrix sorts DESCENDING: P̂[r, :] = softmax(((n + 1 − 2r) s − A_s 1) / τ), r = 1..n,
 * with A_s[i, j] = |s_i − s_j|, and row r picks the r-th LARGEST item. Ascending position r' (0-based) is
 * descending rank r = n − r', whose coefficient n + 1 − 2r is 2r' + 1 − n; the result is that matrix with
 * its axes swapped to [item, position].
 *
 * What sums to 1: for every position r, the sum over items i of result[b, i, r] (each position is a
 * softmax over the items; NeuralSort's "row-stochastic"). The sums over positions for one item are NOT
 * 1 in general (NeuralSort is not doubly stochastic); they tend to 1 as τ → 0 for distinct scores.
 * All entries are positive, and at small τ the matrix approaches the hard permutation.
 *
 * @param scores B × n scores.
 * @param tau temperature τ > 0.
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` for a non-2-D scores tensor or a bad tau.
 */
export function neuralSort(scores: tf.Tensor2D, tau: number): tf.Tensor3D {
  const call = 'neuralSort(scores, tau)';
  if (!(scores instanceof tf.Tensor) || scores.rank !== 2) {
    throw invalid('scores', scores instanceof tf.Tensor ? scores.shape : scores, `${call}: scores must be a 2-D tensor (B × n).`, 'pass a tf.Tensor2D of B rows of n scores');
  }
  requirePositive(tau, 'tau', call);
  const n = scores.shape[1];
  return tf.tidy(() => {
    const s = scores.toFloat();
    // (A_s 1)_i = Σ_k |s_i − s_k|: B × n.
    const spread = tf.abs(tf.sub(s.expandDims(2), s.expandDims(1))).sum(2);
    // Coefficient of ascending position r' (0-based): 2r' + 1 − n.
    const coefficient = tf.range(0, n, 1, 'float32').mul(2).add(1 - n).reshape([1, n, 1]);
    // logits[b, r', i] = (2r' + 1 − n) s_i − (A_s 1)_i.
    const logits = tf.sub(tf.mul(coefficient, s.expandDims(1)), spread.expandDims(1));
    const byPosition = tf.softmax(logits.div(tau), -1); // softmax over items i for every position r'
    return byPosition.transpose([0, 2, 1]) as tf.Tensor3D; // [b, item i, position r']
  });
}

/**
 * A solver of B rows of n weights: returns B × n outputs (row-major), e.g. a shortest-path mask for cell
 * costs. Must not modify `w`. It is expected to minimise ⟨w, y⟩, as in Vlastelica et al.
 */
export type LinearSolver = (w: Float32Array, count: number) => Float32Array;

/**
 * Blackbox differentiation (Vlastelica et al. 2020) of `solver` as a tfjs op on B × n weights:
 *   forward   y = solver(w)
 *   backward  dL/dw = −(y − solver(w + λ · dL/dy)) / λ = (y_λ − y) / λ
 * i.e. the gradient of a piecewise-linear interpolation of the loss, obtained from one extra solve on
 * weights perturbed along the upstream gradient. λ trades informativeness (large) against faithfulness
 * (small). The solver sees copies of the weights, so it can never corrupt tfjs's storage.
 *
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` for a bad lambda or solver, a non-2-D input, or a solver
 * output that is not B × n.
 */
export function blackboxDifferentiation(solver: LinearSolver, lambda: number): (w: tf.Tensor2D) => tf.Tensor2D {
  const call = 'blackboxDifferentiation(solver, lambda)';
  if (typeof solver !== 'function') {
    throw invalid('solver', solver, `${call}: solver must be a function (w, count) => Float32Array.`, 'pass the solver, e.g. a black box evaluate wrapped in a function');
  }
  requirePositive(lambda, 'lambda', call);

  /** Runs the solver on a copy and checks its size; returns a fresh array the caller owns. */
  function solve(w: Float32Array, count: number, size: number): Float32Array {
    const y = solver(w, count);
    if (!(y instanceof Float32Array) || y.length !== count * size) {
      throw invalid('solver', y, `${call}: the solver must return a Float32Array of count × n = ${count} × ${size} values.`, 'return one output per weight (the method needs y and w of the same size)');
    }
    return Float32Array.from(y); // a solver may reuse its output buffer between calls
  }

  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const w = args[0] as tf.Tensor2D;
    const [count, size] = w.shape;
    // Copies: on the cpu backend dataSync() hands out tfjs's own storage.
    const weights = Float32Array.from(w.dataSync());
    const y = solve(weights, count, size);
    const value = tf.tensor2d(y, [count, size]);
    // The backward pass only needs the weights and y, kept as plain arrays: no tensors to save or leak.
    const gradFunc = (dy: tf.Tensor): tf.Tensor => {
      const upstream = dy.dataSync();
      const perturbed = new Float32Array(weights.length);
      for (let i = 0; i < perturbed.length; i++) perturbed[i] = weights[i] + lambda * upstream[i];
      const yLambda = solve(perturbed, count, size);
      const gradient = new Float32Array(weights.length);
      // Their eq. (6): ∇f_λ(w) = −(1/λ)[y(w) − y_λ(w)]. A cell that the loss wants on the path (dL/dy < 0)
      // gets cheaper in w + λ·dL/dy, enters y_λ, and gets a positive gradient: descent lowers its weight.
      for (let i = 0; i < gradient.length; i++) gradient[i] = (yLambda[i] - y[i]) / lambda + 0;
      return tf.tensor2d(gradient, [count, size]);
    };
    return { value, gradFunc };
  });

  return (w: tf.Tensor2D): tf.Tensor2D => {
    if (!(w instanceof tf.Tensor) || w.rank !== 2) {
      throw invalid('w', w instanceof tf.Tensor ? w.shape : w, `${call}: the weights must be a 2-D tensor (B × n).`, 'pass a tf.Tensor2D');
    }
    return op(w) as tf.Tensor2D;
  };
}
