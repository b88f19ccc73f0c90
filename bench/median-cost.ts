/**
 * What median-of-k noise costs: forward + vjp of ranks(5), B = 64, Cauchy, mc, covariate loo, on one backend with
 * one thread, for medianOf 1 (plain), 3 and 5, alternating; prints the median of `runs` runs of each and its ratio
 * to plain noise. A cheap box, so noise generation (F⁻¹, and the B⁻¹ Newton solve for k > 1) dominates.
 *   npx tsx bench/median-cost.ts [runs=3] [samples=16384] [backend=cpu]
 */
import { blackboxes, smooth, type BackendName } from '../lib/index.js';

const runs = Number(process.argv[2] ?? 3);
const samples = Number(process.argv[3] ?? 16384);
const backend = (process.argv[4] ?? 'cpu') as BackendName;
const B = 64;
const x = new Float32Array(B * 5).map((_, i) => Math.sin(i));
const v = new Float32Array(B * 5).fill(1);

async function once(medianOf: number): Promise<number> {
  const s = smooth(blackboxes.ranks(5), { distribution: 'cauchy', scale: 0.5, samples, sampler: 'mc', covariate: 'loo', backend, threads: backend === 'js' ? undefined : 1, medianOf });
  const t0 = performance.now();
  await (await s.forward(x)).vjp(v);
  return performance.now() - t0;
}

const ks = [1, 3, 5];
const times = new Map<number, number[]>(ks.map((k) => [k, []]));
for (let r = 0; r < runs; r++) for (const k of ks) times.get(k)!.push(await once(k));
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const plain = median(times.get(1)!);
console.log(`ranks(5), B = ${B}, S = ${samples}, Cauchy, mc, loo, forward + vjp, ${backend}${backend === 'js' ? '' : ', 1 thread'}; medians of ${runs} runs`);
for (const k of ks) console.log(`medianOf ${k}: ${median(times.get(k)!).toFixed(0)} ms (${(median(times.get(k)!) / plain).toFixed(2)}× plain)`);
