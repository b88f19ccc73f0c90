/**
 * What both training demos share: method names, the training loop with periodic evaluation (the learning
 * curve), and the result records that the report writes.
 */
import * as tf from '@tensorflow/tfjs';
import { SmoothingError } from '../errors.js';
import { DISTRIBUTION_NAMES } from '../distributions.js';
import type { BackendName, CovariateName, DistributionName, SamplerName } from '../types.js';
import type { Architecture } from './model-names.js';
import { disposeModel, type Model } from './model.js';
import { createRng, type Rng } from './rng.js';
import type { StopWatch } from './timing.js';

/** Options common to both demos (the CLI's flags). */
export interface TrainOptions {
  steps: number;
  /** Sets (ranking) or maps (paths) per step. */
  batch: number;
  samples: number;
  scale: number;
  sampler: SamplerName;
  learningRate: number;
  /** Method ids, e.g. ['laplace-loo', 'gaussian-none', 'neuralsort']. */
  methods: string[];
  /** Ranking only: numbers per set (the paper's n; default 5). */
  setSize?: number;
  backend: 'auto' | BackendName;
  /** The model size (--model; default dense). */
  model?: Architecture;
  /** The TensorFlow.js backend that ran the model, as tfjs names it (recorded in the results; set by the CLI). */
  tfBackend?: string;
  seed: number;
  evalEvery: number;
  /** Held-out sets (ranking) or maps (paths) for the accuracy figures. */
  testSize: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface CurvePoint {
  step: number;
  /** Mean training loss over the steps since the previous point. */
  loss: number;
  /** Held-out metrics at this step. */
  metrics: Record<string, number>;
}

export interface MethodResult {
  id: string;
  label: string;
  curve: CurvePoint[];
  /** Held-out metrics after the last step. */
  final: Record<string, number>;
  seconds: number;
  /** The backend that ran the smoothing (smoothing methods only). */
  backend?: string;
  /** False when Ctrl-C stopped this method early (its curve ends at the last finished step). */
  completed: boolean;
  /** Where the training steps' time went (evaluation excluded). */
  timing?: StepTiming;
  /** Methods that learn the noise scale ('…-learned'): γ after the last step (it starts at the run's --scale). */
  learnedScale?: number;
}

/** Wall time of the training steps (the first one excluded when there are more), and the part of it inside the method's non-tfjs op (the smoothed op, or the baseline's solver). */
export interface StepTiming {
  steps: number;
  msPerStep: number;
  /** Milliseconds per step spent in the smoothed op (forward estimate + VJP), or in the blackbox solver; 0 for tfjs-only methods. */
  opMsPerStep: number;
  /** opMsPerStep / msPerStep. */
  opShare: number;
}

export interface SmoothingMethod {
  distribution: DistributionName;
  covariate: CovariateName;
  /** '<distribution>-<covariate>-learned': the scale γ is a trained parameter (log γ, through smoothedScaleOp). */
  learnScale: boolean;
}

const COVARIATES: readonly CovariateName[] = ['none', 'fx', 'loo'];

/**
 * '<distribution>-<covariate>' (e.g. 'laplace-loo'), optionally with '-learned' (the scale trained too), or
 * undefined when the id is not of that form.
 */
export function parseSmoothing(id: string): SmoothingMethod | undefined {
  const [distribution, covariate, ...rest] = id.split('-');
  const learnScale = rest.length === 1 && rest[0] === 'learned';
  if ((rest.length > 0 && !learnScale) || !DISTRIBUTION_NAMES.includes(distribution as DistributionName) || !COVARIATES.includes(covariate as CovariateName)) return undefined;
  return { distribution: distribution as DistributionName, covariate: covariate as CovariateName, learnScale };
}

/** 'Laplace + LOO, 256 samples' (', γ learned' when it is): how a smoothing method is named in the tables and charts. */
export function smoothingLabel(m: SmoothingMethod, samples: number): string {
  const name = m.distribution[0].toUpperCase() + m.distribution.slice(1);
  return `${name} + ${m.covariate === 'none' ? 'no covariate' : m.covariate.toUpperCase()}, ${samples} samples${m.learnScale ? ', γ learned' : ''}`;
}

/**
 * The trained noise scale of a '…-learned' method: log γ as a tfjs variable (γ = exp(log γ) stays positive and the
 * optimizer's steps are relative), starting at the run's --scale. The optimizer finds it among the trainable
 * variables like the model's weights; the smoothed op's scale gradient (smoothedScaleOp) is its gradient.
 */
export class LearnedScale {
  readonly logScale: tf.Variable;
  constructor(initial: number) {
    this.logScale = tf.variable(tf.scalar(Math.log(initial)), true);
  }
  /** γ as a scalar tensor, differentiable in logScale (call inside the optimizer's loss). */
  tensor(): tf.Scalar {
    return tf.exp(this.logScale) as tf.Scalar;
  }
  get value(): number {
    return Math.exp(this.logScale.dataSync()[0]);
  }
  dispose(): void {
    if (!this.logScale.isDisposed) this.logScale.dispose();
  }
}

export function unknownMethod(id: string, known: string): SmoothingError {
  return new SmoothingError('ERR_INVALID_ARGUMENT', `unknown training method '${id}'.`, { argument: '--methods', value: id, fix: `use ${known}` });
}

interface LoopSpec {
  id: string;
  label: string;
  options: TrainOptions;
  /** Progress offset and total over all methods of the run. */
  progressBase: number;
  progressTotal: number;
  /** One optimizer step on batch `step`; returns the training loss. */
  step(step: number): number;
  /** The held-out metrics of the current model. */
  evaluate(): Record<string, number>;
  /** Accumulates the time of the method's op, when it has one. */
  watch?: StopWatch;
  prefetch?(step: number): void;
}

/** A method of a demo, built (and its options checked) before any training starts. */
export interface PreparedMethod {
  id: string;
  label: string;
  /** The backend that runs its smoothing (smoothing methods only). */
  backend?: string;
  /** Times the method's op (./timing.ts); absent for methods made of tfjs ops only. */
  watch?: StopWatch;
  /** The trained scale of a '…-learned' method (reported, then disposed, after its training). */
  learned?: LearnedScale;
}

export interface DemoSpec<M extends PreparedMethod> {
  methods: M[];
  /** A fresh model with the run's initial weights (the same for every method). */
  newModel(): Model;
  /** One optimizer step (`step` from 1) of `method` on a batch drawn from `data`; returns the training loss. */
  step(method: M, model: Model, optimizer: tf.Optimizer, data: Rng, step: number): number;
  /** The held-out metrics of a model. */
  evaluate(model: Model): Record<string, number>;
  /** Prepares the data of step `step` (cached), outside the step's timing: data generation is not the method's cost. */
  prefetch?(step: number): void;
}

/**
 * Train every method in turn from the same weights on the same batches (data seeded with seed + 1), Adam with the
 * run's learning rate; stops after the method that Ctrl-C interrupted.
 */
export async function runMethods<M extends PreparedMethod>(options: TrainOptions, demo: DemoSpec<M>): Promise<MethodResult[]> {
  const results: MethodResult[] = [];
  for (const [index, method] of demo.methods.entries()) {
    const model = demo.newModel();
    const data = createRng(options.seed + 1);
    const optimizer = tf.train.adam(options.learningRate);
    try {
      const result = await trainLoop({
        id: method.id,
        label: method.label,
        options,
        progressBase: index * options.steps,
        progressTotal: demo.methods.length * options.steps,
        step: (step) => demo.step(method, model, optimizer, data, step),
        prefetch: demo.prefetch,
        evaluate: () => demo.evaluate(model),
        watch: method.watch,
      });
      results.push({ ...result, backend: method.backend, ...(method.learned ? { learnedScale: method.learned.value } : {}) });
      if (!result.completed) break; // Ctrl-C: report what is done
    } finally {
      optimizer.dispose();
      disposeModel(model);
    }
  }
  // Also the learned scales of methods that Ctrl-C kept from starting.
  for (const method of demo.methods) method.learned?.dispose();
  return results;
}

/**
 * Train for options.steps steps, evaluating every evalEvery steps and at the end; one turn of the event loop per
 * step. options.signal stops it early: the last finished step is evaluated and the result says completed: false.
 */
async function trainLoop(spec: LoopSpec): Promise<MethodResult> {
  const { options } = spec;
  const started = Date.now();
  const curve: CurvePoint[] = [{ step: 0, loss: Number.NaN, metrics: spec.evaluate() }];
  let lossSum = 0;
  let lossCount = 0;
  // Timed from the second step: the first one also pays one-off costs (kernel set-up, wasm compilation).
  let stepMs = 0;
  let opMsBefore = 0;
  let step = 1;
  for (; step <= options.steps && !options.signal?.aborted; step++) {
    spec.prefetch?.(step);
    if (step === 2 || options.steps === 1) opMsBefore = spec.watch?.ms ?? 0;
    const t0 = performance.now();
    lossSum += spec.step(step);
    if (step > 1 || options.steps === 1) stepMs += performance.now() - t0;
    lossCount++;
    if (step % options.evalEvery === 0 || step === options.steps) {
      curve.push({ step, loss: lossSum / lossCount, metrics: spec.evaluate() });
      lossSum = 0;
      lossCount = 0;
    }
    options.onProgress?.(spec.progressBase + step, spec.progressTotal, spec.label);
    // The step ran synchronously (tfjs gradients are synchronous): let Ctrl-C and the progress bar through.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const completed = step > options.steps;
  if (!completed && lossCount > 0) curve.push({ step: step - 1, loss: lossSum / lossCount, metrics: spec.evaluate() });
  // The timed steps: all but the first (unless there was only one). Evaluation runs the model only, never the
  // op: the watch holds step time alone.
  const steps = options.steps === 1 ? step - 1 : step - 2;
  const opMs = (spec.watch?.ms ?? 0) - opMsBefore;
  const timing: StepTiming | undefined =
    steps > 0 ? { steps, msPerStep: stepMs / steps, opMsPerStep: opMs / steps, opShare: stepMs > 0 ? opMs / stepMs : 0 } : undefined;
  return { id: spec.id, label: spec.label, curve, final: curve[curve.length - 1].metrics, seconds: (Date.now() - started) / 1000, completed, timing };
}

/** Scalar value of a loss tensor returned by optimizer.minimize(…, true), disposing it. */
export function takeLoss(loss: tf.Scalar | null): number {
  if (loss === null) return Number.NaN;
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
}
