/**
 * Progress of a long command on stderr. On a terminal: a cli-progress bar (redrawn in place). Elsewhere (a
 * scheduler's log file, a pipe, CI): plain lines, one every PLAIN_EVERY_MS or every PLAIN_EVERY_FRACTION of the
 * work, whichever comes first, as log-friendly tools do; a redrawn bar would print nothing or garbage there.
 */
export const PLAIN_EVERY_MS = 10_000;
export const PLAIN_EVERY_FRACTION = 0.05;

export interface ProgressUpdate {
  /** Work done and total work, in any unit (the ETA assumes the unit is proportional to time). */
  done: number;
  total: number;
  /** Counts shown to the reader, e.g. `12/360 cells`. */
  detail: string;
  label: string;
}

export interface Progress {
  update(p: ProgressUpdate): void;
  stop(): void;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Plain progress lines for logs; `now` and `write` are parameters so that tests can drive it. */
export function plainProgress(name: string, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`), now: () => number = Date.now): Progress {
  const started = now();
  let lastTime = -Infinity;
  let lastFraction = -Infinity;
  let last: ProgressUpdate | undefined;
  let printed: ProgressUpdate | undefined;
  const line = (p: ProgressUpdate) => {
    const f = p.total > 0 ? p.done / p.total : 1;
    const elapsed = (now() - started) / 1000;
    const eta = f > 0 ? (elapsed * (1 - f)) / f : NaN;
    write(`${name}: ${(100 * f).toFixed(0)}% · ${p.detail} · ${duration(elapsed)} elapsed · ETA ${f > 0 ? duration(eta) : '?'} · ${p.label}`);
    lastTime = now();
    lastFraction = f;
    printed = p;
  };
  return {
    update(p) {
      last = p;
      const f = p.total > 0 ? p.done / p.total : 1;
      // Buckets of PLAIN_EVERY_FRACTION (not differences, which rounding would make skip a step).
      const bucket = (x: number) => Math.floor(x / PLAIN_EVERY_FRACTION + 1e-9);
      if (now() - lastTime >= PLAIN_EVERY_MS || bucket(f) > bucket(lastFraction) || (f >= 1 && lastFraction < 1)) line(p);
    },
    stop() {
      if (last && last !== printed) line(last);
    },
  };
}

/** A bar on a terminal, plain lines elsewhere; without cli-progress installed, plain lines everywhere. */
export async function progressReporter(name: string, tty = process.stderr.isTTY === true): Promise<Progress> {
  if (!tty) return plainProgress(name);
  let SingleBar: typeof import('cli-progress').SingleBar;
  try {
    const mod = (await import('cli-progress')) as unknown as { SingleBar?: typeof import('cli-progress').SingleBar; default?: { SingleBar: typeof import('cli-progress').SingleBar } };
    SingleBar = (mod.SingleBar ?? mod.default!.SingleBar)!;
  } catch {
    return plainProgress(name);
  }
  const bar = new SingleBar({ format: `${name} |{bar}| {percentage}% · {detail} · ETA {eta_formatted} · {label}`, etaBuffer: 100, hideCursor: true, stream: process.stderr });
  let started = false;
  return {
    update(p) {
      // The bar counts per mille of the work, so that uneven work units keep a fair ETA.
      const value = p.total > 0 ? Math.round((1000 * p.done) / p.total) : 1000;
      if (!started) {
        bar.start(1000, value, { detail: p.detail, label: p.label });
        started = true;
      } else bar.update(value, { detail: p.detail, label: p.label });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
