/**
 * How long the synchronous path (forwardSync / vjpSync, what the tfjs ops run) blocks the event loop for the
 * ranking demo's step: permutation(5), B = 8 sets, Laplace, S = 256, mc + loo. Medians and p99 over 200 calls.
 *   npx tsx bench/sync-call.ts [backend …]
 */
import { blackboxes, smooth, type BackendName } from '../lib/index.js';

const names = (process.argv.length > 2 ? process.argv.slice(2) : ['cpu', 'js']) as BackendName[];
const x = Float32Array.from({ length: 8 * 5 }, (_, i) => Math.sin(i));
const v = Float32Array.from({ length: 8 * 25 }, (_, i) => Math.cos(i));
const quantile = (a: number[], q: number) => a.slice().sort((p, r) => p - r)[Math.min(a.length - 1, Math.floor(q * a.length))];
for (const backend of names) {
  const s = smooth(blackboxes.permutation(5), { distribution: 'laplace', scale: 1, samples: 256, sampler: 'mc', covariate: 'loo', backend });
  for (let i = 0; i < 20; i++) s.forwardSync(x, { seed: i }).vjpSync(v); // warm-up
  const forward: number[] = [];
  const backward: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const r = s.forwardSync(x, { seed: i });
    const t1 = performance.now();
    r.vjpSync(v);
    forward.push(t1 - t0);
    backward.push(performance.now() - t1);
  }
  const ms = (a: number[]) => `median ${quantile(a, 0.5).toFixed(3)} ms, p99 ${quantile(a, 0.99).toFixed(3)} ms`;
  console.log(`${backend}: forwardSync ${ms(forward)}; vjpSync ${ms(backward)}`);
}
