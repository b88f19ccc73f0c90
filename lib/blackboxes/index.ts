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
import { argmax, permutation, ranks, topk } from './sorting.js';
import { shortestPath } from './shortestPath.js';

export { argmax, permutation, ranks, topk } from './sorting.js';
export type { BuiltinBlackBox, BuiltinSpec } from './sorting.js';
export { shortestPath, sanitizeCost, FLT_MAX } from './shortestPath.js';
export { precedesAscending, precedesDescending } from './order.js';
export { MAX_BLACKBOX_SIZE } from './checks.js';

/** The built-in black boxes, by name (design.md's `blackboxes`). */
export const blackboxes = { permutation, ranks, argmax, topk, shortestPath } as const;
