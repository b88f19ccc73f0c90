/**
 * `npm run bench`: each workload on every available backend with the `benchmark` package; prints a table
 * and rewrites the measured section of bench/RESULTS.md (machine, command, medians, ratios to js).
 *   npx tsx bench/run.ts [--only a-ranks100,b-path12,p-ranks100] [--backends cpu,js] [--no-peers]
 * The (p) workloads run on the cpu backend with 1 and 2 threads and, in the same run, as numpy and PyTorch
 * scripts (bench/peers/; skipped with a printed line when python3 or the package is missing).
 */
import Benchmark from 'benchmark';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { backends, smooth, type BackendName } from '../lib/index.js';
import { inputs, peerWorkloads, stderrWorkloads, workloads, type Workload } from './workloads.js';

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

async function measure(fn: () => Promise<unknown>): Promise<{ median: number; runs: number; rme: number }> {
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
        resolve({ median: median(this.stats.sample) * 1000, runs: this.stats.sample.length, rme: this.stats.rme });
      },
    });
    bench.run({ async: true });
  });
}

const rows: string[] = [];
for (const w of [...workloads, ...stderrWorkloads].filter((w) => !only || only.includes(w.id))) {
  const times = new Map<BackendName, number>();
  for (const backend of available) {
    const box = w.box();
    const s = smooth(box, { distribution: w.distribution, scale: 0.5, samples: w.samples, sampler: 'rqmc-latin', covariate: 'loo', backend });
    const x = inputs(w, box.inputSize);
    const v = new Float32Array(w.batch * box.outputSize).map((_, k) => Math.cos(k));
    const r = await measure(async () => {
      const out = await s.forward(x);
      await (w.mode === 'vjp' ? (w.stderr ? out.vjp(v, { stderr: true }) : out.vjp(v)) : out.jacobian());
    });
    times.set(backend, r.median);
    console.log(`${w.title} — ${backend}: median ${r.median.toFixed(1)} ms over ${r.runs} runs (±${r.rme.toFixed(1)} % margin of error of the mean)`);
  }
  const js = times.get('js');
  const cpu = times.get('cpu');
  const cell = (b: BackendName) => (times.has(b) ? times.get(b)!.toFixed(1) : '—');
  rows.push(`| ${w.title} | ${cell('js')} | ${cell('cpu')} | ${cell('cuda')} | ${js && cpu ? `${(js / cpu).toFixed(1)}×` : '—'} | ${cpu && times.get('cuda') ? `${(cpu / times.get('cuda')!).toFixed(1)}×` : '—'} |`);
}

// (p): the same estimator in numpy and PyTorch, against the cpu backend on 1 and 2 threads, in this run.
interface PeerResult { impl?: string; threads?: number; ms?: number; runs?: number; skip?: string }
function runPeer(script: string, id: string, threads: number): PeerResult[] {
  try {
    const out = execFileSync('python3', [new URL(`./peers/${script}`, import.meta.url).pathname, id, String(threads)], { encoding: 'utf8' });
    return out.trim().split('\n').map((l) => JSON.parse(l) as PeerResult);
  } catch (e) {
    return [{ skip: `python3 ${script} failed: ${(e as Error).message.split('\n')[0]}` }];
  }
}
async function timeCpu(w: Workload, threads: number): Promise<number> {
  const box = w.box();
  const s = smooth(box, { distribution: w.distribution, scale: 0.5, samples: w.samples, sampler: w.sampler ?? 'rqmc-latin', covariate: 'loo', backend: 'cpu', threads });
  const x = inputs(w, box.inputSize);
  const v = new Float32Array(w.batch * box.outputSize).map((_, k) => Math.cos(k));
  return (await measure(async () => (await s.forward(x)).vjp(v))).median;
}
const peerRows: string[] = [];
if (available.includes('cpu')) {
  for (const w of peerWorkloads.filter((w) => !only || only.includes(w.id))) {
    const cpu1 = await timeCpu(w, 1);
    const cpu2 = await timeCpu(w, 2);
    console.log(`${w.title} — cpu: 1 thread ${cpu1.toFixed(1)} ms, 2 threads ${cpu2.toFixed(1)} ms`);
    const peers: PeerResult[] = [];
    if (w.peer && !args.includes('--no-peers')) peers.push(...runPeer('ranks_numpy.py', w.peer, 1), ...runPeer('ranks_torch.py', w.peer, 2));
    for (const p of peers) console.log(p.skip ? `  skipped: ${p.skip}` : `  ${p.impl} (${p.threads} thread${p.threads === 1 ? '' : 's'}): ${p.ms!.toFixed(1)} ms over ${p.runs} runs`);
    const cell = (impl: string) => {
      const p = peers.find((r) => r.impl === impl);
      return p?.ms ? `${p.ms.toFixed(0)} (${(p.ms / cpu2).toFixed(2)}×)` : '—';
    };
    peerRows.push(`| ${w.title} | ${cpu1.toFixed(0)} | ${cpu2.toFixed(0)} | ${cell('numpy fused')} | ${cell('numpy two-pass')} | ${cell('torch fused')} | ${cell('torch two-pass')} |`);
  }
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

Peers, same run (ms; in brackets the peer's time over the cpu backend's on 2 threads: above 1× the cpu backend
is faster). numpy sorts on 1 thread; PyTorch runs on 2 threads. "fused": one evaluation per sample serves value
and vjp; "two-pass": forward, then a vjp that regenerates the noise and evaluates again (the library's shape).

| workload | cpu 1 thread | cpu 2 threads | numpy fused | numpy two-pass | PyTorch fused | PyTorch two-pass |
|---|---|---|---|---|---|---|
${peerRows.join('\n')}
<!-- measured:end -->`;
console.log(`\n${section}`);
if (!only && !args.includes('--no-write')) {
  const path = new URL('./RESULTS.md', import.meta.url);
  const old = readFileSync(path, 'utf8');
  writeFileSync(path, old.replace(/<!-- measured:start -->[\s\S]*<!-- measured:end -->/, section));
}
