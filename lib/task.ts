/**
 * One body of code for the asynchronous API and the synchronous one (tfjs gradient functions must return at
 * once). A computation is written once as a generator, a Task, that yields a Pause wherever it may have to wait:
 * an asynchronous black box, a native job, a turn of the event loop. runAsync awaits each pause; runSync takes
 * the pause's synchronous form, or refuses with ERR_UNSUPPORTED when there is none (an async black box).
 * `await x` becomes `yield* x` inside a Task; nothing else changes, so the math stays in one place.
 */
import { SmoothingError } from './errors.js';

export interface Pause {
  /** The asynchronous form of the wait. */
  readonly async: () => Promise<unknown>;
  /** The synchronous form (blocking); absent when the wait cannot be done synchronously. */
  readonly sync?: () => unknown;
  /** Why there is no synchronous form, for the error message. */
  readonly why?: string;
}

export type Task<T> = Generator<Pause, T, unknown>;

/** Wait for a pause inside a Task: `const r = yield* wait<R>(pause)`. */
export function* wait<T>(pause: Pause): Task<T> {
  return (yield pause) as T;
}

/** Give the event loop a turn (asynchronous runs only; the synchronous run cannot, and skips it). */
export const TURN: Pause = { async: () => new Promise((resolve) => setImmediate(resolve)), sync: () => undefined };

/** A Task that is already done (for a backend method with nothing to wait on). */
// eslint-disable-next-line require-yield
export function* done<T>(value: T): Task<T> {
  return value;
}

export async function runAsync<T>(task: Task<T>): Promise<T> {
  let step = task.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = await step.value.async();
    } catch (err) {
      step = task.throw(err);
      continue;
    }
    step = task.next(result);
  }
  return step.value;
}

/** Run a Task to completion on this thread; `what` names the call for the error message. */
export function runSync<T>(task: Task<T>, what: string): T {
  let step = task.next();
  while (!step.done) {
    const pause = step.value;
    if (pause.sync === undefined) {
      const err = new SmoothingError('ERR_UNSUPPORTED', `${what} cannot run synchronously: ${pause.why ?? 'it has to wait for something asynchronous'}.`, {
        fix: 'use the asynchronous method (await it), or make the black box evaluate synchronously (return nothing, not a Promise)',
      });
      step = task.throw(err);
      continue;
    }
    let result: unknown;
    try {
      result = pause.sync();
    } catch (err) {
      step = task.throw(err);
      continue;
    }
    step = task.next(result);
  }
  return step.value;
}
