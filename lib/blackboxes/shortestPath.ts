/**
 * The grid shortest-path black box (vertex-weighted, 8-neighbour), as in the paper's §4.1/§4.3 experiments.
 *
 * THE RULE (binding, identical on every backend; the output depends on the costs alone, not on the
 * algorithm, so Dijkstra here, the C++ mirror and the data-parallel relaxation on the GPU all agree):
 *
 *  1. Sanitise every cell cost c (a float32): NaN and +Infinity become FLT_MAX = 3.4028234663852886e38;
 *     anything ≤ 0 (-0 and -Infinity included) becomes 0; other values are kept. Costs are then
 *     doubles, and all distances are summed in double (at most 2³¹ · FLT_MAX ≈ 7e47: no overflow, no NaN).
 *  2. Label every cell v with the lexicographic pair (dist, hops):
 *       label(start) = (cost(start), 0), start = (0, 0);
 *       label(v)     = min over the 8-neighbours u of v of (dist(u) + cost(v), hops(u) + 1),
 *     minimum taken lexicographically (dist first, then hops), the addition rounded in double.
 *     This fixed point exists (Dijkstra below constructs it) and is UNIQUE, because the step
 *     (d, h) -> (d + cost(v), h + 1) is strictly increasing (cost ≥ 0 and double rounding is monotone, so
 *     d + cost(v) ≥ d, and h + 1 > h): if two solutions differed, take the smallest label at which they
 *     differ; the predecessor that realises it has a strictly smaller label, so both solutions agree there,
 *     and the other solution's label is then ≤ this one, a contradiction.
 *  3. Trace back from the target (rows-1, cols-1): at each cell v ≠ start, step to the neighbour u with
 *     the LOWEST linear index r*cols + c among those with (dist(u) + cost(v), hops(u) + 1) == label(v).
 *     hops strictly decreases along this chain, so it ends at the start after hops(target) steps, never
 *     cycles (even with zero costs) and visits every cell at most once.
 *  4. out[r*cols + c] = 1 on the traced cells, 0 elsewhere.
 *
 * When the double sums are exact (integer costs, or costs of similar magnitude) the labels are the least
 * (cost, cells) over all paths: among the cheapest paths the one with the fewest cells wins. When rounding
 * absorbs small costs (a NaN cell costs FLT_MAX, whose ulp is 2^104) the ⊕ step stops being order-
 * preserving, and the rule above, not "fewest cells among the cheapest", decides: the path is still a
 * cheapest one, but may have more cells than another path of the same double cost.
 *
 * For data-parallel mirrors (the CUDA relaxation): iterate label_{t+1}(v) = min over neighbours u of
 * label_t(u) ⊕ v (start pinned), recomputing every label from its neighbours ALONE, until nothing changes.
 * This converges to the unique fixed point (strictly increasing algebra; at most about N·H sweeps in the
 * worst case, far fewer in practice). Do NOT keep min(old label, candidates) as a classic Bellman–Ford
 * does: under absorption an old label can be smaller than every current candidate and then sticks, giving
 * a different answer (test/blackboxes.test.ts has such a grid).
 */
import { invalid, SmoothingError } from '../errors.js';
import { checkEvaluate, MAX_BLACKBOX_SIZE, requireSize } from './checks.js';
import type { BuiltinBlackBox } from './spec.js';

/** The largest finite float32: the cost of a NaN or +Infinity cell (a wall that can still be crossed). */
export const FLT_MAX = 3.4028234663852886e38;

/** Sanitised cost of a cell (rule 1): NaN/+Infinity -> FLT_MAX, ≤ 0 (-0, -Infinity) -> 0. */
export function sanitizeCost(c: number): number {
  if (c !== c || c === Infinity) return FLT_MAX;
  if (c <= 0) return 0; // also maps -0 to +0
  return c;
}

/** Heap slot marker: not (yet) in the heap. */
const ABSENT = -1;
/** Heap slot marker: popped, its label is final. */
const DONE = -2;

/**
 * The shortest path on a rows×cols grid of cell costs: f: R^(rows·cols) -> R^(rows·cols),
 * `out[r*cols + c] = 1` on the path from the top-left cell (0, 0) to the bottom-right cell
 * (rows-1, cols-1), 0 elsewhere. Input row-major, cell (r, c) at index r*cols + c.
 *
 * Vertex-weighted, 8-neighbourhood (diagonal steps allowed and cost nothing extra): a path costs the sum
 * of the costs of all the cells it visits, both ends included, summed in double.
 *
 * Costs: NaN and +Infinity count as 3.4028234663852886e38 (float32 max); anything ≤ 0, -0 and -Infinity
 * included, counts as 0. The output is always a connected 8-neighbour path from start to target without
 * repeated cells; it never contains NaN and evaluation never hangs.
 *
 * Ties (identical on every backend): among the cheapest paths the one with the fewest cells wins; any
 * remaining tie is broken walking back from the target, each cell stepping to the qualifying neighbour
 * with the lowest linear index r*cols + c. Exactly: each cell gets the label (dist, hops), the least over
 * its 8-neighbours u of (dist(u) + cost, hops(u) + 1) in double, with (cost(start), 0) at the start, and
 * the path is traced back through those labels (full rule in the header of shortestPath.ts). When double
 * rounding absorbs small costs (next to a NaN/+Infinity cell, which costs 3.4e38) the path is still of
 * minimum double cost but "fewest cells" is decided by that rule.
 *
 * @param rows grid height, a positive integer.
 * @param cols grid width, a positive integer; rows·cols ≥ 2 (start and target must differ).
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` for non-integer or non-positive sizes, or a 1×1 grid.
 */
export function shortestPath(rows: number, cols: number): BuiltinBlackBox {
  const call = 'blackboxes.shortestPath(rows, cols)';
  requireSize(rows, 'rows', call);
  requireSize(cols, 'cols', call);
  const cells = rows * cols;
  if (cells < 2) {
    throw invalid(
      'cols',
      cols,
      `${call}: a ${rows}×${cols} grid has a single cell, so start and target coincide.`,
      'use a grid with at least 2 cells, e.g. shortestPath(1, 2) or shortestPath(8, 8)',
    );
  }
  if (cells > MAX_BLACKBOX_SIZE) {
    throw invalid('rows', rows, `${call}: rows·cols = ${cells} is too large (at most ${MAX_BLACKBOX_SIZE}).`, 'use a smaller grid');
  }
  const name = `shortestPath(${rows}, ${cols})`;
  const target = cells - 1;

  // Scratch, allocated once per black box and reused for every row of every call.
  const cost = new Float64Array(cells);
  const dist = new Float64Array(cells);
  const hops = new Int32Array(cells);
  const heap = new Int32Array(cells); // binary min-heap of cell indices keyed by (dist, hops, index)
  const pos = new Int32Array(cells); // heap position of a cell, or ABSENT / DONE
  let heapSize = 0;

  /** Strict heap order on (dist, hops, index): a total order, so the pop sequence is deterministic. */
  function before(a: number, b: number): boolean {
    const da = dist[a];
    const db = dist[b];
    if (da !== db) return da < db;
    const ha = hops[a];
    const hb = hops[b];
    if (ha !== hb) return ha < hb;
    return a < b;
  }

  function siftUp(i: number): void {
    const v = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (!before(v, p)) break;
      heap[i] = p;
      pos[p] = i;
      i = parent;
    }
    heap[i] = v;
    pos[v] = i;
  }

  function siftDown(i: number): void {
    const v = heap[i];
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heapSize) break;
      const right = left + 1;
      const child = right < heapSize && before(heap[right], heap[left]) ? right : left;
      const c = heap[child];
      if (!before(c, v)) break;
      heap[i] = c;
      pos[c] = i;
      i = child;
    }
    heap[i] = v;
    pos[v] = i;
  }

  function popMin(): number {
    const top = heap[0];
    heapSize--;
    if (heapSize > 0) {
      heap[0] = heap[heapSize];
      siftDown(0);
    }
    pos[top] = DONE;
    return top;
  }

  /** Rule 2 by Dijkstra on the lexicographic key; stops once the target's label is final. */
  function computeLabels(): void {
    dist.fill(Infinity);
    hops.fill(0x7fffffff);
    pos.fill(ABSENT);
    heapSize = 0;
    dist[0] = cost[0];
    hops[0] = 0;
    heap[0] = 0;
    pos[0] = 0;
    heapSize = 1;
    while (heapSize > 0) {
      const u = popMin();
      // Labels of cells still in the heap are ≥ label(target) > label of any cell on the traced path
      // (hops strictly smaller there), so they can never satisfy the trace-back equation: stopping here
      // gives the same output as running to completion.
      if (u === target) return;
      const ur = (u / cols) | 0;
      const uc = u - ur * cols;
      const du = dist[u];
      const hu = hops[u] + 1;
      for (let dr = -1; dr <= 1; dr++) {
        const r = ur + dr;
        if (r < 0 || r >= rows) continue;
        for (let dc = -1; dc <= 1; dc++) {
          const c = uc + dc;
          if (c < 0 || c >= cols || (dr === 0 && dc === 0)) continue;
          const v = r * cols + c;
          const p = pos[v];
          if (p === DONE) continue; // final already: cost ≥ 0 means u cannot improve it
          const nd = du + cost[v];
          if (nd < dist[v] || (nd === dist[v] && hu < hops[v])) {
            dist[v] = nd;
            hops[v] = hu;
            if (p === ABSENT) {
              heap[heapSize] = v;
              heapSize++;
              siftUp(heapSize - 1);
            } else {
              siftUp(p); // the key only decreased
            }
          }
        }
      }
    }
  }

  /** Rule 3: writes 1 on the traced path into outputs[base ..). */
  function traceBack(outputs: Float32Array, base: number): void {
    let v = target;
    outputs[base + v] = 1;
    while (v !== 0) {
      const vr = (v / cols) | 0;
      const vc = v - vr * cols;
      const want = dist[v];
      const wantHops = hops[v] - 1;
      const cv = cost[v];
      let pred = -1;
      // Neighbours in increasing linear index (row-major scan): the first match is the lowest index.
      for (let dr = -1; dr <= 1 && pred < 0; dr++) {
        const r = vr + dr;
        if (r < 0 || r >= rows) continue;
        for (let dc = -1; dc <= 1; dc++) {
          const c = vc + dc;
          if (c < 0 || c >= cols || (dr === 0 && dc === 0)) continue;
          const u = r * cols + c;
          if (hops[u] === wantHops && dist[u] + cv === want) {
            pred = u;
            break;
          }
        }
      }
      if (pred < 0) {
        // Unreachable: label(v) was set from a final neighbour by exactly this computation.
        throw new SmoothingError('ERR_INTERNAL', `${name}: no predecessor found for cell ${v} while tracing the path back.`);
      }
      v = pred;
      outputs[base + v] = 1;
    }
  }

  return {
    name,
    inputSize: cells,
    outputSize: cells,
    builtin: { kind: 'shortestPath', rows, cols },
    evaluate(inputs: Float32Array, count: number, outputs: Float32Array): void {
      checkEvaluate(name, cells, cells, inputs, count, outputs);
      for (let row = 0; row < count; row++) {
        const base = row * cells;
        for (let i = 0; i < cells; i++) cost[i] = sanitizeCost(inputs[base + i]);
        computeLabels();
        outputs.fill(0, base, base + cells);
        traceBack(outputs, base);
      }
    },
  };
}
