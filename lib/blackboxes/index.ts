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
 * Each box carries `builtin` ({ kind, sizes }) so that native backends can run their own copy.
 */
import * as sorting from './sorting.js';
import type { BuiltinBlackBox, BuiltinSpec } from './sorting.js';
import * as paths from './shortestPath.js';
import { fromFunction } from './function.js';

export type { BuiltinBlackBox, BuiltinSpec } from './sorting.js';
export { sanitizeCost, FLT_MAX } from './shortestPath.js';
export { precedesAscending, precedesDescending } from './order.js';
export { MAX_BLACKBOX_SIZE } from './checks.js';

// Boxes made by these factories, and only those, may be run by a native backend's own copy: an object
// that merely looks like one (a user box with a `builtin` field) is evaluated as the user wrote it.
const registry = new WeakMap<object, BuiltinSpec>();

function registered<A extends unknown[]>(factory: (...args: A) => BuiltinBlackBox): (...args: A) => BuiltinBlackBox {
  return (...args: A) => {
    const box = factory(...args);
    registry.set(box, box.builtin);
    return box;
  };
}

/** The built-in spec of a box made by one of the factories below, else undefined. */
export function builtinSpec(box: object): BuiltinSpec | undefined {
  return registry.get(box);
}

export const permutation = registered(sorting.permutation);
export const ranks = registered(sorting.ranks);
export const argmax = registered(sorting.argmax);
export const topk = registered(sorting.topk);
export const shortestPath = registered(paths.shortestPath);

/** The built-in black boxes, by name (design.md's `blackboxes`). */
export const blackboxes = { permutation, ranks, argmax, topk, shortestPath, fromFunction } as const;
export { fromFunction, type FromFunctionOptions, type RowFunction, type RowResult } from './function.js';
