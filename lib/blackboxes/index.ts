/**
 * The built-in black boxes. Every one of them is synchronous, allocates its scratch once, and defines its
 * output by a rule on the inputs alone (never by the algorithm), so the js, cpu and cuda backends agree:
 *
 *  - sorting boxes (permutation, ranks, argmax, topk): values compared as numbers, NaN larger than every
 *    number (+Infinity included), -0 equal to +0, ties by index with the lower index first; argmax and
 *    topk prefer the lower index among equal values.
 *  - shortestPath: vertex-weighted 8-neighbour grid, NaN/+Infinity costs -> float32 max, costs ≤ 0 -> 0,
 *    cheapest path first, then fewest cells, then lowest-index predecessors traced back from the target.
 *
 * Each box carries `builtin` ({ kind, sizes }) so that native backends can run their own copy. A built-in box
 * and its spec are frozen: `inputSize`, `outputSize` and `builtin` cannot be reassigned (an assignment throws
 * in strict code), and smooth() takes n and m from the spec kept here, never from the public fields.
 */
import * as sorting from './sorting.js';
import type { BuiltinBlackBox, BuiltinSpec } from './spec.js';
import * as paths from './shortestPath.js';
import { fromFunction } from './function.js';

export type { BuiltinBlackBox, BuiltinSpec } from './spec.js';
export { sanitizeCost, FLT_MAX } from './shortestPath.js';
export { precedesAscending, precedesDescending } from './order.js';
export { MAX_BLACKBOX_SIZE } from './checks.js';

// Boxes made by these factories, and only those, may be run by a native backend's own copy: an object
// that merely looks like one (a user box with a `builtin` field) is evaluated as the user wrote it.
const registry = new WeakMap<object, BuiltinSpec>();
// The frozen specs themselves: a copy of a built-in box ({ ...box, outputSize: 1 }) still carries one.
const specs = new WeakSet<object>();

function registered<A extends unknown[]>(factory: (...args: A) => BuiltinBlackBox): (...args: A) => BuiltinBlackBox {
  return (...args: A) => {
    const made = factory(...args);
    const spec = Object.freeze({ ...made.builtin });
    const box = Object.freeze({ ...made, builtin: spec });
    registry.set(box, spec);
    specs.add(spec);
    return box;
  };
}

/** The built-in spec of a box made by one of the factories below, else undefined. */
export function builtinSpec(box: object): BuiltinSpec | undefined {
  return registry.get(box);
}

/** `value` when it is the frozen spec of a box made by the factories (carried by a copy of that box), else undefined. */
export function builtinSpecOf(value: object): BuiltinSpec | undefined {
  return specs.has(value) ? (value as BuiltinSpec) : undefined;
}

/** Input and output sizes implied by a built-in spec (the only sizes a native backend is given for it). */
export function specSizes(spec: BuiltinSpec): { n: number; m: number } {
  switch (spec.kind) {
    case 'permutation':
      return { n: spec.n, m: spec.n * spec.n };
    case 'shortestPath':
      return { n: spec.rows * spec.cols, m: spec.rows * spec.cols };
    default:
      return { n: spec.n, m: spec.n };
  }
}

export const permutation = registered(sorting.permutation);
export const ranks = registered(sorting.ranks);
export const argmax = registered(sorting.argmax);
export const topk = registered(sorting.topk);
export const shortestPath = registered(paths.shortestPath);

/** The built-in black boxes, by name (README, "Black boxes"). */
export const blackboxes = { permutation, ranks, argmax, topk, shortestPath, fromFunction } as const;
export { fromFunction, type FromFunctionOptions, type RowFunction, type RowResult } from './function.js';
