/**
 * The output cache (smooth option outputCache): forward + vjp + jacobian with the cache on (default 64 MiB) and off
 * (outputCache: 0), alternating, on
 *   (1) a costly user box: fromFunction, n = m = 8, each row ~20 µs of work (a small iterated map), B = 4, S = 2048;
 *   (2) ranks(100) on the cpu backend, B = 64, S = 4096, Gaussian, rqmc-sobol, loo (the workload).
 * Prints the median of `runs` runs of each and the ratio off / on, with the spread of the per-pair ratios.
 *   npx tsx bench/output-cache.ts [runs=5] [backend for (1)=cpu]
 */
import { blackboxes, smooth, type BackendName, type BlackBox } from '../lib/index.js';

const runs = Number(process.argv[2] ?? 5);
const userBackend = (process.argv[3] ?? 'cpu') as BackendName;

function costly(): BlackBox {
  return blackboxes.fromFunction(
    (row) => {
      const out = new Array<number>(8);
      for (let k = 0; k < 8; k++) {
        let z = row[k];
        for (let it = 0; it < 300; it++) z = Math.sin(z * 1.3 + 0.1) + 0.5 * Math.cos(z);
        out[k] = z > 0 ? z : 0;
      }
      return out;
    },
    { inputSize: 8, outputSize: 8, name: 'costly' },
  );
}

async function once(box: BlackBox, options: Parameters<typeof smooth>[1], x: Float32Array, B: number): Promise<number> {
  const s = smooth(box, options);
  const v = Float32Array.from({ length: B * box.outputSize }, (_, k) => Math.cos(k));
  const t0 = performance.now();
  const r = await s.forward(x);
  await r.vjp(v);
  await r.jacobian();
  return performance.now() - t0;
}

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

async function compare(title: string, box: BlackBox, options: Parameters<typeof smooth>[1], B: number): Promise<void> {
  const x = Float32Array.from({ length: B * box.inputSize }, (_, k) => Math.sin(k * 0.7));
  await once(box, options, x, B); // warm-up (JIT, thread start)
  const on: number[] = [];
  const off: number[] = [];
  for (let r = 0; r < runs; r++) {
    on.push(await once(box, options, x, B));
    off.push(await once(box, { ...options, outputCache: 0 }, x, B));
  }
  const ratios = on.map((t, k) => off[k] / t).sort((p, q) => p - q);
  console.log(
    `| ${title} | ${median(off).toFixed(0)} | ${median(on).toFixed(0)} | ${(median(off) / median(on)).toFixed(2)}× (pairs ${ratios[0].toFixed(2)}–${ratios.at(-1)!.toFixed(2)}) |`,
  );
}

console.log(`runs: ${runs}; forward + vjp + jacobian, ms (median)`);
console.log('| workload | cache off ms | cache on ms | off / on (range of per-run ratios) |');
console.log('|---|---|---|---|');
await compare(`user box (8→8, ~20 µs/row), B = 4, S = 2048, ${userBackend}`, costly(), { scale: 0.5, samples: 2048, sampler: 'rqmc-sobol', covariate: 'loo', backend: userBackend }, 4);
await compare('ranks(100), B = 64, S = 4096, cpu', blackboxes.ranks(100), { scale: 0.5, samples: 4096, sampler: 'rqmc-sobol', covariate: 'loo', backend: 'cpu' }, 64);
