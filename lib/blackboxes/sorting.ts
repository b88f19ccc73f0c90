/**
 * Sorting-based built-in black boxes: permutation, ranks, argmax, top-k.
 *
 * All four use the total order of ./order.ts (values ascending, NaN above +Infinity, -0 == +0, ties by
 * index with the lower index first). Their outputs are defined by that order alone, never by the sorting
 * algorithm, so the C++ (sorting network) and CUDA (bitonic sort) mirrors give bit-identical 0/1 outputs.
 */
import { invalid } from '../errors.js';
import type { BuiltinBlackBox } from './spec.js';
import { checkEvaluate, requireSize } from './checks.js';
import { argmaxRow, RowSorter } from './order.js';

/** Largest n for permutation: n·n outputs must fit in a signed 32-bit index (46340² < 2³¹). */
const MAX_PERMUTATION_N = 46340;

/**
 * The hard permutation matrix of n scores: f: R^n -> R^(n·n),
 * `out[i*n + r] = 1` when item i sits at position r of the ascending order, 0 otherwise.
 * Each row and each column of the n×n matrix holds exactly one 1 (so its smoothed value is doubly stochastic).
 *
 * Order and ties (identical on every backend): values ascending; NaN is larger than every number,
 * +Infinity included (NaNs are equal to each other); -0 equals +0; equal values are ordered by index,
 * lower index first (a stable sort). ±Infinity are ordinary values at the ends of the order.
 *
 * @param n number of scores, a positive integer ≤ 46340.
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` when n is not a positive integer number.
 */
export function permutation(n: number): BuiltinBlackBox {
  requireSize(n, 'n', 'blackboxes.permutation(n)', MAX_PERMUTATION_N);
  const m = n * n;
  const name = `permutation(${n})`;
  const sorter = new RowSorter(n); // scratch, reused by every row of every call
  return {
    name,
    inputSize: n,
    outputSize: m,
    builtin: { kind: 'permutation', n },
    evaluate(inputs: Float32Array, count: number, outputs: Float32Array): void {
      checkEvaluate(name, n, m, inputs, count, outputs);
      for (let row = 0; row < count; row++) {
        const order = sorter.sortRow(inputs, row * n, false);
        const base = row * m;
        outputs.fill(0, base, base + m);
        // order[r] is the item at position r: a 1 in that item's row, column r.
        for (let r = 0; r < n; r++) outputs[base + order[r] * n + r] = 1;
      }
    },
  };
}

/**
 * The ranks of n scores: f: R^n -> R^n, `out[i]` = the 0-based position of item i in the ascending
 * order, as a float (the smallest item has rank 0, the largest rank n-1; the ranks are a permutation).
 *
 * Order and ties (identical on every backend): values ascending; NaN is larger than every number,
 * +Infinity included; -0 equals +0; equal values are ordered by index, lower index first (a stable sort),
 * so [5, 5] has ranks [0, 1].
 *
 * @param n number of scores, a positive integer.
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` when n is not a positive integer number.
 */
export function ranks(n: number): BuiltinBlackBox {
  requireSize(n, 'n', 'blackboxes.ranks(n)');
  const name = `ranks(${n})`;
  const sorter = new RowSorter(n);
  return {
    name,
    inputSize: n,
    outputSize: n,
    builtin: { kind: 'ranks', n },
    evaluate(inputs: Float32Array, count: number, outputs: Float32Array): void {
      checkEvaluate(name, n, n, inputs, count, outputs);
      for (let row = 0; row < count; row++) {
        const order = sorter.sortRow(inputs, row * n, false);
        const base = row * n;
        // The inverse of the sorting permutation: every slot of the row is written exactly once.
        for (let r = 0; r < n; r++) outputs[base + order[r]] = r;
      }
    },
  };
}

/**
 * One-hot of the largest of n scores: f: R^n -> R^n, `out[i] = 1` for the index i of the largest value.
 *
 * Order and ties (identical on every backend): NaN is the largest value (larger than +Infinity); -0
 * equals +0; among equal maxima (several NaNs included) the LOWEST index wins, so argmax([3, 3]) is
 * [1, 0]. Note this is not "the last item of the ascending stable order".
 *
 * @param n number of scores, a positive integer.
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` when n is not a positive integer number.
 */
export function argmax(n: number): BuiltinBlackBox {
  requireSize(n, 'n', 'blackboxes.argmax(n)');
  const name = `argmax(${n})`;
  return {
    name,
    inputSize: n,
    outputSize: n,
    builtin: { kind: 'argmax', n },
    evaluate(inputs: Float32Array, count: number, outputs: Float32Array): void {
      checkEvaluate(name, n, n, inputs, count, outputs);
      for (let row = 0; row < count; row++) {
        const base = row * n;
        outputs.fill(0, base, base + n);
        outputs[base + argmaxRow(inputs, base, n)] = 1;
      }
    },
  };
}

/**
 * Multi-hot of the k largest of n scores: f: R^n -> R^n, `out[i] = 1` for the k selected items, exactly
 * k ones per row.
 *
 * Order and ties (identical on every backend): values descending; NaN is larger than every number,
 * +Infinity included; -0 equals +0; among equal values the LOWER index is preferred, so
 * topk(3, 2) of [1, 1, 1] is [1, 1, 0]. Item i is selected exactly when fewer than k items j have
 * value(j) > value(i), or value(j) = value(i) and j < i.
 *
 * @param n number of scores, a positive integer.
 * @param k number of items selected, an integer with 1 ≤ k ≤ n.
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` when n or k is not a positive integer number, or k > n.
 */
export function topk(n: number, k: number): BuiltinBlackBox {
  requireSize(n, 'n', 'blackboxes.topk(n, k)');
  requireSize(k, 'k', 'blackboxes.topk(n, k)');
  if (k > n) {
    throw invalid('k', k, `blackboxes.topk(n, k): k must be at most n = ${n} (k = ${k} items cannot be chosen from ${n}).`, `pass k between 1 and ${n}`);
  }
  const name = `topk(${n}, ${k})`;
  const sorter = new RowSorter(n);
  return {
    name,
    inputSize: n,
    outputSize: n,
    builtin: { kind: 'topk', n, k },
    evaluate(inputs: Float32Array, count: number, outputs: Float32Array): void {
      checkEvaluate(name, n, n, inputs, count, outputs);
      for (let row = 0; row < count; row++) {
        const base = row * n;
        outputs.fill(0, base, base + n);
        // The first k items of the largest-first order (ties: lower index first).
        const order = sorter.sortRow(inputs, base, true);
        for (let r = 0; r < k; r++) outputs[base + order[r]] = 1;
      }
    },
  };
}
