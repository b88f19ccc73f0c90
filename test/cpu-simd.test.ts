/**
 * The cpu backend's SIMD levels and its progress at large S (issue 14):
 * - every level STOCHASTIC_SMOOTHING_SIMD can select (avx512, avx2, scalar; a level the processor lacks falls
 *   back to the best it has) gives the same bytes for value, stderr, vjp, jvp and Jacobian, with the output cache
 *   on and off, for the Gaussian, triangular, logistic and Gumbel F⁻¹ (one child process
 *   per level, since the level is chosen when the addon loads); the C++ test engine_simd_test checks the
 *   kernels and whole jobs per level, and says which levels this processor has;
 * - S = 2²⁰ on one input reports progress many times, not once at the end, and an abort stops it at once.
 */
import { execFileSync } from 'node:child_process';
import { blackboxes, smooth, type SmoothingError } from '../lib/index.js';
import { nativeTest } from './helpers/native.js';

const test = nativeTest('cpu');
const child = new URL('./helpers/simd-child.ts', import.meta.url).pathname;

function runAt(level: string | undefined): string {
  const env = { ...process.env };
  if (level) env.STOCHASTIC_SMOOTHING_SIMD = level;
  else delete env.STOCHASTIC_SMOOTHING_SIMD;
  return execFileSync(process.execPath, ['--import=tsx', child], { env, encoding: 'utf8' });
}

test('every SIMD level gives the same bytes for value, stderr, vjp, jvp and Jacobian', (t) => {
  const reference = runAt('scalar');
  const lines = reference.trim().split('\n');
  t.is(lines.length, 18);
  for (let k = 0; k < 18; k += 2) t.is(lines[k], lines[k + 1], `job ${k / 2}: the output cache changed the bytes`);
  for (const level of [undefined, 'avx2', 'avx512']) t.is(runAt(level), reference, `level ${level ?? '(default)'}`);
});

test('S = 2^20 on one input reports progress every ~1 % or every ~250 ms, increasing, ending at S', async (t) => {
  const S = 1 << 20;
  const seen: number[] = [];
  const at: number[] = [];
  const started = performance.now();
  await smooth(blackboxes.ranks(8), { distribution: 'gaussian', scale: 1, samples: S, sampler: 'mc', covariate: 'none', backend: 'cpu', threads: 1 })
    .forward(new Float32Array(8).fill(0.5), {
      onProgress: (p) => {
        seen.push(p.done);
        at.push(performance.now());
      },
    });
  const ended = performance.now();
  // The engine posts a report every ~1 % of the work (~100). Node-API delivers only the latest report pending when
  // the event loop gets to it, so on a machine fast enough to finish in a blink most are merged: what must hold is
  // the promise to the user, at least every 1 % of the work OR at most ~250 ms of silence (a loaded machine: 500).
  const gaps = [at[0] - started, ...at.slice(1).map((v, i) => v - at[i]), ended - at.at(-1)!];
  const longest = Math.max(...gaps);
  // One thread keeps the run long enough (and the reports far enough apart) to see intermediate reports anywhere:
  // a job that reported only at the end (the old single-wave behaviour) fails the first check.
  t.log(`${seen.length} progress calls in ${(ended - started).toFixed(0)} ms, longest silence ${longest.toFixed(0)} ms`);
  t.true(seen.length >= 10, `${seen.length} progress calls`);
  t.true(seen.length >= 50 || longest <= 500, `${seen.length} progress calls, longest silence ${longest.toFixed(0)} ms`);
  t.true(seen.every((v, i) => i === 0 || v > seen[i - 1]));
  t.is(seen.at(-1), S);
});

test('an abort at the first progress report of S = 2^22 ends the call at once with ERR_ABORTED', async (t) => {
  const s = smooth(blackboxes.ranks(100), { distribution: 'logistic', scale: 1, samples: 1 << 22, sampler: 'mc', covariate: 'loo', backend: 'cpu' });
  const controller = new AbortController();
  let abortedAt = 0;
  let doneAtAbort = 0;
  const started = performance.now();
  const err = await t.throwsAsync(s.forward(new Float32Array(100).map((_, i) => Math.sin(i)), {
    signal: controller.signal,
    onProgress: (p) => {
      if (abortedAt) return;
      doneAtAbort = p.done;
      abortedAt = performance.now();
      controller.abort();
    },
  }));
  const latency = performance.now() - abortedAt;
  t.is((err as SmoothingError).code, 'ERR_ABORTED');
  // Early in the work, or (on a machine fast enough that merged reports skip past 10 %) early in time.
  t.true(doneAtAbort < (1 << 22) / 10 || abortedAt - started < 250, `the first report comes early: at ${doneAtAbort} samples, ${(abortedAt - started).toFixed(0)} ms`);
  // The rest of the job is seconds of work even on a fast machine; 1 s is a generous bound for a loaded one.
  t.true(latency < 1000, `${latency.toFixed(0)} ms from abort to rejection`);
});
