/**
 * Standard errors of the backward passes over the replicates an estimate averages (docs/method.md §3,
 * "Standard errors"). One replicate: the i.i.d. figure of its own samples (lib/accumulate.ts SquareSums). A row
 * that `forward(x, { precision })` ran for k ≥ 2 replicates: the spread of its k replicate estimates / √k, the
 * route that is valid for every sampler, as for the value's stderr in lib/adaptive.ts.
 */
import type { Round } from './adaptive.js';
import type { Task } from './task.js';

export interface WithStderr {
  readonly estimate: Float32Array;
  readonly stderr: Float32Array;
}

export function* combineRoundsWithStderr(
  rounds: readonly Round[],
  batch: number,
  size: number,
  run: (round: Round, stderr: Float32Array) => Task<Float32Array>,
): Task<WithStderr> {
  if (rounds.length === 1 && rounds[0].rows === undefined) {
    const stderr = new Float32Array(batch * size);
    const estimate = yield* run(rounds[0], stderr);
    return { estimate, stderr };
  }
  const sum = new Float64Array(batch * size);
  const sumSq = new Float64Array(batch * size);
  const single = new Float32Array(batch * size); // the i.i.d. figure, used where a row has one replicate
  const count = new Uint32Array(batch);
  for (const round of rounds) {
    const roundStderr = new Float32Array(round.state.batch * size);
    const out = yield* run(round, roundStderr);
    for (let i = 0; i < round.state.batch; i++) {
      const row = round.rows ? round.rows[i] : i;
      count[row]++;
      for (let k = 0; k < size; k++) {
        const e = out[i * size + k];
        sum[row * size + k] += e;
        sumSq[row * size + k] += e * e;
        single[row * size + k] = roundStderr[i * size + k];
      }
    }
  }
  const estimate = new Float32Array(batch * size);
  const stderr = new Float32Array(batch * size);
  for (let idx = 0; idx < batch * size; idx++) {
    const k = count[Math.floor(idx / size)];
    const mean = sum[idx] / k;
    estimate[idx] = mean;
    stderr[idx] = k < 2 ? single[idx] : Math.sqrt(Math.max(0, (sumSq[idx] - k * mean * mean) / (k - 1)) / k);
  }
  return { estimate, stderr };
}
