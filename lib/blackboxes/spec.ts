/**
 * What every built-in black box (sorting boxes and shortest paths alike) declares about itself, so that the
 * native backends can run their own copy of it: its kind and sizes.
 */
import type { BlackBox } from '../types.js';

/** What a built-in black box is, so that native backends can run their own copy of it. */
export type BuiltinSpec =
  | { readonly kind: 'permutation'; readonly n: number }
  | { readonly kind: 'ranks'; readonly n: number }
  | { readonly kind: 'argmax'; readonly n: number }
  | { readonly kind: 'topk'; readonly n: number; readonly k: number }
  | { readonly kind: 'shortestPath'; readonly rows: number; readonly cols: number };

/** A built-in black box: synchronous, and tagged with `builtin` (its kind and sizes). */
export interface BuiltinBlackBox extends BlackBox {
  readonly builtin: BuiltinSpec;
  evaluate(inputs: Float32Array, count: number, outputs: Float32Array, batchIndex?: Uint32Array): void;
}
