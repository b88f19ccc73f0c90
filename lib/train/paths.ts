/**
 * Demo 2, shortest paths on terrain maps (paper §4.3 on the procedural maps of ./terrain.ts): a model predicts
 * every cell's cost from the rendered map; the shortest path through the predicted costs is trained to match
 * the true path (MSE). Methods:
 *  - 'algorithm-<distribution>-<covariate>': algorithm smoothing, MSE(E[path(w + γε)], true path);
 *  - 'loss-<distribution>-<covariate>': loss smoothing, E[MSE(path(w + γε), true path)] (the loss itself smoothed);
 *  - 'blackbox': blackbox differentiation (Vlastelica et al. 2020), MSE(path(w), true path) with λ = 20.
 * Metric: the share of held-out maps whose predicted path is optimal under the true costs.
 */
import * as tf from '@tensorflow/tfjs';
import { blackboxes } from '../blackboxes/index.js';
import { smooth } from '../smooth.js';
import { smoothedLossOp, smoothedOp, smoothedScaleOp } from '../tfjs.js';
import { blackboxDifferentiation } from './baselines.js';
import { LearnedScale, parseSmoothing, runMethods, smoothingLabel, takeLoss, unknownMethod, type MethodResult, type TrainOptions } from './loop.js';
import { cellCoster, predictCosts, type Model } from './model.js';
import { createRng, type Rng } from './rng.js';
import { StopWatch, timedSmoother } from './timing.js';
import { pathCost, shortestPaths, terrainBatch, type TerrainBatch } from './terrain.js';

export const ROWS = 12;
export const COLS = 12;
export const PATCH = 4;
const CELLS = ROWS * COLS;
/** λ of blackbox differentiation (the value Vlastelica et al. use for their shortest-path experiments). */
export const BLACKBOX_LAMBDA = 20;
export const PATH_METHODS = 'blackbox, algorithm-<distribution>-<covariate>[-learned] or loss-<distribution>-<covariate> (e.g. algorithm-logistic-loo)';

/** Training loss of one batch: predicted costs [B, 144] and true paths [B, 144] → a scalar. */
type PathLoss = (costs: tf.Tensor2D, paths: tf.Tensor2D) => tf.Scalar;

function squaredError(y: Float32Array, t: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - t[i]) ** 2;
  return s / y.length;
}

function method(id: string, options: TrainOptions): { label: string; loss: PathLoss; backend?: string; watch: StopWatch; learned?: LearnedScale } {
  const watch = new StopWatch();
  if (id === 'blackbox') {
    const box = blackboxes.shortestPath(ROWS, COLS);
    const op = blackboxDifferentiation((w, count) => {
      const y = new Float32Array(count * CELLS);
      watch.time(() => box.evaluate(w, count, y));
      return y;
    }, BLACKBOX_LAMBDA);
    return { label: `blackbox differentiation (λ = ${BLACKBOX_LAMBDA})`, loss: (w, t) => tf.mean(tf.squaredDifference(op(w), t)) as tf.Scalar, watch };
  }
  const [kind, ...rest] = id.split('-');
  const m = parseSmoothing(rest.join('-'));
  // A learned scale needs the scale gradient of the smoothed op (smoothedScaleOp): algorithm smoothing only.
  if (!m || (kind !== 'algorithm' && kind !== 'loss') || (kind === 'loss' && m.learnScale)) throw unknownMethod(id, PATH_METHODS);
  const config = { distribution: m.distribution, covariate: m.covariate, scale: options.scale, samples: options.samples, sampler: options.sampler, backend: options.backend };
  const seed = options.seed * 1_000_003;
  const name = smoothingLabel(m, options.samples);
  if (kind === 'algorithm') {
    const smoother = smooth(blackboxes.shortestPath(ROWS, COLS), config);
    if (m.learnScale) {
      const learned = new LearnedScale(options.scale);
      const op = smoothedScaleOp(timedSmoother(smoother, watch), { seed });
      return { label: `algorithm smoothing: ${name}`, loss: (w, t) => tf.mean(tf.squaredDifference(op(w, learned.tensor()), t)) as tf.Scalar, backend: smoother.backendName, watch, learned };
    }
    const op = smoothedOp(timedSmoother(smoother, watch), { seed });
    return { label: `algorithm smoothing: ${name}`, loss: (w, t) => tf.mean(tf.squaredDifference(op(w), t)) as tf.Scalar, backend: smoother.backendName, watch };
  }
  let backend: string | undefined;
  const op = smoothedLossOp(blackboxes.shortestPath(ROWS, COLS), squaredError, (box) => {
    const s = smooth(box, config);
    backend = s.backendName;
    return timedSmoother(s, watch);
  }, { seed });
  return { label: `loss smoothing: ${name}`, loss: (w, t) => tf.mean(op(w, t)) as tf.Scalar, backend, watch };
}

/** Held-out figures: share of maps whose predicted path is optimal under the true costs, exact path matches, mean regret. */
export function pathAccuracy(model: Model, test: TerrainBatch, truePaths: Float32Array, count: number): { optimal: number; exact: number; regret: number } {
  const costs = new Float32Array(count * CELLS);
  const pixels = ROWS * PATCH * COLS * PATCH * 3;
  // In chunks: a convolutional model's im2col buffers for every held-out map at once would be huge.
  for (let start = 0; start < count; start += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, count - start);
    const images = test.images.subarray(start * pixels, (start + n) * pixels);
    costs.set(tf.tidy(() => predictCosts(model, tf.tensor4d(images, [n, ROWS * PATCH, COLS * PATCH, 3]), ROWS, COLS, PATCH).dataSync()), start * CELLS);
  }
  const predicted = shortestPaths(costs, count, ROWS, COLS);
  let optimal = 0;
  let exact = 0;
  let regret = 0;
  for (let k = 0; k < count; k++) {
    const best = pathCost(test.costs, truePaths, k * CELLS, CELLS);
    const mine = pathCost(test.costs, predicted, k * CELLS, CELLS);
    // Costs are float32 sums of a handful of values: equal optimal paths agree far inside 1e-4 relative.
    if (mine <= best * (1 + 1e-4)) optimal++;
    let same = true;
    for (let i = k * CELLS; i < (k + 1) * CELLS && same; i++) same = predicted[i] === truePaths[i];
    if (same) exact++;
    regret += (mine - best) / best;
  }
  return { optimal: optimal / count, exact: exact / count, regret: regret / count };
}

const EVAL_CHUNK = 16;

/** Maps kept for training: batches cycle through them once steps × batch exceeds it (27.6 KB per map: 113 MB). */
export const TRAINING_MAPS = 4096;

/**
 * The training maps and their true paths, generated once per run (seed) and shared by every method: map
 * rendering and the target shortest paths are JS work that used to be repeated in every step of every method
 * (docs/training/README.md has its cost). Batches are
 * generated on first use, in order, from the data generator, so while steps × batch ≤ TRAINING_MAPS every
 * step sees exactly the maps a fresh stream would give; after that the steps cycle through the same maps.
 */
export class TrainingMaps {
  private readonly blocks: { batch: TerrainBatch; paths: Float32Array }[] = [];
  private readonly capacity: number;
  constructor(
    private readonly data: Rng,
    private readonly batch: number,
  ) {
    this.capacity = Math.max(1, Math.floor(TRAINING_MAPS / batch));
  }
  /** The maps and paths of training step `step` (1-based). */
  forStep(step: number): { batch: TerrainBatch; paths: Float32Array } {
    const k = (step - 1) % this.capacity;
    while (this.blocks.length <= k) {
      const batch = terrainBatch(this.data, this.batch, ROWS, COLS, PATCH);
      this.blocks.push({ batch, paths: shortestPaths(batch.costs, this.batch, ROWS, COLS) });
    }
    return this.blocks[k];
  }
}

export async function runPaths(options: TrainOptions): Promise<MethodResult[]> {
  const test = terrainBatch(createRng(options.seed + 7919), options.testSize, ROWS, COLS, PATCH);
  const testPaths = shortestPaths(test.costs, options.testSize, ROWS, COLS);
  const B = options.batch;
  const maps = new TrainingMaps(createRng(options.seed + 1), B);
  return runMethods(options, {
    methods: options.methods.map((id) => ({ id, ...method(id, options) })),
    newModel: () => cellCoster(createRng(options.seed), PATCH, options.model),
    step: ({ loss }, model, optimizer, _data, step) => {
      const { batch, paths } = maps.forStep(step);
      return tf.tidy(() => {
        const images = tf.tensor4d(batch.images, [B, ROWS * PATCH, COLS * PATCH, 3]);
        const target = tf.tensor2d(paths, [B, CELLS]);
        return takeLoss(optimizer.minimize(() => loss(predictCosts(model, images, ROWS, COLS, PATCH), target), true));
      });
    },
    evaluate: (model) => pathAccuracy(model, test, testPaths, options.testSize),
    prefetch: (step) => maps.forStep(step),
  });
}
