/**
 * Training data and baselines (lib/train/) against independent computations: the raw mnist files, the
 * sort order of Array.prototype.sort and the permutation black box, a Dijkstra written here, and
 * gradients worked out by hand.
 */
import test from 'ava';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { blackboxes } from '../lib/blackboxes/index.js';
import { SmoothingError } from '../lib/errors.js';
import { createRng } from '../lib/train/rng.js';
import { DIGIT_PIXELS, IMAGE_HEIGHT, IMAGE_WIDTH, loadDigits, rankingBatch } from '../lib/train/mnist-numbers.js';
import { pathCost, shortestPaths, terrainBatch, TERRAIN_TYPES } from '../lib/train/terrain.js';
import { blackboxDifferentiation, neuralSort } from '../lib/train/baselines.js';

test.before(async () => {
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner in the test log
  await tf.setBackend('cpu');
});

const isInvalid = { instanceOf: SmoothingError, code: 'ERR_INVALID_ARGUMENT' } as const;

// ---------------------------------------------------------------- rng

test('rng: deterministic per seed, different across seeds, in range', (t) => {
  const a = createRng(7);
  const b = createRng(7);
  const c = createRng(8);
  const xs = Array.from({ length: 100 }, () => a.next());
  t.deepEqual(Array.from({ length: 100 }, () => b.next()), xs);
  t.notDeepEqual(Array.from({ length: 100 }, () => c.next()), xs);
  t.true(xs.every((x) => x >= 0 && x < 1));
  const r = createRng(3);
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 20000; i++) counts[r.int(10)]++;
  // Each bin expects 2000 with σ ≈ 42: ±300 is a 7σ band.
  t.true(counts.every((k) => Math.abs(k - 2000) < 300), String(counts));
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < 20000; i++) {
    const z = r.normal();
    sum += z;
    squares += z * z;
  }
  t.true(Math.abs(sum / 20000) < 0.05);
  t.true(Math.abs(squares / 20000 - 1) < 0.05);
  t.throws(() => createRng(0.5), isInvalid);
  t.throws(() => r.int(0), isInvalid);
});

// ---------------------------------------------------------------- MNIST numbers

/** The raw class files, read through a different path (require) than the library (readFileSync). */
const require = createRequire(import.meta.url);
const raw: number[][] = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);

test('digits: 80/20 split per class, in file order, disjoint', (t) => {
  const sets = loadDigits();
  t.is(loadDigits(), sets, 'loaded once and cached');
  for (let d = 0; d < 10; d++) {
    const total = raw[d].length / DIGIT_PIXELS;
    const { train, test: held } = { train: sets.train[d], test: sets.test[d] };
    t.is(train.count, Math.floor(0.8 * total));
    t.is(train.count + held.count, total);
    t.is(train.images.length, train.count * DIGIT_PIXELS);
    t.is(held.images.length, held.count * DIGIT_PIXELS);
    // Train = the first digits of the file, test = the rest (spot-check the boundaries, float32-rounded).
    t.is(train.images[0], Math.fround(raw[d][0]));
    t.is(held.images[0], Math.fround(raw[d][train.count * DIGIT_PIXELS]));
    t.is(held.images[held.images.length - 1], Math.fround(raw[d][raw[d].length - 1]));
    // No pixel-identical digit in both splits.
    const key = (a: Float32Array, i: number): string => Array.from(a.subarray(i * DIGIT_PIXELS, (i + 1) * DIGIT_PIXELS)).join(',');
    const seen = new Set<string>();
    for (let i = 0; i < train.count; i++) seen.add(key(train.images, i));
    let shared = 0;
    for (let i = 0; i < held.count; i++) if (seen.has(key(held.images, i))) shared++;
    t.is(shared, 0, `class ${d}`);
  }
});

/** Item positions by Array.prototype.sort: ascending values, ties lower index first. */
function ascendingOrder(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
}

function checkRankingBatch(t: import('ava').ExecutionContext, split: 'train' | 'test', sets: number, setSize: number, digits: number, seed: number): void {
  const batch = rankingBatch(createRng(seed), split, sets, setSize, digits);
  const width = 28 * digits;
  const items = sets * setSize;
  t.is(batch.images.length, items * 28 * width);
  t.is(batch.values.length, items);
  t.is(batch.permutation.length, sets * setSize * setSize);
  const trainCount = (d: number): number => Math.floor(0.8 * (raw[d].length / DIGIT_PIXELS));

  // Every digit block of every image equals the raw file's digit, of the class the value says, in the split.
  for (let item = 0; item < items; item++) {
    const value = batch.values[item];
    t.true(value >= 0 && value < 10 ** digits);
    for (let k = 0; k < digits; k++) {
      const digit = Math.floor(value / 10 ** (digits - 1 - k)) % 10;
      const index = batch.digitIndices[item * digits + k];
      const first = split === 'train' ? 0 : trainCount(digit);
      const limit = split === 'train' ? trainCount(digit) : raw[digit].length / DIGIT_PIXELS;
      t.true(index >= 0 && first + index < limit, 'index within the split');
      const fileImage = first + index;
      let mismatches = 0;
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const got = batch.images[item * 28 * width + y * width + 28 * k + x];
          if (got !== Math.fround(raw[digit][fileImage * DIGIT_PIXELS + y * 28 + x])) mismatches++;
        }
      }
      t.is(mismatches, 0, `item ${item} digit ${k}`);
    }
  }

  // Permutation matrices: one 1 per row and per column, sorting the values ascending.
  const box = blackboxes.permutation(setSize);
  const boxOut = new Float32Array(sets * setSize * setSize);
  box.evaluate(Float32Array.from(batch.values), sets, boxOut);
  t.deepEqual(Array.from(batch.permutation), Array.from(boxOut), 'same as the permutation black box');
  for (let set = 0; set < sets; set++) {
    const values = batch.values.subarray(set * setSize, (set + 1) * setSize);
    const order = ascendingOrder(values);
    const p = batch.permutation.subarray(set * setSize * setSize, (set + 1) * setSize * setSize);
    for (let i = 0; i < setSize; i++) {
      let row = 0;
      let column = 0;
      for (let r = 0; r < setSize; r++) {
        t.true(p[i * setSize + r] === 0 || p[i * setSize + r] === 1);
        row += p[i * setSize + r];
        column += p[r * setSize + i];
      }
      t.is(row, 1);
      t.is(column, 1);
    }
    for (let r = 0; r < setSize; r++) t.is(p[order[r] * setSize + r], 1, `set ${set} position ${r}`);
  }
}

test('rankingBatch: images re-derived from the raw files, permutations sort ascending', (t) => {
  t.is(IMAGE_HEIGHT, 28);
  t.is(IMAGE_WIDTH, 112);
  checkRankingBatch(t, 'train', 6, 5, 4, 1);
  checkRankingBatch(t, 'test', 6, 5, 4, 2);
  // One-digit numbers in sets of 8: ties are frequent, so the tie rule (lower index first) is exercised.
  checkRankingBatch(t, 'test', 20, 8, 1, 3);
});

test('rankingBatch: deterministic per seed, different across seeds, validated', (t) => {
  const a = rankingBatch(createRng(11), 'train', 4);
  const b = rankingBatch(createRng(11), 'train', 4);
  const c = rankingBatch(createRng(12), 'train', 4);
  t.deepEqual(a.values, b.values);
  t.deepEqual(a.images, b.images);
  t.deepEqual(a.permutation, b.permutation);
  t.notDeepEqual(a.values, c.values);
  t.throws(() => rankingBatch(createRng(1), 'val' as 'train', 1), isInvalid);
  t.throws(() => rankingBatch(createRng(1), 'train', 0), isInvalid);
  t.throws(() => rankingBatch(createRng(1), 'train', 1, 5, 10), isInvalid);
});

// ---------------------------------------------------------------- terrain

const DOCUMENTED_COSTS = [0.8, 1.2, 3.0, 5.5, 9.0]; // road, grass, forest, hills, water (terrain.ts header)

test('terrain: costs follow the documented table, images in [0, 1], structure, determinism', (t) => {
  const batch = terrainBatch(createRng(5), 10);
  t.is(batch.images.length, 10 * 48 * 48 * 3);
  t.is(batch.costs.length, 10 * 144);
  t.deepEqual(TERRAIN_TYPES.map((type) => type.name), ['road', 'grass', 'forest', 'hills', 'water']);
  for (let i = 0; i < batch.types.length; i++) t.is(batch.costs[i], Math.fround(DOCUMENTED_COSTS[batch.types[i]]));
  t.true(batch.images.every((v) => v >= 0 && v <= 1));
  t.deepEqual([...new Set(batch.types)].sort(), [0, 1, 2, 3, 4], 'all five types occur');
  // Spatial structure: horizontal neighbours share a type far more often than independent cells would.
  let same = 0;
  let pairs = 0;
  let independent = 0;
  const share = [0, 1, 2, 3, 4].map((type) => batch.types.filter((x) => x === type).length / batch.types.length);
  for (const p of share) independent += p * p;
  for (let m = 0; m < 10; m++) {
    for (let r = 0; r < 12; r++) {
      for (let c = 0; c < 11; c++) {
        pairs++;
        if (batch.types[m * 144 + r * 12 + c] === batch.types[m * 144 + r * 12 + c + 1]) same++;
      }
    }
  }
  t.true(same / pairs > independent + 0.15, `${same / pairs} vs ${independent}`);
  const again = terrainBatch(createRng(5), 10);
  t.deepEqual(again.images, batch.images);
  t.deepEqual(again.types, batch.types);
  t.notDeepEqual(terrainBatch(createRng(6), 10).types, batch.types);
  const small = terrainBatch(createRng(1), 2, 5, 7, 3);
  t.is(small.images.length, 2 * 15 * 21 * 3);
  t.throws(() => terrainBatch(createRng(1), 0), isInvalid);
  t.throws(() => terrainBatch(createRng(1), 1, 12, 12, 0), isInvalid);
});

test('terrain: the type is recoverable from a patch (nearest mean colour) but not from one pixel', (t) => {
  const patch = 4;
  const width = 12 * patch;
  const fit = terrainBatch(createRng(21), 20);
  const check = terrainBatch(createRng(22), 20);
  /** Mean colour of cell (r, c) of map m, or of the single pixel `only` inside it. */
  const colour = (images: Float32Array, m: number, r: number, c: number, only?: number): number[] => {
    const sum = [0, 0, 0];
    let k = 0;
    for (let y = 0; y < patch; y++) {
      for (let x = 0; x < patch; x++) {
        if (only !== undefined && y * patch + x !== only) continue;
        const p = m * width * width * 3 + ((r * patch + y) * width + c * patch + x) * 3;
        for (let ch = 0; ch < 3; ch++) sum[ch] += images[p + ch];
        k++;
      }
    }
    return sum.map((v) => v / k);
  };
  const centroids = Array.from({ length: 5 }, () => [0, 0, 0]);
  const counts = new Array<number>(5).fill(0);
  for (let m = 0; m < 20; m++) {
    for (let cell = 0; cell < 144; cell++) {
      const type = fit.types[m * 144 + cell];
      colour(fit.images, m, (cell / 12) | 0, cell % 12).forEach((v, ch) => (centroids[type][ch] += v));
      counts[type]++;
    }
  }
  centroids.forEach((centroid, type) => centroid.forEach((_, ch) => (centroid[ch] /= counts[type])));
  const nearest = (v: number[]): number => {
    let best = -1;
    let bestDistance = Infinity;
    centroids.forEach((centroid, type) => {
      const d = (centroid[0] - v[0]) ** 2 + (centroid[1] - v[1]) ** 2 + (centroid[2] - v[2]) ** 2;
      if (d < bestDistance) {
        bestDistance = d;
        best = type;
      }
    });
    return best;
  };
  let patchRight = 0;
  let pixelRight = 0;
  for (let m = 0; m < 20; m++) {
    for (let cell = 0; cell < 144; cell++) {
      const type = check.types[m * 144 + cell];
      if (nearest(colour(check.images, m, (cell / 12) | 0, cell % 12)) === type) patchRight++;
      if (nearest(colour(check.images, m, (cell / 12) | 0, cell % 12, 5)) === type) pixelRight++;
    }
  }
  const cells = 20 * 144;
  t.true(patchRight / cells > 0.95, `patch accuracy ${patchRight / cells}`);
  t.true(pixelRight / cells < patchRight / cells - 0.05, `pixel accuracy ${pixelRight / cells}`);
});

/** Independent shortest-path cost: O(N²) Dijkstra on the 8-neighbour vertex-weighted grid. */
function dijkstraCost(costs: Float32Array, offset: number, rows: number, cols: number): number {
  const cells = rows * cols;
  const dist = new Array<number>(cells).fill(Infinity);
  const done = new Array<boolean>(cells).fill(false);
  dist[0] = costs[offset];
  for (;;) {
    let u = -1;
    for (let v = 0; v < cells; v++) if (!done[v] && (u < 0 || dist[v] < dist[u])) u = v;
    if (u === cells - 1) return dist[u];
    done[u] = true;
    const ur = Math.floor(u / cols);
    const uc = u % cols;
    for (let r = Math.max(0, ur - 1); r <= Math.min(rows - 1, ur + 1); r++) {
      for (let c = Math.max(0, uc - 1); c <= Math.min(cols - 1, uc + 1); c++) {
        const v = r * cols + c;
        if (!done[v]) dist[v] = Math.min(dist[v], dist[u] + costs[offset + v]);
      }
    }
  }
}

test('shortestPaths: connected paths whose cost is the Dijkstra optimum; pathCost', (t) => {
  for (const [rows, cols] of [
    [12, 12],
    [6, 9],
  ]) {
    const count = 6;
    const cells = rows * cols;
    const { costs } = terrainBatch(createRng(rows * 100 + cols), count, rows, cols, 2);
    const paths = shortestPaths(costs, count, rows, cols);
    t.is(paths.length, count * cells);
    for (let m = 0; m < count; m++) {
      const path = paths.subarray(m * cells, (m + 1) * cells);
      t.is(path[0], 1);
      t.is(path[cells - 1], 1);
      // The mask is one 8-connected set holding both ends; it then contains a start-target path, and
      // its cost equal to the optimum (all costs > 0) means it is exactly a cheapest path.
      const reached = new Set<number>([0]);
      const stack = [0];
      while (stack.length > 0) {
        const v = stack.pop()!;
        const vr = Math.floor(v / cols);
        const vc = v % cols;
        for (let r = Math.max(0, vr - 1); r <= Math.min(rows - 1, vr + 1); r++) {
          for (let c = Math.max(0, vc - 1); c <= Math.min(cols - 1, vc + 1); c++) {
            const u = r * cols + c;
            if (path[u] === 1 && !reached.has(u)) {
              reached.add(u);
              stack.push(u);
            }
          }
        }
      }
      t.is(reached.size, path.filter((v) => v === 1).length, 'connected');
      t.true(path.every((v) => v === 0 || v === 1));
      const optimum = dijkstraCost(costs, m * cells, rows, cols);
      t.true(Math.abs(pathCost(costs, paths, m * cells, cells) - optimum) < 1e-9, `map ${m}`);
    }
  }
  // pathCost by hand: costs 1, 2, 3, 4 with cells 0 and 3 on the path (a rounded 0.9999 counts).
  t.is(pathCost(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 0, 0, 0.9999]), 0, 4), 5);
  t.is(pathCost(new Float32Array([9, 1, 2, 3, 4]), new Float32Array([1, 1, 0, 0, 1]), 1, 4), 5);
  t.is(pathCost(new Float32Array(144).fill(0.5), new Float32Array(144).fill(1)), 72);
  t.throws(() => pathCost(new Float32Array(4), new Float32Array(4), 1, 4), isInvalid);
  t.throws(() => shortestPaths(new Float32Array(10), 1, 4, 4), isInvalid);
});

// ---------------------------------------------------------------- NeuralSort

/** Rows of n scores at least 0.4 apart, in a random order. */
function separatedScores(seed: number, rows: number, n: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(rows * n);
  for (let b = 0; b < rows; b++) {
    const base = rng.normal();
    const order = Array.from({ length: n }, (_, i) => i).sort(() => rng.next() - 0.5);
    for (let i = 0; i < n; i++) out[b * n + order[i]] = base + 0.7 * i + 0.3 * rng.next();
  }
  return out;
}

test('neuralSort: at tau = 1e-3 it is the hard ascending permutation of the black box', (t) => {
  for (const n of [2, 3, 5]) {
    const rows = 8;
    const scores = separatedScores(n, rows, n);
    const hard = new Float32Array(rows * n * n);
    blackboxes.permutation(n).evaluate(scores, rows, hard);
    const relaxed = tf.tidy(() => neuralSort(tf.tensor2d(scores, [rows, n]), 1e-3).dataSync());
    t.is(relaxed.length, hard.length);
    let worst = 0;
    for (let i = 0; i < hard.length; i++) worst = Math.max(worst, Math.abs(relaxed[i] - hard[i]));
    t.true(worst < 1e-3, `n = ${n}: max difference ${worst}`);
  }
  // Orientation by hand: scores [3, 1, 2] ascend as item 1, item 2, item 0.
  const p = tf.tidy(() => neuralSort(tf.tensor2d([[3, 1, 2]]), 1e-3).arraySync()[0]);
  t.deepEqual(p.map((row) => row.map(Math.round)), [
    [0, 0, 1],
    [1, 0, 0],
    [0, 1, 0],
  ]);
});

test('neuralSort: every position sums to 1 over the items; item sums only approach 1; gradients finite', (t) => {
  const rows = 16;
  const n = 5;
  const rng = createRng(99);
  const scores = Float32Array.from({ length: rows * n }, () => rng.normal());
  const p = tf.tidy(() => neuralSort(tf.tensor2d(scores, [rows, n]), 1).dataSync());
  let worstColumn = 0;
  let worstRow = 0;
  for (let b = 0; b < rows; b++) {
    for (let k = 0; k < n; k++) {
      let column = 0;
      let row = 0;
      for (let j = 0; j < n; j++) {
        column += p[b * n * n + j * n + k]; // position k, summed over items j
        row += p[b * n * n + k * n + j]; // item k, summed over positions j
      }
      worstColumn = Math.max(worstColumn, Math.abs(column - 1));
      worstRow = Math.max(worstRow, Math.abs(row - 1));
    }
  }
  t.true(p.every((v) => v > 0 && v <= 1));
  t.true(worstColumn < 1e-5, `position sums off by ${worstColumn}`);
  t.true(worstRow > 1e-2, `item sums off by only ${worstRow}: NeuralSort is documented as not doubly stochastic`);

  const before = tf.memory().numTensors;
  const weights = tf.tensor3d(Float32Array.from({ length: rows * n * n }, () => rng.normal()), [rows, n, n]);
  const x = tf.tensor2d(scores, [rows, n]);
  const gradient = tf.grad((s: tf.Tensor) => neuralSort(s as tf.Tensor2D, 0.5).mul(weights).sum())(x);
  const g = gradient.dataSync();
  t.true(g.every(Number.isFinite));
  t.true(g.some((v) => Math.abs(v) > 1e-4), 'not identically zero');
  tf.dispose([weights, x, gradient]);
  t.is(tf.memory().numTensors, before, 'no tensor leaked');
  t.throws(() => neuralSort(tf.tensor2d([[1, 2]]), 0), isInvalid);
});

// ---------------------------------------------------------------- blackbox differentiation

/** One-hot of the smallest weight per row (lowest index on ties): minimises ⟨w, y⟩ over one-hot y. */
function argminSolver(calls: Float32Array[]): (w: Float32Array, count: number) => Float32Array {
  return (w, count) => {
    calls.push(Float32Array.from(w));
    const n = w.length / count;
    const y = new Float32Array(w.length);
    for (let b = 0; b < count; b++) {
      let best = 0;
      for (let i = 1; i < n; i++) if (w[b * n + i] < w[b * n + best]) best = i;
      y[b * n + best] = 1;
    }
    return y;
  };
}

test('blackboxDifferentiation: forward is the solver output (shortest path)', (t) => {
  const rows = 4;
  const cols = 5;
  const box = blackboxes.shortestPath(rows, cols);
  const solver = (w: Float32Array, count: number): Float32Array => {
    const out = new Float32Array(count * rows * cols);
    box.evaluate(w, count, out);
    return out;
  };
  const { costs } = terrainBatch(createRng(4), 3, rows, cols, 1);
  const op = blackboxDifferentiation(solver, 10);
  const y = tf.tidy(() => op(tf.tensor2d(costs, [3, rows * cols])).dataSync());
  t.deepEqual(Array.from(y), Array.from(shortestPaths(costs, 3, rows, cols)));
});

test('blackboxDifferentiation: gradient (y(w + λ g) − y(w)) / λ (Vlastelica et al. eq. 6), by hand; descent moves toward the better solution', (t) => {
  // w row 0 = [1, 2, 3] (y = e0), row 1 = [4, 0, 5] (y = e1); loss Σ g ⊙ y, so dL/dy = g.
  const w = tf.tensor2d([
    [1, 2, 3],
    [4, 0, 5],
  ]);
  const g = tf.tensor2d([
    [0, -5, 0],
    [-6, 0, 0],
  ]);
  const gradientAt = (lambda: number, calls: Float32Array[]): number[][] => {
    const op = blackboxDifferentiation(argminSolver(calls), lambda);
    return tf.tidy(() => (tf.grad((x: tf.Tensor) => op(x as tf.Tensor2D).mul(g).sum())(w) as tf.Tensor2D).arraySync());
  };
  // λ = 1: w + g = [1, -3, 3] -> e1 and [-2, 0, 5] -> e0; gradient (e1 − e0) = [−1, 1, 0] and (e0 − e1) = [1, −1, 0].
  const calls: Float32Array[] = [];
  const g1 = gradientAt(1, calls);
  t.deepEqual(g1, [
    [-1, 1, 0],
    [1, -1, 0],
  ]);
  // The point of the method: a descent step on w makes the solver pick the solution the loss prefers
  // (row 0: item 1, whose dL/dy is −5; row 1: item 0, whose dL/dy is −6).
  const stepped = Float32Array.from([1, 2, 3, 4, 0, 5], (v, i) => v - 3 * g1[Math.floor(i / 3)][i % 3]);
  t.deepEqual(Array.from(argminSolver([])(stepped, 2)), [0, 1, 0, 1, 0, 0]);
  t.deepEqual(Array.from(calls[1]), [1, -3, 3, -2, 0, 5], 'second solve at w + λ·dL/dy');
  // λ = 0.5: w + g/2 = [1, -0.5, 3] -> e1 and [1, 0, 5] -> e1 (0 < 1); gradients [−2, 2, 0] and 0.
  t.deepEqual(gradientAt(0.5, []), [
    [-2, 2, 0],
    [0, 0, 0],
  ]);
  // λ = 0.1: w + g/10 = [1, 1.5, 3] and [3.4, 0, 5]: both solutions unchanged, zero gradient.
  t.deepEqual(gradientAt(0.1, []), [
    [0, 0, 0],
    [0, 0, 0],
  ]);
  tf.dispose([w, g]);
});

test('blackboxDifferentiation: no tensor leak over 20 steps of variableGrads; validation', (t) => {
  const op = blackboxDifferentiation(argminSolver([]), 2);
  const v = tf.variable(tf.tensor2d([[0.3, -0.2, 0.7, 0.1]]));
  const target = tf.tensor2d([[0, 0, 1, 0]]);
  const before = tf.memory().numTensors;
  for (let step = 0; step < 20; step++) {
    const { value, grads } = tf.variableGrads(() => op(v).sub(target).square().sum() as tf.Scalar, [v]);
    t.true(Number.isFinite(value.dataSync()[0]));
    tf.dispose(value);
    tf.dispose(grads);
  }
  t.is(tf.memory().numTensors, before);
  tf.dispose([v, target]);
  t.throws(() => blackboxDifferentiation(argminSolver([]), 0), isInvalid);
  const wrongSize = blackboxDifferentiation(() => new Float32Array(1), 1);
  t.throws(() => tf.tidy(() => wrongSize(tf.tensor2d([[1, 2]]))), isInvalid);
});
