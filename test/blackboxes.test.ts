/**
 * Built-in black boxes against independent references: sort-based references (Array.prototype.sort with an
 * explicit comparator) for the sorting boxes, and for shortestPath a brute-force enumeration of all simple
 * paths plus a data-parallel relaxation (the algorithm the GPU uses) of the same tie-breaking rule.
 */
import test from 'ava';
import { SmoothingError } from '../lib/errors.js';
import { argmax, blackboxes, permutation, ranks, shortestPath, topk } from '../lib/blackboxes/index.js';

// ---------------------------------------------------------------- helpers

/** A small seeded generator (mulberry32), so that failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, 3.4e38, -3.4e38, 1e-45];

/** Random float32 scores with deliberate ties and the special values. */
function randomScores(rand: () => number, count: number, n: number): Float32Array {
  const out = new Float32Array(count * n);
  for (let i = 0; i < out.length; i++) {
    const p = rand();
    if (p < 0.2) out[i] = SPECIALS[Math.floor(rand() * SPECIALS.length)];
    else if (p < 0.55) out[i] = Math.floor(rand() * 4) - 2; // small integers: many ties
    else out[i] = (rand() - 0.5) * 10;
  }
  return out;
}

/** Reference ascending order: sort with an explicit comparator, NaN last, -0 == +0, then by index. */
function refAscending(values: ArrayLike<number>): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  return idx.sort((i, j) => {
    const a = values[i];
    const b = values[j];
    const na = Number.isNaN(a) ? 1 : 0;
    const nb = Number.isNaN(b) ? 1 : 0;
    if (na !== nb) return na - nb;
    if (!na && a !== b) return a < b ? -1 : 1;
    return i - j;
  });
}

/** Reference "largest first" order: NaN first, values descending, then by index ascending. */
function refDescending(values: ArrayLike<number>): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  return idx.sort((i, j) => {
    const a = values[i];
    const b = values[j];
    const na = Number.isNaN(a) ? 1 : 0;
    const nb = Number.isNaN(b) ? 1 : 0;
    if (na !== nb) return nb - na;
    if (!na && a !== b) return a > b ? -1 : 1;
    return i - j;
  });
}

/** Index of the first difference (Object.is), or -1: cheap enough for n² = 66049-long rows. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function row(arr: Float32Array, r: number, width: number): number[] {
  return Array.from(arr.subarray(r * width, (r + 1) * width));
}

/** Evaluates a synchronous box on rows given as arrays; outputs pre-filled with garbage. */
function run(box: { inputSize: number; outputSize: number; evaluate(i: Float32Array, c: number, o: Float32Array): unknown }, inputs: Float32Array): Float32Array {
  const count = inputs.length / box.inputSize;
  const out = new Float32Array(count * box.outputSize).fill(7);
  box.evaluate(inputs, count, out);
  return out;
}

const SIZES = [1, 2, 3, 5, 8, 23, 24, 25, 31, 49, 64, 100, 257];

// ---------------------------------------------------------------- sorting boxes

test('permutation matches the sort-based reference on batches with ties, NaN, ±Infinity and -0', (t) => {
  const rand = rng(1);
  for (const n of SIZES) {
    const count = n > 64 ? 20 : 200;
    const x = randomScores(rand, count, n);
    const box = permutation(n);
    t.is(box.name, `permutation(${n})`);
    t.is(box.inputSize, n);
    t.is(box.outputSize, n * n);
    const out = run(box, x);
    for (let b = 0; b < count; b++) {
      const order = refAscending(row(x, b, n));
      const expected = new Float32Array(n * n);
      order.forEach((item, position) => (expected[item * n + position] = 1));
      t.is(firstDifference(out.subarray(b * n * n, (b + 1) * n * n), expected), -1, `n=${n} row=${b} x=${row(x, b, n)}`);
    }
  }
});

test('permutation matrices are doubly stochastic (every row and column sums to 1)', (t) => {
  const rand = rng(2);
  for (const n of [1, 3, 7, 40]) {
    const count = 50;
    const out = run(permutation(n), randomScores(rand, count, n));
    for (let b = 0; b < count; b++) {
      for (let i = 0; i < n; i++) {
        let rs = 0;
        let cs = 0;
        for (let j = 0; j < n; j++) {
          const a = out[b * n * n + i * n + j];
          t.true(a === 0 || a === 1);
          rs += a;
          cs += out[b * n * n + j * n + i];
        }
        t.is(rs, 1);
        t.is(cs, 1);
      }
    }
  }
});

test('ranks are the inverse of the reference argsort, and agree with permutation', (t) => {
  const rand = rng(3);
  for (const n of SIZES) {
    const count = n > 64 ? 20 : 150;
    const x = randomScores(rand, count, n);
    const box = ranks(n);
    t.is(box.name, `ranks(${n})`);
    t.is(box.outputSize, n);
    const out = run(box, x);
    const perm = run(permutation(Math.min(n, 64)), n <= 64 ? x : new Float32Array(0));
    for (let b = 0; b < count; b++) {
      const order = refAscending(row(x, b, n));
      const r = row(out, b, n);
      for (let pos = 0; pos < n; pos++) t.is(r[order[pos]], pos, `n=${n} row=${b}`);
      if (n <= 64) {
        for (let i = 0; i < n; i++) t.is(perm[b * n * n + i * n + r[i]], 1);
      }
    }
  }
});

test('argmax matches a brute-force maximum (NaN largest, lowest index among ties)', (t) => {
  const rand = rng(4);
  for (const n of SIZES) {
    const count = 200;
    const x = randomScores(rand, count, n);
    const box = argmax(n);
    t.is(box.name, `argmax(${n})`);
    const out = run(box, x);
    for (let b = 0; b < count; b++) {
      const v = row(x, b, n);
      let expected = v.findIndex((a) => Number.isNaN(a));
      if (expected < 0) {
        const max = Math.max(...v);
        expected = v.findIndex((a) => a === max);
      }
      const hot = new Array(n).fill(0);
      hot[expected] = 1;
      t.deepEqual(row(out, b, n), hot, `n=${n} x=${v}`);
      t.is(expected, refDescending(v)[0]);
    }
  }
});

test('topk matches brute force and the sort-based reference (ties prefer lower indices)', (t) => {
  const rand = rng(5);
  for (const n of SIZES) {
    const ks = [...new Set([1, 2, Math.ceil(n / 2), n - 1, n].filter((k) => k >= 1 && k <= n))];
    for (const k of ks) {
      const count = n > 64 ? 10 : 60;
      const x = randomScores(rand, count, n);
      const box = topk(n, k);
      t.is(box.name, `topk(${n}, ${k})`);
      const out = run(box, x);
      for (let b = 0; b < count; b++) {
        const v = row(x, b, n);
        // Brute force: i is chosen when fewer than k items beat it (larger, or equal with a lower index).
        const beats = (j: number, i: number): boolean => {
          const a = v[j];
          const c = v[i];
          if (Number.isNaN(a) && Number.isNaN(c)) return j < i;
          if (Number.isNaN(a)) return true;
          if (Number.isNaN(c)) return false;
          return a > c || (a === c && j < i);
        };
        const brute = v.map((_, i) => (v.filter((_, j) => j !== i && beats(j, i)).length < k ? 1 : 0));
        const fromSort = new Array(n).fill(0);
        for (const i of refDescending(v).slice(0, k)) fromSort[i] = 1;
        t.deepEqual(brute, fromSort);
        t.deepEqual(row(out, b, n), brute, `n=${n} k=${k} x=${v}`);
      }
    }
  }
});

test('sorting boxes: documented tie and special-value examples', (t) => {
  const f = (values: number[]) => Float32Array.from(values);
  t.deepEqual(Array.from(run(argmax(2), f([3, 3]))), [1, 0]);
  t.deepEqual(Array.from(run(argmax(3), f([NaN, 1, NaN]))), [1, 0, 0]);
  t.deepEqual(Array.from(run(argmax(3), f([1, Infinity, NaN]))), [0, 0, 1]);
  t.deepEqual(Array.from(run(argmax(3), f([-0, 0, -1]))), [1, 0, 0]);
  t.deepEqual(Array.from(run(argmax(3), f([-Infinity, -Infinity, -Infinity]))), [1, 0, 0]);
  t.deepEqual(Array.from(run(ranks(2), f([5, 5]))), [0, 1]);
  t.deepEqual(Array.from(run(ranks(2), f([0, -0]))), [0, 1]);
  t.deepEqual(Array.from(run(ranks(2), f([-0, 0]))), [0, 1]);
  t.deepEqual(Array.from(run(ranks(3), f([NaN, Infinity, -Infinity]))), [2, 1, 0]);
  t.deepEqual(Array.from(run(ranks(3), f([NaN, NaN, 1]))), [1, 2, 0]);
  t.deepEqual(Array.from(run(topk(3, 2), f([1, 1, 1]))), [1, 1, 0]);
  t.deepEqual(Array.from(run(topk(4, 2), f([2, NaN, 2, 5]))), [0, 1, 0, 1]);
  t.deepEqual(Array.from(run(topk(3, 3), f([NaN, -1, 0]))), [1, 1, 1]);
  // permutation(2) of [2, 1]: item 0 is last (position 1), item 1 first.
  t.deepEqual(Array.from(run(permutation(2), f([2, 1]))), [0, 1, 1, 0]);
  t.deepEqual(Array.from(run(permutation(1), f([NaN]))), [1]);
  // count 0 is a no-op
  const out = new Float32Array(4).fill(9);
  permutation(2).evaluate(new Float32Array(0), 0, out);
  t.deepEqual(Array.from(out), [9, 9, 9, 9]);
});

test('sorting boxes: a batch gives the same rows as one-row calls (no state leaks between rows)', (t) => {
  const rand = rng(6);
  for (const box of [permutation(30), ranks(30), argmax(30), topk(30, 7)]) {
    const count = 40;
    const x = randomScores(rand, count, 30);
    const batch = run(box, x);
    for (let b = 0; b < count; b++) {
      const single = run(box, x.slice(b * 30, (b + 1) * 30));
      t.deepEqual(row(batch, b, box.outputSize), Array.from(single));
    }
    t.deepEqual(Array.from(run(box, x)), Array.from(batch));
  }
});

// ---------------------------------------------------------------- shortest path: references

const FMAX = 3.4028234663852886e38;
const sanitize = (c: number): number => (Number.isNaN(c) || c === Infinity ? FMAX : c <= 0 ? 0 : c);

function neighbours(v: number, rows: number, cols: number): number[] {
  const r = Math.floor(v / cols);
  const c = v % cols;
  const out: number[] = [];
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) {
      if (dr === 0 && dc === 0) continue;
      const rr = r + dr;
      const cc = c + dc;
      if (rr >= 0 && rr < rows && cc >= 0 && cc < cols) out.push(rr * cols + cc);
    }
  }
  return out.sort((a, b) => a - b);
}

interface Brute {
  minCost: number;
  /** Fewest cells among the minimum-cost paths. */
  minCells: number;
  /** Masks of all minimum-cost paths. */
  best: number[][];
}

/** Enumerates every simple 8-neighbour path from start to target (left-to-right double sums). */
function bruteForce(costs: ArrayLike<number>, rows: number, cols: number): Brute {
  const N = rows * cols;
  const c = Array.from(costs, sanitize);
  const visited = new Array<boolean>(N).fill(false);
  const path: number[] = [];
  let minCost = Infinity;
  let best: number[][] = [];
  const dfs = (v: number, cost: number) => {
    if (v === N - 1) {
      if (cost < minCost) {
        minCost = cost;
        best = [];
      }
      if (cost === minCost) best.push([...path]);
      return;
    }
    for (const u of neighbours(v, rows, cols)) {
      if (visited[u]) continue;
      visited[u] = true;
      path.push(u);
      dfs(u, cost + c[u]);
      path.pop();
      visited[u] = false;
    }
  };
  visited[0] = true;
  path.push(0);
  dfs(0, c[0]);
  const masks = best.map((p) => {
    const m = new Array<number>(N).fill(0);
    for (const v of p) m[v] = 1;
    return m;
  });
  return { minCost, minCells: Math.min(...best.map((p) => p.length)), best: masks };
}

/**
 * The rule computed by synchronous (Jacobi) relaxation, as a GPU would: every sweep recomputes each label
 * from its neighbours' labels of the previous sweep alone (start pinned), until nothing changes; then the
 * trace-back picks the lowest-index qualifying neighbour. With keepOld = true it is the classic
 * Bellman–Ford min(old, candidates), which under float absorption is NOT the rule (see the test below).
 */
function relaxationReference(costs: ArrayLike<number>, rows: number, cols: number, keepOld = false): number[] {
  const N = rows * cols;
  const c = Array.from(costs, sanitize);
  let dist = new Array<number>(N).fill(Infinity);
  let hops = new Array<number>(N).fill(Infinity);
  dist[0] = c[0];
  hops[0] = 0;
  let sweeps = 0;
  for (let changed = true; changed; sweeps++) {
    if (sweeps > N * N + 10) throw new Error('reference: relaxation did not converge');
    changed = false;
    const nd = keepOld ? [...dist] : new Array<number>(N).fill(Infinity);
    const nh = keepOld ? [...hops] : new Array<number>(N).fill(Infinity);
    nd[0] = c[0];
    nh[0] = 0;
    for (let v = 1; v < N; v++) {
      for (const u of neighbours(v, rows, cols)) {
        const d = dist[u] + c[v];
        const h = hops[u] + 1;
        if (d < nd[v] || (d === nd[v] && h < nh[v])) {
          nd[v] = d;
          nh[v] = h;
        }
      }
      if (nd[v] !== dist[v] || nh[v] !== hops[v]) changed = true;
    }
    dist = nd;
    hops = nh;
  }
  const mask = new Array<number>(N).fill(0);
  let v = N - 1;
  mask[v] = 1;
  while (v !== 0) {
    const pred = neighbours(v, rows, cols).find((u) => dist[u] + c[v] === dist[v] && hops[u] + 1 === hops[v]);
    if (pred === undefined) throw new Error('reference: no predecessor (labels are not the fixed point)');
    v = pred;
    mask[v] = 1;
  }
  return mask;
}

/** The mask is 0/1, holds start and target, and its cells are 8-connected (a path from start to target). */
function isConnectedPath(mask: ArrayLike<number>, rows: number, cols: number): boolean {
  const N = rows * cols;
  for (let i = 0; i < N; i++) if (mask[i] !== 0 && mask[i] !== 1) return false;
  if (mask[0] !== 1 || mask[N - 1] !== 1) return false;
  const seen = new Array<boolean>(N).fill(false);
  const stack = [0];
  seen[0] = true;
  let reached = 0;
  while (stack.length) {
    const v = stack.pop()!;
    reached++;
    for (const u of neighbours(v, rows, cols)) {
      if (mask[u] === 1 && !seen[u]) {
        seen[u] = true;
        stack.push(u);
      }
    }
  }
  let total = 0;
  for (let i = 0; i < N; i++) total += mask[i];
  return reached === total && seen[N - 1];
}

function maskCost(mask: ArrayLike<number>, costs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) s += sanitize(costs[i]);
  return s;
}

const SMALL_GRIDS: Array<[number, number]> = [[1, 2], [2, 1], [1, 5], [2, 2], [2, 3], [3, 2], [3, 3], [3, 4], [4, 3]];

// ---------------------------------------------------------------- shortest path: tests

test('shortestPath equals the brute-force minimum-cost path on small grids (continuous costs)', (t) => {
  const rand = rng(10);
  for (const [rows, cols] of SMALL_GRIDS) {
    const box = shortestPath(rows, cols);
    t.is(box.name, `shortestPath(${rows}, ${cols})`);
    t.is(box.inputSize, rows * cols);
    t.is(box.outputSize, rows * cols);
    const count = rows * cols > 9 ? 15 : 40;
    const x = new Float32Array(count * rows * cols);
    for (let i = 0; i < x.length; i++) x[i] = 0.01 + rand() * 5;
    const out = run(box, x);
    for (let b = 0; b < count; b++) {
      const costs = x.subarray(b * rows * cols, (b + 1) * rows * cols);
      const brute = bruteForce(costs, rows, cols);
      t.is(brute.best.length, 1, 'continuous costs: a unique optimum');
      t.deepEqual(row(out, b, rows * cols), brute.best[0], `${rows}x${cols} costs=${Array.from(costs)}`);
    }
  }
});

test('shortestPath with ties and zero costs: minimum cost, then fewest cells, and the rule of a relaxation reference', (t) => {
  const rand = rng(11);
  const palettes = [[1, 2], [0, 1], [0, 0, 1, 2], [0], [-1, -0, 0, 2]];
  for (const [rows, cols] of SMALL_GRIDS) {
    const box = shortestPath(rows, cols);
    for (const palette of palettes) {
      const count = rows * cols > 9 ? 8 : 20;
      const x = new Float32Array(count * rows * cols);
      for (let i = 0; i < x.length; i++) x[i] = palette[Math.floor(rand() * palette.length)];
      const out = run(box, x);
      for (let b = 0; b < count; b++) {
        const costs = x.subarray(b * rows * cols, (b + 1) * rows * cols);
        const mask = row(out, b, rows * cols);
        const brute = bruteForce(costs, rows, cols);
        const msg = `${rows}x${cols} costs=${Array.from(costs)}`;
        t.true(isConnectedPath(mask, rows, cols), msg);
        t.is(maskCost(mask, costs), brute.minCost, msg);
        t.is(mask.reduce((a, v) => a + v, 0), brute.minCells, msg);
        t.true(brute.best.some((m) => m.every((v, i) => v === mask[i])), msg);
        t.deepEqual(mask, relaxationReference(costs, rows, cols), msg);
      }
    }
  }
});

test('shortestPath agrees with the relaxation reference on larger grids with heavy ties', (t) => {
  const rand = rng(12);
  for (const [rows, cols] of [[5, 5], [6, 9], [10, 10], [1, 17], [17, 1], [12, 12]] as Array<[number, number]>) {
    const box = shortestPath(rows, cols);
    for (const palette of [[1, 2], [0, 1], [0, 0, 0, 1], [1, 2, 3, NaN, Infinity, -Infinity, -0]]) {
      const count = 10;
      const x = new Float32Array(count * rows * cols);
      for (let i = 0; i < x.length; i++) x[i] = palette[Math.floor(rand() * palette.length)];
      const out = run(box, x);
      for (let b = 0; b < count; b++) {
        const costs = x.subarray(b * rows * cols, (b + 1) * rows * cols);
        t.deepEqual(row(out, b, rows * cols), relaxationReference(costs, rows, cols), `${rows}x${cols}`);
      }
    }
  }
});

test('shortestPath: documented examples (both ends counted, fewest cells, lowest-index predecessor)', (t) => {
  const f = (values: number[]) => Float32Array.from(values);
  t.deepEqual(Array.from(run(shortestPath(1, 2), f([5, 7]))), [1, 1]);
  t.deepEqual(Array.from(run(shortestPath(2, 1), f([NaN, NaN]))), [1, 1]);
  // cost 2 either way: the diagonal (2 cells) beats the detour through a zero cell (3 cells).
  t.deepEqual(Array.from(run(shortestPath(2, 2), f([1, 0, 0, 1]))), [1, 0, 0, 1]);
  // vertex weights: a cheap cell off the diagonal is worth the detour only if it saves cost.
  t.deepEqual(Array.from(run(shortestPath(2, 3), f([1, 1, 9, 9, 9, 1]))), [1, 1, 0, 0, 0, 1]);
  // all ones on 2×3: the 3-cell paths end through cell 1 or cell 4; the lower index (1) wins.
  t.deepEqual(Array.from(run(shortestPath(2, 3), f([1, 1, 1, 1, 1, 1]))), [1, 1, 0, 0, 0, 1]);
  // all NaN on 5×5: every cell costs FLT_MAX, so the fewest cells win: the main diagonal.
  const diag = run(shortestPath(5, 5), new Float32Array(25).fill(NaN));
  t.deepEqual(Array.from(diag), Array.from({ length: 25 }, (_, i) => (i % 6 === 0 ? 1 : 0)));
  // an "infinite" wall is crossed only when there is no other way.
  const wall = f([1, Infinity, 1, 1, Infinity, 1, 1, Infinity, 1]);
  const m = Array.from(run(shortestPath(3, 3), wall));
  t.is(m[1] + m[4] + m[7], 1);
  t.is(maskCost(m, wall), 1 + FMAX + 1);
});

test('shortestPath under float absorption follows the label rule, not a min(old, new) Bellman–Ford', (t) => {
  // The target costs FLT_MAX (NaN), so every path to it costs FLT_MAX in double. A 4-cell path through the
  // NaN cell (1,1) exists, but the rule labels the target from its neighbours' least labels: via (1,2),
  // reached at cost 2 in 3 steps, giving a 5-cell path. A Bellman–Ford that keeps min(old, new) sticks on
  // a transient (FLT_MAX, 3) label at the target and disagrees.
  const costs = [1, 1, 0, NaN, 0, NaN, 1, 2, 1, 0, 1, NaN];
  const mask = Array.from(run(shortestPath(3, 4), Float32Array.from(costs)));
  t.deepEqual(mask, [1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1]);
  t.deepEqual(mask, relaxationReference(costs, 3, 4));
  t.throws(() => relaxationReference(costs, 3, 4, true));
  t.is(maskCost(mask, costs), bruteForce(costs, 3, 4).minCost);
});

test('shortestPath: NaN, ±Infinity, negative, -0 and huge costs give a valid path and no NaN', (t) => {
  const rand = rng(13);
  const weird = [NaN, Infinity, -Infinity, -0, 0, -5, 3.4e38, 1e-45, 1, 2.5];
  for (const [rows, cols] of [[2, 2], [3, 4], [7, 5], [16, 16]] as Array<[number, number]>) {
    const box = shortestPath(rows, cols);
    const count = 30;
    const x = new Float32Array(count * rows * cols);
    for (let i = 0; i < x.length; i++) x[i] = weird[Math.floor(rand() * weird.length)];
    const out = run(box, x);
    for (let b = 0; b < count; b++) {
      const mask = row(out, b, rows * cols);
      t.false(mask.some((v) => Number.isNaN(v)));
      t.true(isConnectedPath(mask, rows, cols));
      if (rows * cols <= 12) {
        const costs = x.subarray(b * rows * cols, (b + 1) * rows * cols);
        t.is(maskCost(mask, costs), bruteForce(costs, rows, cols).minCost);
      }
    }
  }
  for (const fill of [NaN, Infinity, -Infinity, 0, -0, 3.4e38]) {
    const mask = Array.from(run(shortestPath(6, 4), new Float32Array(24).fill(fill)));
    t.true(isConnectedPath(mask, 6, 4), `fill ${fill}`);
    t.is(mask.reduce((a, v) => a + v, 0), 6, 'fewest cells when every cell costs the same');
  }
});

test('shortestPath is deterministic and a batch equals one-row calls', (t) => {
  const rand = rng(14);
  const rows = 9;
  const cols = 7;
  const box = shortestPath(rows, cols);
  const count = 25;
  const x = new Float32Array(count * rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = rand() < 0.5 ? Math.floor(rand() * 3) : rand();
  const first = run(box, x);
  const second = run(box, x);
  t.deepEqual(Array.from(first), Array.from(second));
  t.deepEqual(Array.from(run(shortestPath(rows, cols), x)), Array.from(first));
  for (let b = 0; b < count; b++) {
    const single = run(box, x.slice(b * rows * cols, (b + 1) * rows * cols));
    t.deepEqual(Array.from(single), row(first, b, rows * cols));
  }
});

test('shortestPath on a 32×32 grid runs and returns a valid path', (t) => {
  const rand = rng(15);
  const box = shortestPath(32, 32);
  const count = 64;
  const x = new Float32Array(count * 1024);
  for (let i = 0; i < x.length; i++) x[i] = rand() * 10;
  const started = performance.now();
  const out = run(box, x);
  const elapsed = performance.now() - started;
  t.log(`32×32 × ${count} rows: ${elapsed.toFixed(1)} ms`);
  for (let b = 0; b < count; b++) {
    const mask = row(out, b, 1024);
    t.true(isConnectedPath(mask, 32, 32));
  }
  t.deepEqual(row(out, 0, 1024), relaxationReference(x.subarray(0, 1024), 32, 32));
  t.deepEqual(row(out, 1, 1024), relaxationReference(x.subarray(1024, 2048), 32, 32));
});

// ---------------------------------------------------------------- validation

function expectInvalid(t: import('ava').ExecutionContext, fn: () => unknown, argument: string): void {
  const err = t.throws(fn);
  t.true(err instanceof SmoothingError, String(err));
  t.is((err as SmoothingError).code, 'ERR_INVALID_ARGUMENT');
  t.is((err as SmoothingError).argument, argument);
  t.truthy((err as SmoothingError).fix);
}

test('factories validate their arguments (SmoothingError ERR_INVALID_ARGUMENT)', (t) => {
  const bad: unknown[] = [0, -1, 1.5, '5', NaN, Infinity, undefined, null, 2 ** 60];
  for (const factory of [permutation, ranks, argmax] as Array<(n: unknown) => unknown>) {
    for (const n of bad) expectInvalid(t, () => factory(n), 'n');
  }
  expectInvalid(t, () => permutation(50000), 'n');
  const tk = topk as unknown as (n: unknown, k: unknown) => unknown;
  expectInvalid(t, () => tk(5, 6), 'k');
  expectInvalid(t, () => tk(5, 0), 'k');
  expectInvalid(t, () => tk(5, 1.5), 'k');
  expectInvalid(t, () => tk(5, '2'), 'k');
  expectInvalid(t, () => tk('5', 2), 'n');
  expectInvalid(t, () => tk(0, 0), 'n');
  const sp = shortestPath as unknown as (r: unknown, c: unknown) => unknown;
  expectInvalid(t, () => sp(1, 1), 'cols');
  expectInvalid(t, () => sp(0, 3), 'rows');
  expectInvalid(t, () => sp(3, 0), 'cols');
  expectInvalid(t, () => sp(2, 1.5), 'cols');
  expectInvalid(t, () => sp('8', 8), 'rows');
  expectInvalid(t, () => sp(100000, 100000), 'rows');
  const err = t.throws(() => permutation('5' as unknown as number)) as SmoothingError;
  t.regex(err.message, /permutation/);
  t.regex(err.message, /"5"/);
  const err2 = t.throws(() => topk(5, 6)) as SmoothingError;
  t.regex(err2.message, /k must be at most n = 5/);
  // Valid edge cases construct.
  t.notThrows(() => topk(1, 1));
  t.notThrows(() => shortestPath(1, 2));
  t.notThrows(() => shortestPath(2, 1));
});

test('evaluate validates its buffers', (t) => {
  const box = permutation(3);
  expectInvalid(t, () => box.evaluate(new Float32Array(5), 2, new Float32Array(18)), 'inputs');
  expectInvalid(t, () => box.evaluate(new Float32Array(6), 2, new Float32Array(17)), 'outputs');
  expectInvalid(t, () => box.evaluate(new Float32Array(6), -1, new Float32Array(18)), 'count');
  expectInvalid(t, () => box.evaluate(new Float32Array(6), 1.5, new Float32Array(18)), 'count');
  expectInvalid(t, () => box.evaluate(new Float64Array(6) as unknown as Float32Array, 2, new Float32Array(18)), 'inputs');
  expectInvalid(t, () => shortestPath(2, 2).evaluate(new Float32Array(3), 1, new Float32Array(4)), 'inputs');
});

test('blackboxes namespace exposes the five built-in factories and fromFunction', (t) => {
  t.deepEqual(Object.keys(blackboxes).sort(), ['argmax', 'fromFunction', 'permutation', 'ranks', 'shortestPath', 'topk']);
  t.is(blackboxes.topk(4, 2).name, 'topk(4, 2)');
  t.is(blackboxes.shortestPath(3, 4).name, 'shortestPath(3, 4)');
  t.deepEqual(blackboxes.topk(4, 2).builtin, { kind: 'topk', n: 4, k: 2 });
  // Built-ins are synchronous: evaluate returns undefined, not a promise.
  t.is(blackboxes.argmax(2).evaluate(new Float32Array(2), 1, new Float32Array(2)), undefined);
});
