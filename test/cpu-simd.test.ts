/**
 * The cpu backend's SIMD levels and its progress at large S (issue 14):
 * - every level STOCHASTIC_SMOOTHING_SIMD can select (avx512, avx2, scalar; a level the processor lacks falls
 *   back to the best it has) gives the same bytes for value, stderr, vjp, jvp and Jacobian (one child process
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
  t.is(reference.trim().split('\n').length, 5);
  for (const level of [undefined, 'avx2', 'avx512']) t.is(runAt(level), reference, `level ${level ?? '(default)'}`);
});

test('S = 2^20 on one input reports progress at least every ~2 %, increasing, ending at S', async (t) => {
  const S = 1 << 20;
  const seen: number[] = [];
  await smooth(blackboxes.ranks(8), { distribution: 'gaussian', scale: 1, samples: S, sampler: 'mc', covariate: 'none', backend: 'cpu' })
    .forward(new Float32Array(8).fill(0.5), { onProgress: (p) => seen.push(p.done) });
  // The engine reports every ~1 % (~100 times); reports that arrive while the event loop is busy may be merged,
  // so the count asserted is half of that.
  t.true(seen.length >= 50, `${seen.length} progress calls`);
  t.true(seen.every((v, i) => i === 0 || v > seen[i - 1]));
  t.is(seen.at(-1), S);
});

test('an abort at the first progress report of S = 2^22 ends the call at once with ERR_ABORTED', async (t) => {
  const s = smooth(blackboxes.ranks(100), { distribution: 'logistic', scale: 1, samples: 1 << 22, sampler: 'mc', covariate: 'loo', backend: 'cpu' });
  const controller = new AbortController();
  let abortedAt = 0;
  let doneAtAbort = 0;
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
  t.true(doneAtAbort < (1 << 22) / 10, 'the first report comes early');
  // The rest of the job is seconds of work even on a fast machine; 1 s is a generous bound for a loaded one.
  t.true(latency < 1000, `${latency.toFixed(0)} ms from abort to rejection`);
});
