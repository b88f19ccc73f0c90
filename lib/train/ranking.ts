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
import { smoothedOp, smoothedScaleOp } from '../tfjs.js';
import { neuralSort } from './baselines.js';
import { LearnedScale, parseSmoothing, runMethods, smoothingLabel, takeLoss, unknownMethod, type MethodResult, type TrainOptions } from './loop.js';
import { ascendingPosition, rankingBatch, type RankingBatch } from './mnist-numbers.js';
import { digitScorer, scoreNumbers, type Model } from './model.js';
import { createRng } from './rng.js';
import { StopWatch, timedSmoother } from './timing.js';

/** The paper's default set size n (its other settings: 3 and 7; --set-size). */
export const SET_SIZE = 5;
/** The set sizes --set-size accepts. */
export const SET_SIZE_RANGE = [2, 10] as const;
/** NeuralSort's temperature (the value its authors use for this task). */
export const NEURALSORT_TAU = 1;
export const RANKING_METHODS = 'neuralsort or <distribution>-<covariate>[-learned] such as laplace-loo';

type Relaxation = (scores: tf.Tensor2D) => tf.Tensor3D;

function relaxation(id: string, options: TrainOptions, n: number): { label: string; relax: Relaxation; backend?: string; watch?: StopWatch; learned?: LearnedScale } {
  if (id === 'neuralsort') return { label: `NeuralSort (τ = ${NEURALSORT_TAU})`, relax: (s) => neuralSort(s, NEURALSORT_TAU) };
  const m = parseSmoothing(id);
  if (!m) throw unknownMethod(id, RANKING_METHODS);
  const smoother = smooth(blackboxes.permutation(n), {
    distribution: m.distribution,
    covariate: m.covariate,
    scale: options.scale,
    samples: options.samples,
    sampler: options.sampler,
    backend: options.backend,
  });
  // Fresh noise every step, reproducible per run.
  const watch = new StopWatch();
  const opOptions = { outputShape: [n, n], seed: options.seed * 1_000_003 };
  const label = `smoothing: ${smoothingLabel(m, options.samples)}`;
  if (m.learnScale) {
    const learned = new LearnedScale(options.scale);
    const op = smoothedScaleOp(timedSmoother(smoother, watch), opOptions);
    return { label, relax: (s) => op(s, learned.tensor()) as tf.Tensor3D, backend: smoother.backendName, watch, learned };
  }
  const op = smoothedOp(timedSmoother(smoother, watch), opOptions);
  return { label, relax: (s) => op(s) as tf.Tensor3D, backend: smoother.backendName, watch };
}

/** Held-out accuracy: exact match of the whole predicted order, and the share of items at their true position. */
export function rankingAccuracy(model: Model, test: RankingBatch, sets: number, n = SET_SIZE): { exact: number; elementwise: number } {
  const scores = new Float32Array(sets * n);
  // In chunks: a convolutional model's im2col buffers for all held-out digits at once would take gigabytes.
  const chunk = 40;
  for (let start = 0; start < sets * n; start += chunk) {
    const count = Math.min(chunk, sets * n - start);
    const images = test.images.subarray(start * 28 * 112, (start + count) * 28 * 112);
    scores.set(tf.tidy(() => scoreNumbers(model, tf.tensor3d(images, [count, 28, 112])).dataSync()), start);
  }
  let exact = 0;
  let correct = 0;
  for (let s = 0; s < sets; s++) {
    let all = true;
    for (let i = 0; i < n; i++) {
      // Predicted position of item i: its place in the ascending order of the scores (ties as the black box).
      const position = ascendingPosition(scores, s * n, n, i);
      const ok = test.permutation[(s * n + i) * n + position] === 1;
      if (ok) correct++;
      else all = false;
    }
    if (all) exact++;
  }
  return { exact: exact / sets, elementwise: correct / (sets * n) };
}

export async function runRanking(options: TrainOptions): Promise<MethodResult[]> {
  const n = options.setSize ?? SET_SIZE;
  const test = rankingBatch(createRng(options.seed + 7919), 'test', options.testSize, n);
  const sets = options.batch;
  return runMethods(options, {
    methods: options.methods.map((id) => ({ id, ...relaxation(id, options, n) })),
    newModel: () => digitScorer(createRng(options.seed), options.model),
    step: ({ relax }, model, optimizer, data) => {
      const batch = rankingBatch(data, 'train', sets, n);
      return tf.tidy(() => {
        const images = tf.tensor3d(batch.images, [sets * n, 28, 112]);
        const target = tf.tensor3d(batch.permutation, [sets, n, n]);
        return takeLoss(
          optimizer.minimize(() => {
            const scores = scoreNumbers(model, images).reshape([sets, n]) as tf.Tensor2D;
            const p = relax(scores);
            // Cross-entropy of each item's row (its position distribution), averaged over items and sets.
            return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.log(tf.add(p, 1e-7))), 2))) as tf.Scalar;
          }, true),
        );
      });
    },
    evaluate: (model) => rankingAccuracy(model, test, options.testSize, n),
  });
}
