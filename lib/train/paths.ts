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
import { smoothedLossOp, smoothedOp } from '../tfjs.js';
import { blackboxDifferentiation } from './baselines.js';
import { parseSmoothing, runMethods, smoothingLabel, takeLoss, unknownMethod, type MethodResult, type TrainOptions } from './loop.js';
import { cellCoster, predictCosts, type Model } from './model.js';
import { createRng } from './rng.js';
import { pathCost, shortestPaths, terrainBatch, type TerrainBatch } from './terrain.js';

export const ROWS = 12;
export const COLS = 12;
export const PATCH = 4;
const CELLS = ROWS * COLS;
/** λ of blackbox differentiation (the value Vlastelica et al. use for their shortest-path experiments). */
export const BLACKBOX_LAMBDA = 20;
export const PATH_METHODS = 'blackbox, algorithm-<distribution>-<covariate> or loss-<distribution>-<covariate> (e.g. algorithm-logistic-loo)';

/** Training loss of one batch: predicted costs [B, 144] and true paths [B, 144] → a scalar. */
type PathLoss = (costs: tf.Tensor2D, paths: tf.Tensor2D) => tf.Scalar;

function squaredError(y: Float32Array, t: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - t[i]) ** 2;
  return s / y.length;
}

function method(id: string, options: TrainOptions): { label: string; loss: PathLoss; backend?: string } {
  if (id === 'blackbox') {
    const box = blackboxes.shortestPath(ROWS, COLS);
    const op = blackboxDifferentiation((w, count) => {
      const y = new Float32Array(count * CELLS);
      box.evaluate(w, count, y);
      return y;
    }, BLACKBOX_LAMBDA);
    return { label: `blackbox differentiation (λ = ${BLACKBOX_LAMBDA})`, loss: (w, t) => tf.mean(tf.squaredDifference(op(w), t)) as tf.Scalar };
  }
  const [kind, ...rest] = id.split('-');
  const m = parseSmoothing(rest.join('-'));
  if (!m || (kind !== 'algorithm' && kind !== 'loss')) throw unknownMethod(id, PATH_METHODS);
  const config = { distribution: m.distribution, covariate: m.covariate, scale: options.scale, samples: options.samples, sampler: options.sampler, backend: options.backend };
  const seed = options.seed * 1_000_003;
  const name = smoothingLabel(m, options.samples);
  if (kind === 'algorithm') {
    const smoother = smooth(blackboxes.shortestPath(ROWS, COLS), config);
    const op = smoothedOp(smoother, { seed });
    return { label: `algorithm smoothing: ${name}`, loss: (w, t) => tf.mean(tf.squaredDifference(op(w), t)) as tf.Scalar, backend: smoother.backendName };
  }
  let backend: string | undefined;
  const op = smoothedLossOp(blackboxes.shortestPath(ROWS, COLS), squaredError, (box) => {
    const s = smooth(box, config);
    backend = s.backendName;
    return s;
  }, { seed });
  return { label: `loss smoothing: ${name}`, loss: (w, t) => tf.mean(op(w, t)) as tf.Scalar, backend };
}

/** Held-out figures: share of maps whose predicted path is optimal under the true costs, exact path matches, mean regret. */
export function pathAccuracy(model: Model, test: TerrainBatch, truePaths: Float32Array, count: number): { optimal: number; exact: number; regret: number } {
  const costs = tf.tidy(() => predictCosts(model, tf.tensor4d(test.images, [count, ROWS * PATCH, COLS * PATCH, 3]), ROWS, COLS, PATCH).dataSync() as Float32Array);
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

export async function runPaths(options: TrainOptions): Promise<MethodResult[]> {
  const test = terrainBatch(createRng(options.seed + 7919), options.testSize, ROWS, COLS, PATCH);
  const testPaths = shortestPaths(test.costs, options.testSize, ROWS, COLS);
  const B = options.batch;
  return runMethods(options, {
    methods: options.methods.map((id) => ({ id, ...method(id, options) })),
    newModel: () => cellCoster(createRng(options.seed), PATCH),
    step: ({ loss }, model, optimizer, data) => {
      const batch = terrainBatch(data, B, ROWS, COLS, PATCH);
      const paths = shortestPaths(batch.costs, B, ROWS, COLS);
      return tf.tidy(() => {
        const images = tf.tensor4d(batch.images, [B, ROWS * PATCH, COLS * PATCH, 3]);
        const target = tf.tensor2d(paths, [B, CELLS]);
        return takeLoss(optimizer.minimize(() => loss(predictCosts(model, images, ROWS, COLS, PATCH), target), true));
      });
    },
    evaluate: (model) => pathAccuracy(model, test, testPaths, options.testSize),
  });
}
