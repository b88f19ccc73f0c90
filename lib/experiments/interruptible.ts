/** What the long-running study commands share: flag parsing, and Ctrl-C that aborts while the report is still written. */
import { SmoothingError } from '../errors.js';

/** An integer flag in [min, max]; `fallback` when absent. */
export function intFlag(flag: string, text: string | undefined, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    const range = min === 1 && max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer in [${min}, ${max}]`;
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `${flag} must be ${range}.`, { argument: flag, value: text, fix: `for example ${flag} ${fallback}` });
  }
  return v;
}

/** A flag holding a finite number > 0; `fallback` when absent. */
export function positiveFlag(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!(v > 0) || !Number.isFinite(v)) throw new SmoothingError('ERR_INVALID_ARGUMENT', `${flag} must be a positive number.`, { argument: flag, value: text, fix: `for example ${flag} ${fallback}` });
  return v;
}

/** The noise scale flag: a finite number > 0, default 0.5. */
export function scaleFlag(text: string | undefined): number {
  return positiveFlag('--scale', text, 0.5);
}

/**
 * Run `run` with SIGINT wired to `controller` (a second Ctrl-C exits at once), write the report, print the
 * summary, and return the exit code: 0, or 130 when stopped early (the finished cells stay in `out`).
 */
export async function runInterruptible<R extends { completed: boolean }>(
  controller: AbortController,
  stopBar: () => void,
  out: string,
  run: () => Promise<R>,
  report: (result: R) => Promise<string>,
): Promise<number> {
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await run();
    stopBar();
    console.log(await report(result));
    if (!result.completed) {
      console.log(`Stopped: the finished cells are kept in ${out}; continue with the same flags and --resume.`);
      return 130;
    }
    return 0;
  } finally {
    stopBar();
    process.off('SIGINT', onSigint);
  }
}
