/**
 * Demo 1, ranking supervision on 4-digit MNIST (paper §4.2): a model maps each 28×112 image of a number to a
 * score; sets of n = 5 numbers are supervised only by their true order, through a relaxed permutation matrix
 * P̂ and the cross-entropy −Σ P log P̂ against the true one. Methods: stochastic smoothing of the hard
 * permutation matrix ('<distribution>-<covariate>', e.g. laplace-loo) and NeuralSort ('neuralsort').
 * Every method starts from the same weights and sees the same batches.
 */
import * as tf from '@tensorflow/tfjs';
import { blackboxes } from '../blackboxes/index.js';
import { smooth } from '../smooth.js';
import { smoothedOp } from '../tfjs.js';
import { neuralSort } from './baselines.js';
import { parseSmoothing, runMethods, smoothingLabel, takeLoss, unknownMethod, type MethodResult, type TrainOptions } from './loop.js';
import { ascendingPosition, rankingBatch, type RankingBatch } from './mnist-numbers.js';
import { digitScorer, scoreNumbers, type Model } from './model.js';
import { createRng } from './rng.js';
import { StopWatch, timedSmoother } from './timing.js';

export const SET_SIZE = 5;
/** NeuralSort's temperature (the value its authors use for this task). */
export const NEURALSORT_TAU = 1;
export const RANKING_METHODS = 'neuralsort or <distribution>-<covariate> such as laplace-loo';

type Relaxation = (scores: tf.Tensor2D) => tf.Tensor3D;

function relaxation(id: string, options: TrainOptions): { label: string; relax: Relaxation; backend?: string; watch?: StopWatch } {
  if (id === 'neuralsort') return { label: `NeuralSort (τ = ${NEURALSORT_TAU})`, relax: (s) => neuralSort(s, NEURALSORT_TAU) };
  const m = parseSmoothing(id);
  if (!m) throw unknownMethod(id, RANKING_METHODS);
  const smoother = smooth(blackboxes.permutation(SET_SIZE), {
    distribution: m.distribution,
    covariate: m.covariate,
    scale: options.scale,
    samples: options.samples,
    sampler: options.sampler,
    backend: options.backend,
  });
  // Fresh noise every step, reproducible per run.
  const watch = new StopWatch();
  const op = smoothedOp(timedSmoother(smoother, watch), { outputShape: [SET_SIZE, SET_SIZE], seed: options.seed * 1_000_003 });
  return { label: `smoothing: ${smoothingLabel(m, options.samples)}`, relax: (s) => op(s) as tf.Tensor3D, backend: smoother.backendName, watch };
}

/** Held-out accuracy: exact match of the whole predicted order, and the share of items at their true position. */
export function rankingAccuracy(model: Model, test: RankingBatch, sets: number): { exact: number; elementwise: number } {
  const scores = new Float32Array(sets * SET_SIZE);
  // In chunks: a convolutional model's im2col buffers for all held-out digits at once would take gigabytes.
  const chunk = 40;
  for (let start = 0; start < sets * SET_SIZE; start += chunk) {
    const count = Math.min(chunk, sets * SET_SIZE - start);
    const images = test.images.subarray(start * 28 * 112, (start + count) * 28 * 112);
    scores.set(tf.tidy(() => scoreNumbers(model, tf.tensor3d(images, [count, 28, 112])).dataSync()), start);
  }
  let exact = 0;
  let correct = 0;
  for (let s = 0; s < sets; s++) {
    let all = true;
    for (let i = 0; i < SET_SIZE; i++) {
      // Predicted position of item i: its place in the ascending order of the scores (ties as the black box).
      const position = ascendingPosition(scores, s * SET_SIZE, SET_SIZE, i);
      const ok = test.permutation[(s * SET_SIZE + i) * SET_SIZE + position] === 1;
      if (ok) correct++;
      else all = false;
    }
    if (all) exact++;
  }
  return { exact: exact / sets, elementwise: correct / (sets * SET_SIZE) };
}

export async function runRanking(options: TrainOptions): Promise<MethodResult[]> {
  const test = rankingBatch(createRng(options.seed + 7919), 'test', options.testSize, SET_SIZE);
  const sets = options.batch;
  return runMethods(options, {
    methods: options.methods.map((id) => ({ id, ...relaxation(id, options) })),
    newModel: () => digitScorer(createRng(options.seed), options.model),
    step: ({ relax }, model, optimizer, data) => {
      const batch = rankingBatch(data, 'train', sets, SET_SIZE);
      return tf.tidy(() => {
        const images = tf.tensor3d(batch.images, [sets * SET_SIZE, 28, 112]);
        const target = tf.tensor3d(batch.permutation, [sets, SET_SIZE, SET_SIZE]);
        return takeLoss(
          optimizer.minimize(() => {
            const scores = scoreNumbers(model, images).reshape([sets, SET_SIZE]) as tf.Tensor2D;
            const p = relax(scores);
            // Cross-entropy of each item's row (its position distribution), averaged over items and sets.
            return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.log(tf.add(p, 1e-7))), 2))) as tf.Scalar;
          }, true),
        );
      });
    },
    evaluate: (model) => rankingAccuracy(model, test, options.testSize),
  });
}
