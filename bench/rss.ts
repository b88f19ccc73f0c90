/**
 * Workload (d) in its own process: one input, ranks(100), Cauchy, S = 10⁶; prints time and peak RSS as JSON.
 * Optional second argument: outputCache in bytes (default: the library's 64 MiB, below the 100 MB this needs, so
 * the cache is off; 0 turns it off explicitly; 104857600 keeps it: 10⁸ uint8 ranks on top of the flat memory).
 */
import { blackboxes, smooth, type BackendName } from '../lib/index.js';

const backend = (process.argv[2] ?? 'cpu') as BackendName;
const outputCache = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const s = smooth(blackboxes.ranks(100), { distribution: 'cauchy', scale: 1, samples: 1_000_000, sampler: 'rqmc-latin', covariate: 'loo', backend, outputCache });
const x = new Float32Array(100).map((_, i) => Math.sin(i));
const v = new Float32Array(100).map((_, i) => Math.cos(i));
const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
const t0 = performance.now();
const out = await s.forward(x);
await out.vjp(v);
const ms = performance.now() - t0;
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ backend, outputCache: outputCache ?? 'default', ms, peakRssMiB, baselineRssMiB }));
