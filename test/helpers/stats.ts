/** Test helpers: independent replicates and tolerance checks. */
import type { ExecutionContext } from 'ava';

/** Mean and standard error across replicates, element-wise. */
export function replicateStats(replicates: Float32Array[] | Float64Array[]): { mean: Float64Array; se: Float64Array } {
  const R = replicates.length;
  const len = replicates[0].length;
  const mean = new Float64Array(len);
  const se = new Float64Array(len);
  for (const r of replicates) for (let k = 0; k < len; k++) mean[k] += r[k] / R;
  for (const r of replicates) for (let k = 0; k < len; k++) se[k] += (r[k] - mean[k]) ** 2;
  for (let k = 0; k < len; k++) se[k] = Math.sqrt(se[k] / (R - 1) / R);
  return { mean, se };
}

/**
 * |estimate − truth| ≤ z·se + floor for every entry. The floor absorbs float32 rounding of the outputs
 * and the (tiny, deterministic) bias of the non-randomised samplers.
 */
export function assertClose(t: ExecutionContext, estimate: ArrayLike<number>, truth: ArrayLike<number>, se: ArrayLike<number> | number, floor: number, label: string, z = 5): void {
  t.is(estimate.length, truth.length, `${label}: length`);
  let worst = 0;
  let worstIndex = -1;
  for (let k = 0; k < truth.length; k++) {
    const tol = z * (typeof se === 'number' ? se : se[k]) + floor;
    const excess = Math.abs(estimate[k] - truth[k]) / tol;
    if (!(excess <= worst)) {
      worst = excess;
      worstIndex = k;
    }
  }
  const k = worstIndex;
  t.true(worst <= 1, `${label}: entry ${k}: estimate ${estimate[k]} vs truth ${truth[k]} (se ${typeof se === 'number' ? se : se[k]}, floor ${floor})`);
}

export function scalarBox(name: string, fn: (z: number) => number) {
  return {
    name,
    inputSize: 1,
    outputSize: 1,
    evaluate(inputs: Float32Array, count: number, outputs: Float32Array) {
      for (let i = 0; i < count; i++) outputs[i] = fn(inputs[i]);
    },
  };
}
