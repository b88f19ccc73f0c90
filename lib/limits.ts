/**
 * The largest sizes smooth() and its methods accept (README "Limits"). They are conservative on purpose: every
 * product of sizes the native addons compute stays far inside 32-bit signed indexing or 53-bit exact doubles,
 * and no buffer the js backend allocates can exceed what a typed array may hold. Beyond them a call is refused
 * with ERR_INVALID_ARGUMENT naming the limit, before any allocation.
 */
import { availableParallelism } from 'node:os';

/** Largest input size n and output size m of a black box (2^24). */
export const MAX_SIZE = 2 ** 24;
/** Largest number of noise samples S per input (2^31 − 1). */
export const MAX_SAMPLES = 2 ** 31 - 1;
/** Largest element count of any input or result array: B·n (x), B·m (value), B·m·n (Jacobian), B·n·n (2^31 − 1). */
export const MAX_ELEMENTS = 2 ** 31 - 1;
/** Largest total number of black-box evaluations of one call, B·S (2^48). */
export const MAX_EVALUATIONS = 2 ** 48;
/** Largest chunk buffer, chunkSize·(n + m) numbers (2^28, 1 GiB of float32): chunkSize is lowered to fit. */
export const MAX_CHUNK_ELEMENTS = 2 ** 28;

/** Largest `threads` (the option and STOCHASTIC_SMOOTHING_THREADS): 4 per hardware thread, at most 256. */
export function maxThreads(): number {
  return Math.min(256, 4 * Math.max(1, availableParallelism()));
}

/** The environment variable that sets the cpu backend's threads when smooth({ threads }) is not given. */
export const THREADS_ENV = 'STOCHASTIC_SMOOTHING_THREADS';
