/**
 * The one total order of the built-in black boxes, and the ranking helpers built on it.
 *
 * THE ORDER (binding, identical on the js, cpu and cuda backends; docs/design.md "Ties"):
 *   - values compare ascending as numbers;
 *   - NaN is larger than every number, +Infinity included; all NaNs are equal to each other
 *     (whatever their sign bit or payload);
 *   - -0 equals +0;
 *   - equal values are ordered by index, lower index first (the order of a stable sort).
 * Because the index breaks every tie, this is a strict total order on (value, index) pairs: every
 * correct sorting algorithm (insertion sort here, merge sort here, a sorting network or a bitonic sort on
 * the GPU) produces the same permutation, so the output of a black box is a function of its inputs alone.
 *
 * The "largest first" order used by argmax and top-k is NOT the reverse of the order above: equal values
 * still rank the LOWER index first (argmax of [3, 3] is item 0). It is: values descending, NaN before
 * every number, -0 equal to +0, ties by index ascending.
 *
 * For the GPU: the same ascending order is obtained by comparing 64-bit keys (k(v) << 32) | index where
 * k(v) maps the float32 bits b of v (after turning -0 into +0 and every NaN into 0x7FC00000) to
 * b ^ 0x80000000 when the sign bit is clear and ~b when it is set, and k(NaN) = 0xFFFFFFFF.
 * The descending-with-lower-index-first order compares ((~k(v)) << 32) | index ascending.
 *
 * Everything here works on plain typed arrays with an offset, so that evaluate() can rank row after row of
 * a batch without allocating: callers own the scratch (allocated once per black box).
 */

/**
 * True when (a, i) comes strictly before (b, j) in the ascending order.
 * The comparisons with < and > treat -0 and +0 as equal, as required; NaN fails both and falls through to
 * the NaN test, and only then to the index.
 */
export function precedesAscending(a: number, i: number, b: number, j: number): boolean {
  if (a < b) return true;
  if (a > b) return false;
  const aNaN = a !== a;
  const bNaN = b !== b;
  // Exactly one NaN: the number comes first.
  if (aNaN !== bNaN) return bNaN;
  // Equal numbers (-0 == +0) or two NaNs: lower index first.
  return i < j;
}

/**
 * True when (a, i) comes strictly before (b, j) in the "largest first" order: larger value first, NaN
 * first of all, equal values by LOWER index first (so argmax and top-k prefer lower indices on ties).
 */
export function precedesDescending(a: number, i: number, b: number, j: number): boolean {
  if (a > b) return true;
  if (a < b) return false;
  const aNaN = a !== a;
  const bNaN = b !== b;
  // Exactly one NaN: the NaN is the larger, so it comes first.
  if (aNaN !== bNaN) return aNaN;
  return i < j;
}

/** Below this size an insertion sort beats the merge sort; the result is the same either way. */
const INSERTION_LIMIT = 24;

/**
 * Scratch for sorting rows of length n: two index buffers. Allocate once per black box, reuse for every row.
 */
export class RowSorter {
  readonly n: number;
  /** After sortRow(): order[r] = index of the item at position r. */
  readonly order: Int32Array;
  private readonly tmp: Int32Array;

  constructor(n: number) {
    this.n = n;
    this.order = new Int32Array(n);
    this.tmp = new Int32Array(n);
  }

  /**
   * Sorts the indices 0..n-1 of the row values[offset .. offset+n) into `order`, ascending
   * (descending = false) or largest first (descending = true), under the total orders described above.
   * Because the order is strict and total, the result does not depend on the algorithm chosen here.
   */
  sortRow(values: Float32Array, offset: number, descending: boolean): Int32Array {
    const n = this.n;
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    if (n <= INSERTION_LIMIT) {
      insertionSort(values, offset, order, 0, n, descending);
      return order;
    }
    // Bottom-up merge sort: sort runs of INSERTION_LIMIT by insertion, then merge runs pairwise,
    // ping-ponging between the two buffers. O(n log n), no allocation.
    for (let lo = 0; lo < n; lo += INSERTION_LIMIT) {
      insertionSort(values, offset, order, lo, Math.min(lo + INSERTION_LIMIT, n), descending);
    }
    let src = order;
    let dst = this.tmp;
    for (let width = INSERTION_LIMIT; width < n; width *= 2) {
      for (let lo = 0; lo < n; lo += 2 * width) {
        const mid = Math.min(lo + width, n);
        const hi = Math.min(lo + 2 * width, n);
        let p = lo;
        let q = mid;
        let o = lo;
        while (p < mid && q < hi) {
          const ip = src[p];
          const iq = src[q];
          // Take from the right run only when it strictly precedes: with a strict total order this is
          // just "the smaller of the two", there are no equal pairs.
          const takeRight = descending
            ? precedesDescending(values[offset + iq], iq, values[offset + ip], ip)
            : precedesAscending(values[offset + iq], iq, values[offset + ip], ip);
          if (takeRight) {
            dst[o++] = iq;
            q++;
          } else {
            dst[o++] = ip;
            p++;
          }
        }
        while (p < mid) dst[o++] = src[p++];
        while (q < hi) dst[o++] = src[q++];
      }
      const swap = src;
      src = dst;
      dst = swap;
    }
    // After an odd number of passes the result sits in tmp.
    if (src !== order) order.set(src);
    return order;
  }
}

/** Sorts order[lo..hi) in place by the chosen order of the values they index. */
function insertionSort(
  values: Float32Array,
  offset: number,
  order: Int32Array,
  lo: number,
  hi: number,
  descending: boolean,
): void {
  for (let a = lo + 1; a < hi; a++) {
    const idx = order[a];
    const v = values[offset + idx];
    let b = a - 1;
    while (b >= lo) {
      const other = order[b];
      const before = descending
        ? precedesDescending(v, idx, values[offset + other], other)
        : precedesAscending(v, idx, values[offset + other], other);
      if (!before) break;
      order[b + 1] = other;
      b--;
    }
    order[b + 1] = idx;
  }
}

/**
 * Index of the largest value of the row values[offset .. offset+n): NaN is the largest, -0 equals +0,
 * ties go to the LOWEST index. One linear scan: the first item of the "largest first" order.
 */
export function argmaxRow(values: Float32Array, offset: number, n: number): number {
  let best = 0;
  let bestValue = values[offset];
  for (let i = 1; i < n; i++) {
    const v = values[offset + i];
    // Replace only when strictly ahead in the largest-first order; i > best, so equal values keep best.
    if (precedesDescending(v, i, bestValue, best)) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}
