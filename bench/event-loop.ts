/**
 * The event loop stays free while the cpu backend works: the largest event-loop delay during a call of
 * about two seconds (ranks(100), B = 64, S = 8192, forward + vjp), sampled at 10 ms resolution.
 *   npx tsx bench/event-loop.ts [backend]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { blackboxes, smooth, type BackendName } from '../lib/index.js';

const backend = (process.argv[2] ?? 'cpu') as BackendName;
const s = smooth(blackboxes.ranks(100), { distribution: 'logistic', scale: 0.5, samples: 8192, sampler: 'rqmc-latin', covariate: 'loo', backend });
const x = new Float32Array(64 * 100).map((_, k) => Math.sin(k));
const v = new Float32Array(64 * 100).map((_, k) => Math.cos(k));
const h = monitorEventLoopDelay({ resolution: 10 });
let ticks = 0;
const timer = setInterval(() => ticks++, 10);
h.enable();
const t0 = performance.now();
const out = await s.forward(x);
await out.vjp(v);
const ms = performance.now() - t0;
h.disable();
clearInterval(timer);
console.log(JSON.stringify({ backend, callMs: Math.round(ms), maxDelayMs: +(h.max / 1e6).toFixed(1), p99DelayMs: +(h.percentile(99) / 1e6).toFixed(1), timerTicks: ticks }));
