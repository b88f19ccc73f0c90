/**
 * `npm run bench`: each workload on every available backend with the `benchmark` package; prints a table
 * and rewrites the measured section of bench/RESULTS.md (machine, command, medians, ratios to js).
 *   npx tsx bench/run.ts [--only a-ranks100,b-path12] [--backends cpu,js]
 */
import Benchmark from 'benchmark';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { backends, smooth, type BackendName } from '../lib/index.js';
import { inputs, workloads } from './workloads.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]?.split(',') : undefined;
};
const only = flag('--only');
const wanted = (flag('--backends') ?? ['cuda', 'cpu', 'js']) as BackendName[];
const available = backends().filter((b) => b.available && wanted.includes(b.name)).map((b) => b.name);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function measure(fn: () => Promise<unknown>): Promise<{ median: number; runs: number }> {
  await fn(); // warm-up (JIT, thread start-up, page faults)
  return new Promise((resolve, reject) => {
    const bench = new Benchmark('op', {
      defer: true,
      minSamples: 5,
      maxTime: 20,
      fn: (deferred: { resolve(): void }) => {
        fn().then(() => deferred.resolve(), reject);
      },
      onComplete: function (this: Benchmark) {
        resolve({ median: median(this.stats.sample) * 1000, runs: this.stats.sample.length });
      },
    });
    bench.run({ async: true });
  });
}

const rows: string[] = [];
for (const w of workloads.filter((w) => !only || only.includes(w.id))) {
  const times = new Map<BackendName, number>();
  for (const backend of available) {
    const box = w.box();
    const s = smooth(box, { distribution: w.distribution, scale: 0.5, samples: w.samples, sampler: 'rqmc-latin', covariate: 'loo', backend });
    const x = inputs(w, box.inputSize);
    const v = new Float32Array(w.batch * box.outputSize).map((_, k) => Math.cos(k));
    const r = await measure(async () => {
      const out = await s.forward(x);
      await (w.mode === 'vjp' ? out.vjp(v) : out.jacobian());
    });
    times.set(backend, r.median);
    console.log(`${w.title} — ${backend}: median ${r.median.toFixed(1)} ms over ${r.runs} runs`);
  }
  const js = times.get('js');
  const cpu = times.get('cpu');
  const cell = (b: BackendName) => (times.has(b) ? times.get(b)!.toFixed(1) : '—');
  rows.push(`| ${w.title} | ${cell('js')} | ${cell('cpu')} | ${cell('cuda')} | ${js && cpu ? `${(js / cpu).toFixed(1)}×` : '—'} | ${cpu && times.get('cuda') ? `${(cpu / times.get('cuda')!).toFixed(1)}×` : '—'} |`);
}

// (d): one input, ranks(100), Cauchy, S = 10⁶ — time and peak RSS, each backend in a fresh process.
const dRows: string[] = [];
if (!only || only.includes('d-ranks100-1e6')) {
  for (const backend of available.filter((b) => b !== 'js' || args.includes('--with-js-1e6'))) {
    const out = execFileSync(process.execPath, ['--import=tsx', new URL('./rss.ts', import.meta.url).pathname, backend], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number; peakRssMiB: number; baselineRssMiB: number };
    dRows.push(`| (d) ranks(100), B = 1, S = 10⁶, Cauchy, forward + vjp | ${backend} | ${r.ms.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} | ${r.baselineRssMiB.toFixed(0)} |`);
    console.log(dRows.at(-1));
  }
}

const cpuModel = os.cpus()[0]?.model ?? 'unknown';
const section = `<!-- measured:start -->
Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` on ${cpuModel}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}
(sampler rqmc-latin, covariate loo, scale 0.5; medians of ≥ 5 runs of the \`benchmark\` package; cpu uses all cores).

| workload | js ms | cpu ms | cuda ms | cpu vs js | cuda vs cpu |
|---|---|---|---|---|---|
${rows.join('\n')}

| workload | backend | ms | peak RSS MiB | RSS before the call MiB |
|---|---|---|---|---|
${dRows.join('\n')}
<!-- measured:end -->`;
console.log(`\n${section}`);
if (!only && !args.includes('--no-write')) {
  const path = new URL('./RESULTS.md', import.meta.url);
  const old = readFileSync(path, 'utf8');
  writeFileSync(path, old.replace(/<!-- measured:start -->[\s\S]*<!-- measured:end -->/, section));
}
