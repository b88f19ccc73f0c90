/**
 * Where a training step's time goes: the smoothed op (the library's forward estimate and its VJP, on the
 * smoothing backend) against everything else (the model's forward and backward passes, the optimizer, the loss).
 * The smoother is wrapped so that the op's own calls are timed where they happen, inside tfjs's forward and
 * gradient, without changing the op.
 */
import type { Smoothed, Smoother } from '../smooth.js';

/** Milliseconds accumulated by the wrapped calls. */
export class StopWatch {
  ms = 0;
  time<T>(run: () => T): T {
    const t0 = performance.now();
    try {
      return run();
    } finally {
      this.ms += performance.now() - t0;
    }
  }
}

/** Every method of `target` called through the proxy on the target itself (classes with private fields work). */
function proxy<T extends object>(target: T, wrap: (name: string | symbol, fn: (...a: unknown[]) => unknown) => ((...a: unknown[]) => unknown) | undefined): T {
  return new Proxy(target, {
    get(t, name) {
      const value = Reflect.get(t, name, t) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(t);
      return wrap(name, bound) ?? bound;
    },
  });
}

/** The timed methods of an estimate: the gradients the op's backward pass asks for. */
const TIMED_ESTIMATE = new Set<string | symbol>(['vjpSync', 'scaleGradientSync', 'jacobianSync', 'jvpSync']);

function timedSmoothed(smoothed: Smoothed, watch: StopWatch): Smoothed {
  return proxy(smoothed, (name, fn) => (TIMED_ESTIMATE.has(name) ? (...a) => watch.time(() => fn(...a)) : undefined));
}

/** `smoother` whose synchronous forward estimate and the gradients of that estimate add their time to `watch`. */
export function timedSmoother(smoother: Smoother, watch: StopWatch): Smoother {
  return proxy(smoother, (name, fn) => {
    if (name === 'forwardSync') return (...a) => watch.time(() => timedSmoothed(fn(...a) as Smoothed, watch));
    if (name === 'withScale') return (...a) => timedSmoother(fn(...a) as Smoother, watch);
    return undefined;
  });
}
