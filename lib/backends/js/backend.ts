/**
 * The js backend: the reference implementation of every estimate (docs/method.md §1, §3). Each method
 * streams the same samples (same seed) through streamSamples and feeds one accumulator per batch element.
 */
import { CrossSums, MomentSums, SquareSums } from '../../accumulate.js';
import type { Backend, ForwardState, Plan, RunControl } from '../../plan.js';
import {
  applyInverseLeft,
  applyInverseRight,
  finishScaleGradient,
  scaleGradientSize,
  scaleStatistic,
  scaleStatisticSize,
} from '../../scale.js';
import type { Task } from '../../task.js';
import { createOutputCache } from '../../output-cache.js';
import { cacheUse, evaluateChecked } from '../chunk-loop.js';
import { streamSamples } from './stream.js';

/** f(x_b) for every b, in double: the `fx` covariate's baseline. */
function* evaluateAtX(plan: Plan, x: Float32Array, batch: number): Task<Float64Array> {
  const out = new Float32Array(batch * plan.m);
  const index = Uint32Array.from({ length: batch }, (_, b) => b);
  yield* evaluateChecked(plan, Float32Array.from(x), batch, out, index);
  return Float64Array.from(out);
}

/** ⟨v_b, f_i⟩ for every row of a chunk. */
function project(v: Float32Array, b: number, m: number, outputs: Float32Array, count: number, out: Float64Array): void {
  for (let i = 0; i < count; i++) {
    let acc = 0;
    for (let k = 0; k < m; k++) acc += v[b * m + k] * outputs[i * m + k];
    out[i] = acc;
  }
}

function projectFx(plan: Plan, state: ForwardState, v: Float32Array, b: number): number[] | undefined {
  if (plan.covariate !== 'fx') return undefined;
  let acc = 0;
  for (let k = 0; k < plan.m; k++) acc += v[b * plan.m + k] * state.fx![b * plan.m + k];
  return [acc];
}

export const jsBackend: Backend = {
  name: 'js',
  stderrSupport: true,

  *forward(plan, x, batch, seed, control) {
    const value = new Float32Array(batch * plan.m);
    const stderr = new Float32Array(batch * plan.m);
    const fx = plan.covariate === 'fx' ? yield* evaluateAtX(plan, x, batch) : undefined;
    let sums = new MomentSums(plan.m);
    const cache = createOutputCache(plan, batch);
    yield* streamSamples(plan, x, batch, seed, 'forward', control, {
      begin: () => (sums = new MomentSums(plan.m)),
      chunk: (_b, count, _eps, _score, outputs) => {
        for (let i = 0; i < count; i++) sums.add(outputs, i * plan.m);
      },
      end: (b) => sums.finish(value, stderr, b * plan.m),
    }, cacheUse(cache, true));
    return { value, stderr, fx, cache };
  },

  *vjp(plan, state, v, control, stderr) {
    const { n, m } = plan;
    const out = new Float64Array(state.batch * n);
    const g = new Float64Array(plan.chunkSize);
    const mean = new Float64Array(n);
    const w = new Float64Array(n);
    let sums = new CrossSums(1, n);
    let squares = stderr && new SquareSums(1, n);
    yield* streamSamples(plan, state.x, state.batch, state.seed, 'vjp', control, {
      begin: () => {
        sums = new CrossSums(1, n);
        squares = stderr && new SquareSums(1, n);
      },
      chunk: (b, count, _eps, score, outputs) => {
        project(v, b, m, outputs, count, g);
        for (let i = 0; i < count; i++) sums.add(g, i, score, i * n);
        for (let i = 0; squares && i < count; i++) {
          applyInverseRight(plan.scale, score, i * n, w, 0); // the per-sample statistic after the final map
          squares.add(g, i, w, 0);
        }
      },
      end: (b) => {
        sums.finish(plan.covariate, projectFx(plan, state, v, b), mean);
        applyInverseRight(plan.scale, mean, 0, out, b * n);
        squares?.finish(plan.covariate, projectFx(plan, state, v, b), stderr!, b * n);
      },
    }, cacheUse(state.cache, false));
    return Float32Array.from(out);
  },

  *jacobian(plan, state, control, stderr) {
    const { n, m } = plan;
    const out = new Float64Array(state.batch * m * n);
    const mean = new Float64Array(m * n);
    const w = new Float64Array(n);
    let sums = new CrossSums(m, n);
    let squares = stderr && new SquareSums(m, n);
    yield* streamSamples(plan, state.x, state.batch, state.seed, 'jacobian', control, {
      begin: () => {
        sums = new CrossSums(m, n);
        squares = stderr && new SquareSums(m, n);
      },
      chunk: (_b, count, _eps, score, outputs) => {
        for (let i = 0; i < count; i++) sums.add(outputs, i * m, score, i * n);
        for (let i = 0; squares && i < count; i++) {
          applyInverseRight(plan.scale, score, i * n, w, 0);
          squares.add(outputs, i * m, w, 0);
        }
      },
      end: (b) => {
        sums.finish(plan.covariate, state.fx?.subarray(b * m, (b + 1) * m), mean);
        for (let r = 0; r < m; r++) applyInverseRight(plan.scale, mean, r * n, out, (b * m + r) * n);
        squares?.finish(plan.covariate, state.fx?.subarray(b * m, (b + 1) * m), stderr!, b * m * n);
      },
    }, cacheUse(state.cache, false));
    return Float32Array.from(out);
  },

  *jvp(plan, state, t, control, stderr) {
    const { n, m } = plan;
    const out = new Float32Array(state.batch * m);
    const direction = new Float64Array(n);
    const h = new Float64Array(plan.chunkSize);
    const mean = new Float64Array(m);
    let sums = new CrossSums(m, 1);
    let squares = stderr && new SquareSums(m, 1);
    yield* streamSamples(plan, state.x, state.batch, state.seed, 'jvp', control, {
      begin: (b) => {
        sums = new CrossSums(m, 1);
        squares = stderr && new SquareSums(m, 1);
        applyInverseLeft(plan.scale, t, b * n, direction);
      },
      chunk: (_b, count, _eps, score, outputs) => {
        for (let i = 0; i < count; i++) {
          let acc = 0;
          for (let j = 0; j < n; j++) acc += score[i * n + j] * direction[j];
          h[i] = acc;
        }
        for (let i = 0; i < count; i++) sums.add(outputs, i * m, h, i);
        if (squares) for (let i = 0; i < count; i++) squares.add(outputs, i * m, h, i);
      },
      end: (b) => {
        sums.finish(plan.covariate, state.fx?.subarray(b * m, (b + 1) * m), mean);
        out.set(mean, b * m);
        squares?.finish(plan.covariate, state.fx?.subarray(b * m, (b + 1) * m), stderr!, b * m);
      },
    }, cacheUse(state.cache, false));
    return out;
  },

  *scaleGradient(plan, state, v, control, stderr) {
    const { n, m, scale } = plan;
    const q = scaleStatisticSize(scale);
    const size = scaleGradientSize(scale);
    const out = new Float32Array(state.batch * size);
    const g = new Float64Array(plan.chunkSize);
    const h = new Float64Array(q);
    const mean = new Float64Array(q);
    const w = new Float64Array(size);
    let sums = new CrossSums(1, q);
    let squares = stderr && new SquareSums(1, size);
    yield* streamSamples(plan, state.x, state.batch, state.seed, 'scaleGradient', control, {
      begin: () => {
        sums = new CrossSums(1, q);
        squares = stderr && new SquareSums(1, size);
      },
      chunk: (b, count, eps, score, outputs) => {
        project(v, b, m, outputs, count, g);
        for (let i = 0; i < count; i++) {
          scaleStatistic(scale, score, eps, i * n, h);
          sums.add(g, i, h, 0);
          if (squares) {
            finishScaleGradient(scale, h, w, 0); // linear in h: the per-sample term of the final gradient
            squares.add(g, i, w, 0);
          }
        }
      },
      end: (b) => {
        sums.finish(plan.covariate, projectFx(plan, state, v, b), mean);
        finishScaleGradient(scale, mean, out, b * size);
        squares?.finish(plan.covariate, projectFx(plan, state, v, b), stderr!, b * size);
      },
    }, cacheUse(state.cache, false));
    return out;
  },
};
