/**
 * The cuda backend. Two kinds of tests:
 *  - host tests, run everywhere: the CUDA addon is built whenever nvcc is, it loads without a driver and says
 *    why cuda is unavailable, every entry point then fails with ERR_CUDA carrying CUDA's message, the kernels'
 *    per-thread logic passes its host test (build-cmake/cuda_host_test), the sticky-error fallback of
 *    lib/backends/cuda.ts works (fake addon), and scripts/gpu-checks.mjs matches bench/workloads.ts;
 *  - device tests: every check of scripts/gpu-checks.mjs (cuda vs cpu for every distribution × sampler ×
 *    covariate × black box, uniforms bit for bit, cuRAND vs core, abort, ERR_CUDA paths, fallback), skipped
 *    without a device and failing under REQUIRE_CUDA=1 (test/helpers/native.ts).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workloads } from '../bench/workloads.js';
import { backends, blackboxes, smooth, SmoothingError, type BlackBox } from '../lib/index.js';
import { loadAddon, type NativeAddon } from '../lib/backends/native/addon.js';
import { CUDA_ADDON_FILE, cudaBackend, type CudaAddon } from '../lib/backends/cuda.js';
import type { Backend, Plan } from '../lib/plan.js';
import { done, runAsync } from '../lib/task.js';
import { BENCH_WORKLOADS, checks, makeContext, ROOT } from '../scripts/gpu-checks.mjs';
import { nativeTest } from './helpers/native.js';

const cudaAddonPath = join(ROOT, 'build-cmake', 'Release', CUDA_ADDON_FILE);
const hostTestPath = join(ROOT, 'build-cmake', 'cuda_host_test');
const nvccFound = ['nvcc', '/usr/local/cuda/bin/nvcc'].some((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
const cudaEntry = () => backends().find((b) => b.name === 'cuda')!;

// ------------------------------------------------------------------------------------------------ host tests

test('the CUDA addon is built whenever nvcc is found (a kernel that does not compile fails here)', (t) => {
  if (!nvccFound || process.env.STOCHASTIC_SMOOTHING_SKIP_NATIVE === '1' || !existsSync(join(ROOT, 'build-cmake', 'Release'))) {
    t.log('no nvcc or no cmake-js build here: nothing to check');
    t.pass();
    return;
  }
  t.true(existsSync(cudaAddonPath), `nvcc is on the PATH but ${cudaAddonPath} was not built (see the cmake-js output of npm install / npm run build:native)`);
});

test('the CUDA addon loads without a usable device and backends() says why', (t) => {
  const r = loadAddon<CudaAddon>(CUDA_ADDON_FILE);
  if ('reason' in r) {
    t.log(`no cuda addon: ${r.reason}`);
    t.false(cudaEntry().available);
    t.regex(cudaEntry().reason ?? '', /cuda addon not loaded/);
    return;
  }
  const d = r.addon.deviceInfo();
  t.is(typeof d.available, 'boolean');
  t.regex(d.runtimeVersion ?? '', /^\d+\.\d+$/);
  t.is(typeof d.curand, 'boolean');
  t.log(`deviceInfo: ${JSON.stringify(d)}`);
  if (d.available) {
    t.true(cudaEntry().available);
    t.true(cudaEntry().device!.includes(d.name!));
    t.regex(cudaEntry().device!, /GiB/);
  } else {
    t.truthy(d.reason);
    t.false(cudaEntry().available);
    t.true(cudaEntry().reason!.includes(d.reason!), cudaEntry().reason);
  }
  for (const key of ['run', 'uniforms', 'UserStream', 'deviceInfo', 'curandCheck', 'bytesInUse', 'testFault'] as const) t.is(typeof r.addon[key], 'function', key);
  t.is(r.addon.samplesPerItem, 1024);
});

test('without a device every addon entry point fails with ERR_CUDA carrying CUDA\'s message', async (t) => {
  const r = loadAddon<CudaAddon>(CUDA_ADDON_FILE);
  if ('reason' in r || r.addon.deviceInfo().available) {
    t.log('no addon, or a device is present (the device tests cover the failure paths there)');
    t.pass();
    return;
  }
  const addon = r.addon;
  const reason = addon.deviceInfo().reason!;
  const plan = {
    n: 3, m: 3, builtin: true, box: { kind: 1, n: 3, k: 0, rows: 0, cols: 0 }, dist: 0, covariate: 0,
    sampler: { kind: 0, samples: 64, antithetic: false, cartesianK: 0 }, scale: { kind: 0, sigma: new Float64Array([1, 1, 1]) },
  };
  const job = { op: 0, batch: 1, seed: 1, x: new Float32Array(3) };
  // The failing call is cudaGetDeviceCount (no driver, no device): its message is deviceInfo's reason, verbatim.
  const isCudaError = (err: unknown) => {
    const e = err as { code?: string; message?: string; sticky?: boolean };
    const sameMessage = !reason.startsWith('cudaGetDeviceCount') || (e.message ?? '').includes(reason);
    return e.code === 'ERR_CUDA' && e.sticky === false && sameMessage;
  };
  t.true(isCudaError(await t.throwsAsync(addon.run(plan, job).promise)));
  t.true(isCudaError(t.throws(() => addon.uniforms(plan, 1, 0, 0, 4))));
  t.true(isCudaError(t.throws(() => new addon.UserStream({ ...plan, builtin: false }, job, 16))));
  t.true(isCudaError(t.throws(() => addon.curandCheck(plan, 1, 0, 0, 4))));
  t.true(isCudaError(t.throws(() => addon.testFault('oom'))));
  t.is(addon.bytesInUse(), 0);
  // Asking for cuda through the API is ERR_BACKEND_UNAVAILABLE with the same reason; 'auto' runs elsewhere.
  const err = t.throws(() => smooth(blackboxes.ranks(3), { distribution: 'gaussian', scale: 1, samples: 8, sampler: 'mc', covariate: 'none', backend: 'cuda' }));
  t.is((err as SmoothingError).code, 'ERR_BACKEND_UNAVAILABLE');
  t.true((err as SmoothingError).message.includes(reason));
  const auto = await smooth(blackboxes.ranks(3), { distribution: 'gaussian', scale: 1, samples: 8, sampler: 'mc', covariate: 'none' }).forward(new Float32Array(3));
  t.not(auto.backend, 'cuda');
});

test('the kernels\' per-thread logic passes its host test (cuda/test/host_test.cu: tiles, bitonic, relaxation, cuRAND)', (t) => {
  if (!existsSync(hostTestPath)) {
    t.log('cuda_host_test not built (no nvcc): nothing to run');
    t.pass();
    return;
  }
  const r = spawnSync(hostTestPath, [], { encoding: 'utf8', timeout: 240_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  for (const line of out.trim().split('\n')) t.log(line);
  t.is(r.status, 0, out);
  t.regex(out, /\d+ passed, 0 failed/);
});

/** A plan and inputs for driving a Backend directly (the Smoother keeps its plan private). */
function planOf(f: BlackBox): Plan {
  const s = smooth(f, { distribution: 'gaussian', scale: 1, samples: 16, sampler: 'mc', covariate: 'none', backend: 'js' });
  return (s as unknown as { plan: Plan }).plan;
}

function fakeAddon(error: { code: string; sticky: boolean; message: string } | undefined): CudaAddon & { runs: number } {
  const fail = () => Object.assign(new Error(error!.message), error);
  const addon = {
    runs: 0,
    run() {
      addon.runs++;
      return { promise: error ? Promise.reject(fail()) : Promise.resolve({ value: new Float32Array(3), stderr: new Float32Array(3) }), abort() {} };
    },
    uniforms: () => new Float64Array(0),
    UserStream: class {
      constructor() {
        if (error) throw fail();
      }
      noise() {}
      accumulate() {}
      finish() {
        return {};
      }
      close() {}
    },
    hardwareConcurrency: 1,
    samplesPerItem: 1024,
    deviceInfo: () => ({ available: true }),
    curandCheck: () => ({ curand: false, compared: 0, mismatches: 0, first: -1 }),
    bytesInUse: () => 0,
    testFault: () => {
      throw new Error('fake');
    },
  };
  return addon as unknown as CudaAddon & { runs: number };
}

function fakeCpu(): Backend & { calls: number } {
  const b = {
    name: 'cpu' as const,
    calls: 0,
    forward() {
      b.calls++;
      return done({ value: new Float32Array(3), stderr: new Float32Array(3) });
    },
    vjp: () => done(new Float32Array(3)),
    jacobian: () => done(new Float32Array(9)),
    jvp: () => done(new Float32Array(3)),
    scaleGradient: () => done(new Float32Array(1)),
  };
  return b;
}

test.serial('a sticky CUDA error disables the backend: ERR_CUDA for that call, one warning, then the cpu backend', async (t) => {
  const plan = planOf(blackboxes.ranks(3));
  const x = new Float32Array([1, 2, 3]);
  const addon = fakeAddon({ code: 'ERR_CUDA', sticky: true, message: 'CUDA error: running the fused estimator: an illegal memory access was encountered (cudaErrorIllegalAddress)' });
  const cpu = fakeCpu();
  const info = { name: 'cuda' as const, available: true, device: 'fake' };
  const backend = cudaBackend(addon, info, () => cpu);
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => void warnings.push(a.join(' '));
  try {
    t.is(backend.name, 'cuda');
    const err = await t.throwsAsync(runAsync(backend.forward(plan, x, 1, 0, {})));
    t.true(err instanceof SmoothingError);
    t.is((err as SmoothingError).code, 'ERR_CUDA');
    t.regex(err!.message, /illegal memory access/);
    t.is(warnings.length, 1);
    t.regex(warnings[0], /disabled/);
    t.false(info.available);
    t.regex((info as { reason?: string }).reason ?? '', /unrecoverable CUDA error/);
    t.is(backend.name, 'cpu');
    await runAsync(backend.forward(plan, x, 1, 0, {}));
    await runAsync(backend.forward(plan, x, 1, 0, {}));
    t.is(cpu.calls, 2);
    t.is(addon.runs, 1);
    t.is(warnings.length, 1, 'one warning only');
  } finally {
    console.warn = warn;
  }
});

test.serial('a recoverable CUDA error (out of memory) rejects its call only; user-box stream errors become ERR_CUDA too', async (t) => {
  const x = new Float32Array([1, 2, 3]);
  const addon = fakeAddon({ code: 'ERR_CUDA', sticky: false, message: 'out of memory: cudaMalloc(per-item partial sums, 9 bytes): out of memory (cudaErrorMemoryAllocation)' });
  const cpu = fakeCpu();
  const info = { name: 'cuda' as const, available: true, device: 'fake' };
  const backend = cudaBackend(addon, info, () => cpu);
  const err = await t.throwsAsync(runAsync(backend.forward(planOf(blackboxes.ranks(3)), x, 1, 0, {})));
  t.is((err as SmoothingError).code, 'ERR_CUDA');
  t.regex(err!.message, /out of memory/);
  t.true(info.available);
  t.is(backend.name, 'cuda');
  const user: BlackBox = { name: 'u', inputSize: 3, outputSize: 3, evaluate() {} };
  const e2 = await t.throwsAsync(runAsync(backend.forward(planOf(user), x, 1, 0, {})));
  t.true(e2 instanceof SmoothingError);
  t.is((e2 as SmoothingError).code, 'ERR_CUDA');
  t.is(cpu.calls, 0);
});

test('scripts/gpu-checks.mjs runs the workloads of bench/workloads.ts', (t) => {
  t.is(BENCH_WORKLOADS.length, workloads.length);
  for (const [i, w] of workloads.entries()) {
    const g = BENCH_WORKLOADS[i];
    t.like(g, { id: w.id, title: w.title, batch: w.batch, samples: w.samples, distribution: w.distribution, mode: w.mode });
    const box = (blackboxes as unknown as Record<string, (...a: number[]) => BlackBox>)[g.box[0]](...(g.box.slice(1) as number[]));
    t.is(box.name, w.box().name);
  }
});

test('scripts/check-gpu.mjs runs end to end (dry run: the "cuda" side is the cpu backend, no GPU involved)', (t) => {
  if (!('addon' in loadAddon<NativeAddon>('stochastic_smoothing_cpu.node'))) {
    t.log('no cpu addon: the dry run needs it');
    t.pass();
    return;
  }
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-gpu.mjs'), '--dry-run', '--only', 'every scale kind', '--out', join(ROOT, 'results', 'dry-run')], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, REQUIRE_CUDA: '' },
  });
  t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  t.regex(r.stdout, /DRY RUN/);
  t.regex(r.stdout, /PASS {2}cuda = cpu for every scale kind/);
});

test('the whole cuda backend over an EMULATED device equals cpu (check-gpu.mjs --emulated: kernels\' tile code on the host)', (t) => {
  const emulated = join(ROOT, 'build-cmake', 'Release', 'stochastic_smoothing_cuda_emulated.node');
  if (!existsSync(emulated)) {
    t.log('stochastic_smoothing_cuda_emulated.node not built (no CUDA toolkit): nothing to run');
    t.pass();
    return;
  }
  // Everything but the device: N-API layer, engine (waves, keys, merges, user streams, errors, abort, the sticky
  // fallback in a child process) and the kernels' per-thread code through HostExec. S = 10⁶ is left to the GPU.
  // The host test is skipped here: 'cuda_host_test' above runs it already (and ctest does too).
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-gpu.mjs'), '--emulated', '--skip-host-test', '--exclude', '10⁶', '--out', join(ROOT, 'results', 'emulated')], {
    encoding: 'utf8',
    timeout: 280_000,
    env: { ...process.env, REQUIRE_CUDA: '' },
  });
  for (const line of (r.stdout ?? '').split('\n').filter((l) => /^(PASS|FAIL)|checks passed/.test(l))) t.log(line);
  t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  t.regex(r.stdout, /EMULATED DEVICE/);
  t.regex(r.stdout, /1[5-9] checks passed, 0 failed/);
});

test('check-gpu.mjs --quick --emulated: the first-run phases (machine, cuRAND, one parity check per box, one timing per GPU workload) pass and log line by line', (t) => {
  const emulated = join(ROOT, 'build-cmake', 'Release', 'stochastic_smoothing_cuda_emulated.node');
  if (!existsSync(emulated)) {
    t.log('stochastic_smoothing_cuda_emulated.node not built (no CUDA toolkit): nothing to run');
    t.pass();
    return;
  }
  const out = join(ROOT, 'results', 'emulated-quick');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-gpu.mjs'), '--quick', '--emulated', '--out', out], {
    encoding: 'utf8',
    timeout: 280_000,
    env: { ...process.env, REQUIRE_CUDA: '' },
  });
  for (const line of (r.stdout ?? '').split('\n').filter((l) => /^(PASS|FAIL|KILLED)|checks passed|^\(phase/.test(l))) t.log(line);
  t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  t.regex(r.stdout, /QUICK mode/);
  t.regex(r.stdout, /EMULATED DEVICE/);
  t.regex(r.stdout, /QUICK mode: 1[0-9] checks passed, 0 failed/);
  t.regex(r.stdout, /PASS {2}quick: cuda = cpu for shortestPath\(12, 12\)/);
  t.regex(r.stdout, /\| ranks\(100\), B = 256, S = 65536, forward \+ vjp \|/);
  // The log file holds every phase's lines (written as they were printed, by the phases themselves).
  const logLine = /log: (\S+\.log)/.exec(r.stdout);
  t.truthy(logLine);
  const log = readFileSync(logLine![1], 'utf8');
  t.regex(log, /## machine/);
  t.regex(log, /## benchmarks/);
  t.regex(log, /QUICK mode: \d+ checks passed/);
});

// ---------------------------------------------------------------------------------------------- device tests

const deviceTest = nativeTest('cuda');
// Serial: some checks inject faults through the process environment and measure memory in use.
const serial = deviceTest === test ? test.serial : deviceTest;
const ctx = makeContext();
for (const c of checks) {
  serial(`cuda: ${c.name}`, async (t) => {
    const note = await c.run({ ...ctx, log: (m) => t.log(m) });
    if (note) t.log(note);
    t.pass();
  });
}
