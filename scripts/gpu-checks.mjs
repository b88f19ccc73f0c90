/**
 * The GPU checks of the cuda backend, in plain ESM so that they run where there is no npm and no TypeScript:
 * `scripts/check-gpu.mjs` (npm run check:gpu, the GPU machine) and `test/cuda.test.ts` (ava) both use them.
 * Imports: the compiled library (../dist: index.js, plus samplers.js and random/sobol.js for hand-built addon
 * plans; sobol.js reads node_modules/sobol/dims21201.txt) and node builtins. Nothing else.
 *
 *   checks      correctness: cuda against cpu (uniforms bit for bit, cuRAND vs the core on the device, every
 *               distribution × sampler × covariate × black box, scale kinds, user boxes, large sizes, S = 10⁶),
 *               abort, ERR_CUDA paths, device memory freed, the sticky-fault fallback (in a child process)
 *   benchmarks  the workloads (ranks(100) and shortestPath(12, 12) at B = 256, S = 65536, forward + vjp;
 *               permutation(5), B = 100, S = 256) and the cpu workloads of bench/workloads.ts
 *
 * Every check is `{ name, run(ctx) }`; run throws (node:assert) on failure and may return a note.
 *
 * Emulated device (STOCHASTIC_SMOOTHING_CUDA_ADDON=build-cmake/Release/stochastic_smoothing_cuda_emulated.node, or
 * check-gpu.mjs --emulated): the whole cuda backend with the kernels' tile code run on the host
 * (cuda/test/emulated_device.cc); exercises everything but the device itself. Nothing runs on a GPU.
 *
 * Dry run (STOCHASTIC_SMOOTHING_GPU_DRY_RUN=1, or check-gpu.mjs --dry-run): the "cuda" side is the cpu backend
 * and a JS stand-in for the addon's device functions, so that the checks' own plumbing can be exercised on a
 * machine without a GPU. A dry run compares cpu with cpu: it proves nothing about the kernels.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { blackboxes, backends, smooth, SmoothingError } from '../dist/index.js';
import { sobolDirections } from '../dist/random/sobol.js';
import { SAMPLER_NAMES } from '../dist/samplers.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

export const DISTRIBUTIONS = ['gaussian', 'logistic', 'gumbel', 'cauchy', 'laplace', 'triangular'];
export const COVARIATES = ['none', 'fx', 'loo'];
export const FAULT_ENV = 'STOCHASTIC_SMOOTHING_CUDA_FAULT';
export const DRY_RUN = process.env.STOCHASTIC_SMOOTHING_GPU_DRY_RUN === '1';
/** The backend under test: 'cuda', or 'cpu' in a dry run. */
export const TARGET = DRY_RUN ? 'cpu' : 'cuda';

/** Load a native addon from build-cmake/Release or build/Release: { addon, path } or { reason }. */
export function loadNative(file) {
  const errors = [];
  for (const dir of ['build-cmake/Release', 'build/Release']) {
    const path = join(ROOT, dir, file);
    if (!existsSync(path)) continue;
    try {
      return { addon: require(path), path };
    } catch (err) {
      errors.push(`${path}: ${err.message}`);
    }
  }
  return { reason: errors.length ? errors.join('; ') : `no ${file} in build-cmake/Release or build/Release` };
}

/** The entry of backends() under test (cuda; cpu in a dry run). */
export function cudaInfo() {
  return backends().find((b) => b.name === TARGET);
}

/** Dry run: the cpu addon dressed as the cuda one (device functions faked in JS). */
function dryAddon(cpu) {
  const fault = (kind) => {
    const err = new Error(kind === 'oom' ? 'dry run: out of memory (cudaErrorMemoryAllocation)' : 'dry run: invalid configuration argument (cudaErrorInvalidConfiguration)');
    Object.assign(err, { code: 'ERR_CUDA', sticky: false });
    throw err;
  };
  return Object.assign(Object.create(cpu), {
    deviceInfo: () => ({ available: true, name: 'dry run (cpu backend)', totalMemory: 0, computeCapability: '0.0', curand: false, architectures: 'none' }),
    curandCheck: (plan, seed, b, start, count) => ({ curand: false, compared: 0, mismatches: 0, first: -1 }),
    bytesInUse: () => 0,
    testFault: fault,
  });
}

/** Context for the checks: the two addons (loaded once). */
export function makeContext(log = () => {}) {
  const override = process.env.STOCHASTIC_SMOOTHING_CUDA_ADDON;  // the emulated addon (check-gpu.mjs --emulated)
  const cuda = override ? { addon: require(resolve(override)), path: resolve(override) } : loadNative('stochastic_smoothing_cuda.node');
  const cpu = loadNative('stochastic_smoothing_cpu.node');
  if (DRY_RUN) return { log, cuda: cpu.addon && dryAddon(cpu.addon), cudaPath: `${cpu.path} (dry run)`, cpu: cpu.addon };
  return { log, cuda: cuda.addon, cudaPath: cuda.path, cpu: cpu.addon };
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** The addon plan of a user box with raw uniforms only (as test/native-parity.test.ts builds it). */
function uniformPlan(sampler, S, dims, antithetic, k) {
  return {
    n: dims,
    m: 1,
    builtin: false,
    dist: 0,
    covariate: 0,
    sampler: { kind: SAMPLER_NAMES.indexOf(sampler), samples: S, antithetic, cartesianK: k, sobolV: sampler.includes('sobol') ? sobolDirections(dims) : undefined },
    scale: { kind: 0, sigma: new Float64Array(dims).fill(1) },
  };
}

/** Sampler configurations of the uniform checks (as test/native-parity.test.ts). */
function samplerCases() {
  const cases = [];
  for (const sampler of SAMPLER_NAMES) {
    for (const [S, dims] of [[64, 3], [1000, 3], [256, 2], [81, 4], [30, 7], [17, 5], [4096, 33]]) {
      for (const antithetic of [false, true]) {
        let k = 0;
        if (sampler === 'rqmc-cartesian') {
          k = Math.round(S ** (1 / dims));
          if (k ** dims !== S || (antithetic && k % 2 === 1)) continue;
        }
        if (antithetic && S % 2 === 1) continue;
        cases.push({ sampler, S, dims, antithetic, k });
      }
    }
  }
  return cases;
}

/** max |a − b| / (1 + |b|); fails when above tol or when shapes differ. */
export function assertClose(a, b, label, tol = 2e-5) {
  assert.equal(a.length, b.length, `${label}: length ${a.length} vs ${b.length}`);
  let worst = 0;
  let at = -1;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k] - b[k]) / (1 + Math.abs(b[k]));
    if (!(d <= worst)) {
      worst = Number.isNaN(d) ? Infinity : d;
      at = k;
    }
  }
  assert.ok(worst <= tol, `${label}: max relative difference ${worst} at ${at} (cuda ${a[at]}, cpu ${b[at]})`);
  return worst;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** cuda and cpu results of the same smoother options: value, stderr and the requested backward passes. */
async function both(make, options, x, backward) {
  const out = {};
  for (const [key, backend] of [['cuda', TARGET], ['cpu', 'cpu']]) {
    const s = await smooth(make(), { ...options, backend }).forward(x);
    assert.equal(s.backend, backend);
    out[key] = { value: s.value, stderr: s.stderr, ...(await backward(s)) };
  }
  return out;
}

function compareAll(r, label, tolValue = 2e-5, tolGrad = 1e-4) {
  let worst = 0;
  for (const key of Object.keys(r.cpu)) {
    const tol = key === 'value' ? tolValue : tolGrad;
    worst = Math.max(worst, assertClose(r.cuda[key], r.cpu[key], `${label} ${key}`, tol));
  }
  return worst;
}

const SMALL_BOXES = [
  ['permutation(4)', () => blackboxes.permutation(4), 4],
  ['ranks(5)', () => blackboxes.ranks(5), 5],
  ['argmax(3)', () => blackboxes.argmax(3), 3],
  ['topk(5, 2)', () => blackboxes.topk(5, 2), 5],
  ['shortestPath(3, 3)', () => blackboxes.shortestPath(3, 3), 9],
];

function inputsFor(name, B, n) {
  return new Float32Array(B * n).map((_, k) => Math.sin(1.3 * k) + (name.startsWith('shortest') ? 1.2 : 0));
}

// ---------------------------------------------------------------------------------------------------------
// Checks

export const checks = [];
const check = (name, run) => checks.push({ name, run });

check('deviceInfo reports the device, driver, runtime and noise source', async (ctx) => {
  if (DRY_RUN) return 'dry run: skipped';
  const d = ctx.cuda.deviceInfo();
  assert.equal(d.available, true, `deviceInfo: ${d.reason}`);
  assert.ok(d.name && d.totalMemory > 0 && d.computeCapability, JSON.stringify(d));
  const info = cudaInfo();
  assert.equal(info.available, true, info.reason);
  assert.ok(info.device.includes(d.name), info.device);
  return `${info.device}; built for ${d.architectures}`;
});

check('uniforms are bit-identical to the cpu backend for every sampler, antithetic or not', async (ctx) => {
  let compared = 0;
  for (const { sampler, S, dims, antithetic, k } of samplerCases()) {
    for (const seed of [0, 7, 2 ** 40 + 3]) {
      for (const b of [0, 5]) {
        const plan = uniformPlan(sampler, S, dims, antithetic, k);
        const g = ctx.cuda.uniforms(plan, seed, b, 0, S);
        const c = ctx.cpu.uniforms(plan, seed, b, 0, S);
        for (let i = 0; i < c.length; i++) {
          if (!Object.is(g[i], c[i])) assert.fail(`${sampler} S=${S} dims=${dims} antithetic=${antithetic} seed=${seed} b=${b}: u[${i}] cuda ${g[i]} vs cpu ${c[i]}`);
        }
        compared += c.length;
      }
    }
  }
  // Far into the sequence: large sample indices (cuRAND offsets past 2^64 go through skipahead).
  for (const start of [2 ** 29 - 3, 2 ** 30 + 5, 2 ** 31 + 1]) {
    const plan = uniformPlan('mc', 2 ** 32 - 2, 6, false, 0);
    const g = ctx.cuda.uniforms(plan, 99, 3, start, 64);
    const c = ctx.cpu.uniforms(plan, 99, 3, start, 64);
    for (let i = 0; i < c.length; i++) assert.ok(Object.is(g[i], c[i]), `mc start=${start}: u[${i}] cuda ${g[i]} vs cpu ${c[i]}`);
    compared += c.length;
  }
  assert.ok(compared > 100000);
  return `${compared} uniforms compared`;
});

check('cuRAND draws (Philox4_32_10, Sobol32 from our Joe-Kuo vectors) equal the core generators on the device', async (ctx) => {
  const d = ctx.cuda.deviceInfo();
  if (DRY_RUN) return 'dry run: skipped';
  if (!d.curand) return 'built without cuRAND headers: the kernels use the core generators (nothing to compare)';
  let compared = 0;
  for (const sampler of ['mc', 'sobol', 'rqmc-sobol']) {
    for (const [dims, antithetic] of [[1, false], [7, false], [33, true], [300, false]]) {
      for (const seed of [0, 12345, 2 ** 52 + 1]) {
        for (const [b, start, count] of [[0, 0, 4096], [77, 100000, 1024], [3, 2 ** 29 - 8, 64], [5, 2 ** 31 - 40, 32]]) {
          const plan = uniformPlan(sampler, 2 ** 32 - 2, dims, antithetic, 0);
          const r = ctx.cuda.curandCheck(plan, seed, b, start, count);
          assert.equal(r.mismatches, 0, `${sampler} dims=${dims} seed=${seed} b=${b} start=${start}: ${r.mismatches} mismatches, first at ${r.first}`);
          compared += r.compared;
        }
      }
    }
  }
  return `${compared} cuRAND uniforms bit-identical to the core`;
});

for (const [boxName, make, n] of SMALL_BOXES) {
  check(`cuda = cpu for ${boxName}: every distribution × sampler × covariate (value, stderr, vjp, jacobian)`, async () => {
    const B = 2;
    const x = inputsFor(boxName, B, n);
    let combos = 0;
    let worst = 0;
    for (const distribution of DISTRIBUTIONS) {
      for (const sampler of SAMPLER_NAMES) {
        for (const covariate of COVARIATES) {
          const samples = sampler === 'rqmc-cartesian' ? 2 ** n : 48;
          const options = { distribution, scale: 0.7, samples, sampler, covariate, seed: 3 };
          const v = new Float32Array(B * make().outputSize).map((_, k) => Math.cos(k));
          const r = await both(make, options, x, async (s) => ({ vjp: await s.vjp(v), jacobian: await s.jacobian() }));
          worst = Math.max(worst, compareAll(r, `${boxName} ${distribution} ${sampler} ${covariate}`, 2e-5, 1e-4));
          combos++;
        }
      }
    }
    return `${combos} combinations, largest relative difference ${worst.toExponential(2)}`;
  });
}

check('cuda = cpu for every scale kind, jvp and scale gradient, with antithetic pairs', async () => {
  const x = new Float32Array([0.2, -0.1, 0.4, 1, 0.5, 0.7]);
  let worst = 0;
  for (const scale of [0.6, new Float32Array([0.3, 0.8, 1.1]), { matrix: new Float32Array([0.9, 0, 0, 0.2, 0.7, 0, -0.1, 0.3, 0.5]) }]) {
    for (const covariate of COVARIATES) {
      for (const sampler of ['rqmc-latin', 'mc', 'rqmc-sobol']) {
        const options = { distribution: 'laplace', scale, samples: 200, sampler, antithetic: true, covariate, seed: 12 };
        const v = new Float32Array(18).map((_, k) => (k % 4) - 1.5);
        const tv = new Float32Array(6).map((_, k) => k - 2);
        const r = await both(() => blackboxes.permutation(3), options, x, async (s) => ({ jvp: await s.jvp(tv), scaleGradient: await s.scaleGradient(v), vjp: await s.vjp(v) }));
        worst = Math.max(worst, compareAll(r, `permutation(3) ${sampler} ${covariate} scale ${scale.constructor.name}`));
      }
    }
  }
  return `largest relative difference ${worst.toExponential(2)}`;
});

check('cuda = cpu for the standard errors of every backward pass ({ stderr: true }), every box and scale kind', async () => {
  let worst = 0;
  for (const [name, make, n] of SMALL_BOXES) {
    const x = inputsFor(name, 2, n);
    for (const [scaleName, scale] of [['scalar', 0.6], ['diagonal', new Float32Array(n).map((_, j) => 0.3 + 0.1 * j)], ['matrix', { matrix: new Float32Array(n * n).map((_, k) => (k % (n + 1) === 0 ? 0.8 : 0)) }]]) {
      for (const covariate of COVARIATES) {
        const options = { distribution: 'logistic', scale, samples: 256, sampler: 'rqmc-latin', covariate, seed: 5 };
        const r = await both(make, options, x, async (s) => {
          const m = s.value.length / 2;
          const v = new Float32Array(2 * m).map((_, k) => Math.cos(k));
          const tv = new Float32Array(2 * n).map((_, k) => (k % 3) - 1);
          const [a, b, c, d] = [await s.vjp(v, { stderr: true }), await s.jacobian({ stderr: true }), await s.jvp(tv, { stderr: true }), await s.scaleGradient(v, { stderr: true })];
          return { vjp: a.gradient, vjpStderr: a.stderr, jacobianStderr: b.stderr, jvpStderr: c.stderr, scaleGradientStderr: d.stderr };
        });
        worst = Math.max(worst, compareAll(r, `${name} ${scaleName} ${covariate}`));
      }
    }
  }
  return `largest relative difference ${worst.toExponential(2)}`;
});

check('user black boxes on cuda (device noise, JS evaluation, device sums) equal cpu, fx included', async () => {
  const user = () => ({
    name: 'soft',
    inputSize: 2,
    outputSize: 2,
    evaluate(inputs, count, outputs) {
      for (let i = 0; i < count; i++) {
        outputs[2 * i] = Math.tanh(inputs[2 * i] - inputs[2 * i + 1]);
        outputs[2 * i + 1] = inputs[2 * i] > 0 ? 1 : 0;
      }
    },
  });
  const x = new Float32Array([0.3, 0.1, -0.2, 0.4]);
  let worst = 0;
  for (const covariate of COVARIATES) {
    for (const scale of [0.5, { matrix: new Float32Array([0.5, 0, 0.1, 0.4]) }]) {
      const options = { distribution: 'gaussian', scale, samples: 3000, sampler: 'rqmc-sobol', covariate, seed: 1, chunkSize: 700 };
      const w = new Float32Array([1, 1, 0, 1]);
      const r = await both(user, options, x, async (s) => ({ jacobian: await s.jacobian(), scaleGradient: await s.scaleGradient(w), vjp: await s.vjp(w), jvp: await s.jvp(w) }));
      worst = Math.max(worst, compareAll(r, `user box ${covariate}`));
    }
  }
  return `largest relative difference ${worst.toExponential(2)}`;
});

check('cuda = cpu at kernel sizes: bitonic sorts up to n = 1024 and beyond (opt-in and global workspaces), warp argmax, 12×12 and 32×32 paths', async () => {
  const cases = [
    ['ranks(100)', () => blackboxes.ranks(100), 1024, 'logistic', 'rqmc-latin'],
    ['permutation(20)', () => blackboxes.permutation(20), 512, 'gaussian', 'mc'],
    ['topk(200, 10)', () => blackboxes.topk(200, 10), 512, 'gumbel', 'rqmc-sobol'],
    ['argmax(1000)', () => blackboxes.argmax(1000), 256, 'gumbel', 'mc'],
    ['ranks(1024)', () => blackboxes.ranks(1024), 128, 'cauchy', 'rqmc-latin'],
    ['ranks(3000)', () => blackboxes.ranks(3000), 64, 'laplace', 'mc'],
    ['topk(20000, 100)', () => blackboxes.topk(20000, 100), 32, 'logistic', 'mc'],
    ['shortestPath(12, 12)', () => blackboxes.shortestPath(12, 12), 1024, 'logistic', 'rqmc-latin'],
    ['shortestPath(32, 32)', () => blackboxes.shortestPath(32, 32), 128, 'gaussian', 'qmc-latin'],
    ['shortestPath(5, 60)', () => blackboxes.shortestPath(5, 60), 64, 'triangular', 'sobol'],
  ];
  const notes = [];
  for (const [name, make, samples, distribution, sampler] of cases) {
    const box = make();
    const B = 3;
    const x = inputsFor(name, B, box.inputSize);
    const v = new Float32Array(B * box.outputSize).map((_, k) => Math.cos(0.7 * k));
    const options = { distribution, scale: 0.5, samples, sampler, covariate: 'loo', seed: 21 };
    const r = await both(make, options, x, async (s) => ({ vjp: await s.vjp(v) }));
    notes.push(`${name} ${compareAll(r, name, 2e-5, 1e-4).toExponential(1)}`);
  }
  return notes.join(', ');
});

check('S = 10⁶ samples of one input stream through the device (ranks(100), Cauchy): cuda = cpu', async () => {
  const x = new Float32Array(100).map((_, i) => Math.sin(i));
  const v = new Float32Array(100).map((_, i) => Math.cos(i));
  const options = { distribution: 'cauchy', scale: 0.5, samples: 1_000_000, sampler: 'mc', covariate: 'loo', seed: 5 };
  const t0 = performance.now();
  const r = await both(() => blackboxes.ranks(100), options, x, async (s) => ({ vjp: await s.vjp(v) }));
  compareAll(r, 'ranks(100) S=1e6', 1e-5, 1e-4);
  return `both backends in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
});

check('results are deterministic: the same call twice gives identical bits', async () => {
  const s = smooth(blackboxes.ranks(40), { distribution: 'logistic', scale: 0.5, samples: 20000, sampler: 'rqmc-latin', covariate: 'loo', backend: TARGET });
  const x = new Float32Array(4 * 40).map((_, k) => Math.sin(k));
  const v = new Float32Array(4 * 40).map((_, k) => Math.cos(k));
  const a = await s.forward(x);
  const b = await s.forward(x);
  assert.deepEqual(b.value, a.value);
  assert.deepEqual(b.stderr, a.stderr);
  assert.deepEqual(await b.vjp(v), await a.vjp(v));
});

check('the synchronous path (runSync, what the tfjs ops use) gives the asynchronous bits: built-in and user boxes', async (ctx) => {
  const user = { name: 'u', inputSize: 4, outputSize: 2, evaluate(z, count, o) { for (let r = 0; r < count; r++) { o[2 * r] = Math.tanh(z[4 * r] - z[4 * r + 3]); o[2 * r + 1] = z[4 * r + 1] > z[4 * r + 2] ? 1 : 0; } } };
  for (const f of [blackboxes.permutation(5), blackboxes.shortestPath(12, 12), user]) {
    const s = smooth(f, { distribution: 'laplace', scale: 0.7, samples: 4096, sampler: 'mc', covariate: 'loo', backend: TARGET });
    const x = new Float32Array(3 * f.inputSize).map((_, k) => Math.sin(k));
    const v = new Float32Array(3 * f.outputSize).map((_, k) => Math.cos(k));
    const a = await s.forward(x, { seed: 5 });
    const b = s.forwardSync(x, { seed: 5 });
    assert.deepEqual(b.value, a.value, f.name);
    assert.deepEqual(b.stderr, a.stderr, f.name);
    assert.deepEqual(b.vjpSync(v), await a.vjp(v), f.name);
  }
  // User-box streams free their device buffers when they finish, and when the box throws half-way (no GC needed).
  let calls = 0;
  const failing = { ...user, name: 'fails', evaluate(z, count, o) { if (++calls === 3) throw new Error('boom'); user.evaluate(z, count, o); } };
  const s = smooth(failing, { distribution: 'laplace', scale: 0.7, samples: 4096, sampler: 'mc', covariate: 'none', backend: TARGET, chunkSize: 512 });
  assert.throws(() => s.forwardSync(new Float32Array(8)), (err) => err.code === 'ERR_BLACKBOX');
  if (!DRY_RUN) assert.equal(ctx.cuda.bytesInUse(), 0, 'device memory held after user-box streams ended');
});

check('concurrent cuda calls equal sequential ones; onProgress ends at B·S', async () => {
  const small = smooth(blackboxes.permutation(4), { distribution: 'logistic', scale: 0.5, samples: 3000, sampler: 'rqmc-latin', covariate: 'loo', backend: TARGET });
  const xs = [0, 1, 2, 3].map((k) => new Float32Array([k * 0.1, 0.3, -0.2, 0.05 * k]));
  const sequential = [];
  for (const x of xs) sequential.push((await small.forward(x)).value);
  const concurrent = await Promise.all(xs.map((x) => small.forward(x).then((r) => r.value)));
  assert.deepEqual(concurrent, sequential);
  const seen = [];
  await smooth(blackboxes.argmax(5), { distribution: 'gaussian', scale: 1, samples: 500_000, sampler: 'mc', covariate: 'none', backend: TARGET })
    .forward(new Float32Array(10), { onProgress: (p) => seen.push(p.done) });
  assert.ok(seen.length >= 1);
  assert.equal(seen.at(-1), 1_000_000);
  assert.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1]));
});

check('abort stops a cuda call with ERR_ABORTED promptly and frees its device memory', async (ctx) => {
  const s = smooth(blackboxes.ranks(100), { distribution: 'cauchy', scale: 1, samples: 4_000_000, sampler: 'mc', covariate: 'loo', backend: TARGET });
  const x = new Float32Array(64 * 100).map((_, i) => i % 100);
  const controller = new AbortController();
  const started = performance.now();
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(s.forward(x, { signal: controller.signal }), (err) => err instanceof SmoothingError && err.code === 'ERR_ABORTED');
  const ms = performance.now() - started;
  assert.ok(ms < 5000, `stopped after ${ms} ms`);
  await sleep(20);
  assert.equal(ctx.cuda.bytesInUse(), 0, 'device memory still held after abort');
  await assert.rejects(s.forward(x, { signal: AbortSignal.abort() }), (err) => err.code === 'ERR_ABORTED');
  const after = await smooth(blackboxes.ranks(100), { distribution: 'cauchy', scale: 1, samples: 1000, sampler: 'mc', covariate: 'loo', backend: TARGET }).forward(x.subarray(0, 100));
  assert.equal(after.backend, TARGET);
  return `aborted after ${ms.toFixed(0)} ms`;
});

check('out-of-memory and launch failures reject with ERR_CUDA carrying CUDA\'s message; the backend stays usable', async (ctx) => {
  assert.throws(() => ctx.cuda.testFault('oom'), (err) => err.code === 'ERR_CUDA' && /out of memory/i.test(err.message) && err.sticky === false);
  assert.throws(() => ctx.cuda.testFault('launch'), (err) => err.code === 'ERR_CUDA' && /configuration/i.test(err.message) && err.sticky === false);
  const s = smooth(blackboxes.ranks(8), { distribution: 'gaussian', scale: 1, samples: 4096, sampler: 'mc', covariate: 'loo', backend: TARGET });
  const x = new Float32Array(8).map((_, i) => i);
  for (const fault of DRY_RUN ? [] : ['oom', 'launch']) {
    process.env[FAULT_ENV] = fault;
    try {
      await assert.rejects(s.forward(x), (err) => err instanceof SmoothingError && err.code === 'ERR_CUDA' && err.message.includes('cuda'));
    } finally {
      delete process.env[FAULT_ENV];
    }
  }
  const ok = await s.forward(x);
  assert.equal(ok.backend, TARGET);
  assert.equal(ctx.cuda.bytesInUse(), 0);
  assert.equal(cudaInfo().available, true);
  if (DRY_RUN) return 'dry run: the injected faults were faked';
  // A job too large for the device (a 4·10⁶ × 2000 Jacobian) is a clean error, not a crash: ERR_CUDA out of
  // memory, or (since the README "Limits") ERR_INVALID_ARGUMENT from the JS layer before the device is asked.
  const huge = smooth(blackboxes.permutation(2000), { distribution: 'gaussian', scale: 1, samples: 64, sampler: 'mc', covariate: 'none', backend: TARGET });
  const big = await huge.forward(new Float32Array(2000).map((_, i) => i));
  await assert.rejects(big.jacobian(), (err) => err instanceof SmoothingError && ((err.code === 'ERR_CUDA' && /out of memory/i.test(err.message)) || (err.code === 'ERR_INVALID_ARGUMENT' && /limit/.test(err.message))));
  assert.equal(ctx.cuda.bytesInUse(), 0);
});

check('a sticky CUDA fault disables cuda: that call rejects with ERR_CUDA, later calls run on cpu after one warning', async () => {
  if (DRY_RUN) return 'dry run: skipped (needs a device to poison)';
  const script = `
    const { smooth, blackboxes, backends } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)});
    const warnings = [];
    console.warn = (...a) => warnings.push(a.join(' '));
    const s = smooth(blackboxes.ranks(6), { distribution: 'gaussian', scale: 1, samples: 512, sampler: 'mc', covariate: 'loo', backend: 'auto' });
    const x = new Float32Array([1, 2, 3, 4, 5, 6]);
    const before = s.backendName;
    let first;
    process.env.${FAULT_ENV} = 'sticky';
    try { await s.forward(x); first = 'resolved'; } catch (e) { first = e.code; }
    delete process.env.${FAULT_ENV};
    const second = await s.forward(x);
    const third = await smooth(blackboxes.ranks(6), { distribution: 'gaussian', scale: 1, samples: 512, sampler: 'mc', covariate: 'loo' }).forward(x);
    const cuda = backends().find((b) => b.name === 'cuda');
    console.log(JSON.stringify({ before, first, second: second.backend, third: third.backend, warnings: warnings.length, cuda }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, [FAULT_ENV]: '' } });
  const line = (r.stdout || '').trim().split('\n').at(-1) || '';
  let out;
  try {
    out = JSON.parse(line);
  } catch {
    assert.fail(`child process: status ${r.status}, stdout ${r.stdout}, stderr ${r.stderr}`);
  }
  assert.equal(out.before, 'cuda');
  assert.equal(out.first, 'ERR_CUDA');
  assert.equal(out.second, 'cpu');
  assert.equal(out.third, 'cpu');
  assert.equal(out.warnings, 1);
  assert.equal(out.cuda.available, false);
  assert.match(out.cuda.reason, /unrecoverable/);
  return out.cuda.reason;
});

/**
 * The output cache of built-in boxes on the device (cuda/tile/cache.h): the forward must keep it (a missing cache
 * fails, it never skips), fill it as cpu does byte for byte, and the backward passes reading it must give the
 * bits of the same passes with outputCache: 0, and equal cpu. Small sizes: ranks(100) (uint8) and a 0/1 box.
 */
const cacheCheck = {
  name: 'the output cache on cuda: the forward fills cpu\'s cache byte for byte; cached backward passes = uncached bit for bit, = cpu',
  run: async () => {
    const notes = [];
    for (const [boxName, make, n] of [['ranks(100)', () => blackboxes.ranks(100), 100], ['topk(9, 3)', () => blackboxes.topk(9, 3), 9], ['shortestPath(4, 4)', () => blackboxes.shortestPath(4, 4), 16]]) {
      const B = 3;
      const x = inputsFor(boxName, B, n);
      const m = make().outputSize;
      const v = new Float32Array(B * m).map((_, k) => Math.cos(k));
      // S = 1100: two work items per input, S·m not a multiple of 8 (bit segments end inside a byte).
      const options = { distribution: 'logistic', scale: 0.7, samples: 1100, sampler: 'rqmc-latin', covariate: 'loo', seed: 9 };
      const passes = async (s) => [await s.vjp(v), await s.jacobian(), await s.scaleGradient(v)];
      const on = await smooth(make(), { ...options, backend: TARGET }).forward(x);
      const off = await smooth(make(), { ...options, backend: TARGET, outputCache: 0 }).forward(x);
      const cpu = await smooth(make(), { ...options, backend: 'cpu' }).forward(x);
      const [cacheOn, cacheCpu] = [on, cpu].map((s) => s.rounds?.[0]?.state?.cache);
      assert.ok(cacheOn && cacheCpu, `${boxName}: no output cache kept (cuda ${!!cacheOn}, cpu ${!!cacheCpu})`);
      assert.ok(Buffer.from(cacheOn.buffer).equals(Buffer.from(cacheCpu.buffer)), `${boxName}: the cuda and cpu caches differ`);
      const [a, b, c] = [await passes(on), await passes(off), await passes(cpu)];
      a.forEach((g, k) => {
        for (let i = 0; i < g.length; i++) if (!Object.is(g[i], b[k][i])) assert.fail(`${boxName} pass ${k}[${i}]: cached ${g[i]} vs uncached ${b[k][i]}`);
      });
      let worst = 0;
      a.forEach((g, k) => { worst = Math.max(worst, assertClose(g, c[k], `${boxName} pass ${k} (cached) vs cpu`, 1e-4)); });
      notes.push(`${boxName} ${cacheOn.buffer.byteLength} B, vs cpu ${worst.toExponential(1)}`);
    }
    return notes.join('; ');
  },
};
checks.push(cacheCheck);

// ---------------------------------------------------------------------------------------------------------
// Quick checks (check-gpu.mjs --quick): a first run with little device time. One parity check per box, each
// comparing every op (forward value and stderr, vjp, jacobian, jvp, scale gradient) with cpu, plus the cuRAND
// check on a few cases. The full list above stays the real check.

export const quickChecks = [];
for (const [boxName, make, n] of [...SMALL_BOXES, ['ranks(100)', () => blackboxes.ranks(100), 100], ['shortestPath(12, 12)', () => blackboxes.shortestPath(12, 12), 144]]) {
  quickChecks.push({
    name: `quick: cuda = cpu for ${boxName}, every op (value, stderr, vjp, jacobian, jvp, scaleGradient)`,
    run: async () => {
      const B = 2;
      const x = inputsFor(boxName, B, n);
      const m = make().outputSize;
      const v = new Float32Array(B * m).map((_, k) => Math.cos(k));
      const t = new Float32Array(B * n).map((_, k) => Math.sin(0.3 * k));
      const options = { distribution: 'logistic', scale: 0.7, samples: 512, sampler: 'rqmc-latin', covariate: 'loo', seed: 4 };
      const r = await both(make, options, x, async (s) => ({ vjp: await s.vjp(v), jacobian: await s.jacobian(), jvp: await s.jvp(t), scaleGradient: await s.scaleGradient(v) }));
      return `largest relative difference ${compareAll(r, boxName).toExponential(2)}`;
    },
  });
}
quickChecks.push({
  name: 'quick: a user black box on cuda (device noise and sums) equals cpu, every op',
  run: async () => {
    const user = () => ({ name: 'u', inputSize: 3, outputSize: 2, evaluate(z, count, o) { for (let r = 0; r < count; r++) { o[2 * r] = z[3 * r] + z[3 * r + 1]; o[2 * r + 1] = z[3 * r + 2] > 0 ? 1 : 0; } } });
    const x = new Float32Array([0.1, 0.2, 0.3, -0.4, 0.5, 0.1]);
    const v = new Float32Array([1, -1, 0.5, 2]);
    const t = new Float32Array([1, 0, -1, 0.5, 0.5, 0.5]);
    const options = { distribution: 'gaussian', scale: 0.5, samples: 2000, sampler: 'rqmc-sobol', covariate: 'fx', seed: 6, chunkSize: 700 };
    const r = await both(user, options, x, async (s) => ({ vjp: await s.vjp(v), jacobian: await s.jacobian(), jvp: await s.jvp(t), scaleGradient: await s.scaleGradient(v) }));
    return `largest relative difference ${compareAll(r, 'user box').toExponential(2)}`;
  },
});

quickChecks.push({ ...cacheCheck, name: `quick: ${cacheCheck.name}` });

/** The cuRAND check on a few cases (quick mode); the full check is the one in `checks`. */
export async function curandQuick(ctx) {
  const d = ctx.cuda.deviceInfo();
  if (DRY_RUN) return 'dry run: skipped';
  if (!d.curand) return 'built without cuRAND headers: the kernels use the core generators (nothing to compare)';
  let compared = 0;
  for (const sampler of ['mc', 'sobol', 'rqmc-sobol']) {
    for (const [dims, antithetic, b, start, count] of [[7, false, 0, 0, 4096], [33, true, 3, 2 ** 29 - 8, 64], [5, false, 5, 2 ** 31 - 40, 32]]) {
      const r = ctx.cuda.curandCheck(uniformPlan(sampler, 2 ** 32 - 2, dims, antithetic, 0), 12345, b, start, count);
      assert.equal(r.mismatches, 0, `${sampler} dims=${dims} b=${b} start=${start}: ${r.mismatches} mismatches, first at ${r.first}`);
      compared += r.compared;
    }
  }
  return `${compared} cuRAND uniforms bit-identical to the core`;
}

// ---------------------------------------------------------------------------------------------------------
// Benchmarks

/** The cpu workloads of bench/workloads.ts (test/cuda.test.ts checks that this copy matches). */
export const BENCH_WORKLOADS = [
  { id: 'a-ranks100', title: '(a) ranks(100), B = 64, S = 4096, forward + vjp', box: ['ranks', 100], batch: 64, samples: 4096, distribution: 'logistic', mode: 'vjp' },
  { id: 'a-perm5', title: '(a) permutation(5), B = 64, S = 4096, forward + vjp', box: ['permutation', 5], batch: 64, samples: 4096, distribution: 'logistic', mode: 'vjp' },
  { id: 'b-path12', title: '(b) shortestPath(12, 12), B = 16, S = 1024, forward + vjp', box: ['shortestPath', 12, 12], batch: 16, samples: 1024, distribution: 'logistic', mode: 'vjp' },
  { id: 'c-perm5-jac', title: '(c) permutation(5) Jacobian, B = 100, S = 256', box: ['permutation', 5], batch: 100, samples: 256, distribution: 'laplace', mode: 'jacobian' },
];

/** The CUDA issue's workloads, with its targets on an H200. */
export const GPU_WORKLOADS = [
  { id: 'g-ranks100', title: 'ranks(100), B = 256, S = 65536, forward + vjp', box: ['ranks', 100], batch: 256, samples: 65536, distribution: 'logistic', mode: 'vjp', targetMs: 40, targetSpeedup: 50 },
  // cpuSamples: the cpu baseline runs at this S and is scaled by samples/cpuSamples (its cost is linear in S: it
  // streams); a full cpu run of this workload takes about a minute even on 16 cores.
  { id: 'g-path12', title: 'shortestPath(12, 12), B = 256, S = 65536, forward + vjp', box: ['shortestPath', 12, 12], batch: 256, samples: 65536, distribution: 'logistic', mode: 'vjp', targetMs: 150, targetSpeedup: 50, cpuSamples: 16384 },
  // The same two workloads on the cached path (cuda/README.md, "The output cache in the model"): the default
  // outputCache (64 MiB) is far below their caches (ranks(100): B·S·m = 1.68 GB as uint8; 12×12 paths: B·⌈S·144/8⌉
  // = 302 MB of bits), so the rows above measure the re-evaluating backward pass and these raise the cap. The cpu
  // baseline runs at S = 4096 (scaled), with the same cap.
  { id: 'g-ranks100-cache', title: 'ranks(100), B = 256, S = 65536, forward + vjp, outputCache 2 GiB', box: ['ranks', 100], batch: 256, samples: 65536, distribution: 'logistic', mode: 'vjp', targetMs: 40, targetSpeedup: 50, cpuSamples: 4096, outputCache: 2 ** 31 },
  { id: 'g-path12-cache', title: 'shortestPath(12, 12), B = 256, S = 65536, forward + vjp, outputCache 512 MiB', box: ['shortestPath', 12, 12], batch: 256, samples: 65536, distribution: 'logistic', mode: 'vjp', targetMs: 150, targetSpeedup: 50, cpuSamples: 4096, outputCache: 2 ** 29 },
  { id: 'g-perm5', title: 'permutation(5), B = 100, S = 256, forward + vjp (an MNIST sorting step)', box: ['permutation', 5], batch: 100, samples: 256, distribution: 'laplace', mode: 'vjp' },
];

/** Deterministic inputs as bench/workloads.ts makes them: scores in (−1, 1), path costs in (0.5, 1.5). */
export function workloadInputs(w, n) {
  const path = w.box[0] === 'shortestPath';
  const x = new Float32Array(w.batch * n);
  for (let k = 0; k < x.length; k++) x[k] = Math.sin(12.9898 * k) * (path ? 0.5 : 1) + (path ? 1 : 0);
  return x;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Median wall time (ms) of forward + backward on one backend: a warm-up run (unless warmup is false), then
 * runs until `budgetMs` (at least minRuns, at most maxRuns). `samples` overrides w.samples (the caller scales).
 */
export async function timeWorkload(w, backend, { minRuns = 3, maxRuns = 20, budgetMs = 3000, warmup = true, samples = w.samples } = {}) {
  const box = blackboxes[w.box[0]](...w.box.slice(1));
  const cap = w.outputCache === undefined ? {} : { outputCache: w.outputCache };
  const s = smooth(box, { distribution: w.distribution, scale: 0.5, samples, sampler: 'rqmc-latin', covariate: 'loo', backend, ...cap });
  const x = workloadInputs(w, box.inputSize);
  const v = new Float32Array(w.batch * box.outputSize).map((_, k) => Math.cos(k));
  const once = async () => {
    const t0 = performance.now();
    const out = await s.forward(x);
    await (w.mode === 'vjp' ? out.vjp(v) : out.jacobian());
    return performance.now() - t0;
  };
  const warm = warmup ? await once() : 0;
  const times = [];
  const start = performance.now();
  while (times.length < maxRuns && (times.length < minRuns || performance.now() - start < budgetMs)) {
    times.push(await once());
    if (warm > budgetMs) break;  // a slow backend: one measured run after the warm-up
  }
  return { median: median(times), runs: times.length, warmup: warm, samples };
}

/**
 * A small run of every kernel (each box × op, a user box, matrix scale, uniforms, the cuRAND check) for
 * compute-sanitizer (memcheck, racecheck, synccheck): sizes are tiny because the tools slow kernels 10–1000×.
 */
export async function smoke(ctx) {
  const boxes = [
    () => blackboxes.permutation(4),
    () => blackboxes.ranks(40),
    () => blackboxes.argmax(50),
    () => blackboxes.topk(30, 3),
    () => blackboxes.shortestPath(6, 5),
  ];
  for (const [i, make] of boxes.entries()) {
    const box = make();
    const B = 2;
    const scale = i === 1 ? { matrix: new Float32Array(40 * 40).map((_, k) => (k % 41 === 0 ? 0.5 : 0)) } : 0.5;
    const s = smooth(box, { distribution: DISTRIBUTIONS[i], scale, samples: 64, sampler: SAMPLER_NAMES[i === 3 ? 5 : i], covariate: COVARIATES[i % 3], seed: 1, backend: TARGET });
    const x = inputsFor(i === 4 ? 'shortest' : '', B, box.inputSize);
    const out = await s.forward(x);
    const v = new Float32Array(B * box.outputSize).map((_, k) => Math.cos(k));
    const t = new Float32Array(B * box.inputSize).map((_, k) => Math.sin(k));
    await out.vjp(v);
    await out.jacobian();
    await out.jvp(t);
    await out.scaleGradient(v);
  }
  const user = { name: 'u', inputSize: 3, outputSize: 2, evaluate(z, count, o) { for (let r = 0; r < count; r++) { o[2 * r] = z[3 * r] + z[3 * r + 1]; o[2 * r + 1] = z[3 * r + 2] > 0 ? 1 : 0; } } };
  const u = await smooth(user, { distribution: 'logistic', scale: 0.5, samples: 100, sampler: 'rqmc-sobol', covariate: 'loo', seed: 2, backend: TARGET, chunkSize: 30 }).forward(new Float32Array([0.1, 0.2, 0.3]));
  await u.vjp(new Float32Array([1, -1]));
  for (const sampler of SAMPLER_NAMES) {
    const k = sampler === 'rqmc-cartesian' ? 4 : 0;
    ctx.cuda.uniforms(uniformPlan(sampler, 64, 3, false, k), 3, 1, 0, 64);
    ctx.cuda.curandCheck(uniformPlan(sampler, 64, 3, false, k), 3, 1, 0, 64);
  }
}
