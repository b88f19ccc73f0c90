/**
 * The N-API layer trusts nothing (issue 12, native side): both addons — cpu and the cuda addon over its emulated
 * device — are called DIRECTLY with plans, jobs and buffers the JS layer would never build (a box spec that
 * disagrees with n and m, missing or ill-typed fields, short or detached buffers, sizes near 2³², thread
 * counts without bound). Each must be a JS Error with code ERR_INVALID_ARGUMENT (or ERR_INTERNAL) naming the
 * entry point and the field, thrown before any work; the process survives and the addon stays usable.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { blackboxes, smooth, SmoothingError } from '../lib/index.js';
import { loadAddon, type NativeAddon, type NativePlan, type NativeJob } from '../lib/backends/native/addon.js';

type Addon = NativeAddon;

const addons: Array<[string, Addon | undefined]> = [];
{
  const cpu = loadAddon<Addon>('stochastic_smoothing_cpu.node');
  if ('addon' in cpu) addons.push(['cpu', cpu.addon]);
  else if (process.env.REQUIRE_NATIVE === '1') addons.push(['cpu', undefined]);
  const emulatedFile = 'stochastic_smoothing_cuda_emulated.node';
  if (existsSync(join(process.cwd(), 'build-cmake', 'Release', emulatedFile))) {
    const cuda = loadAddon<Addon>(emulatedFile);
    addons.push(['emulated cuda', 'addon' in cuda ? cuda.addon : undefined]);
  }
}

/** argmax(3) over mc: a valid plan to break one field at a time. */
function argmaxPlan(samples = 64): NativePlan {
  return {
    n: 3, m: 3, builtin: true, box: { kind: 2, n: 3, k: 0, rows: 0, cols: 0 }, dist: 0, covariate: 0,
    sampler: { kind: 0, samples, antithetic: false, cartesianK: 0 },
    scale: { kind: 0, sigma: new Float64Array([1, 1, 1]) },
  };
}
function userPlan(n: number, sampler = 0, samples = 64): NativePlan {
  return {
    n, m: 1, builtin: false, dist: 0, covariate: 0,
    sampler: { kind: sampler, samples, antithetic: false, cartesianK: 0 },
    scale: { kind: 0, sigma: new Float64Array(Math.min(n, 16)).fill(1) },
  };
}
function job(over: Partial<NativeJob> = {}): NativeJob {
  return { op: 0, batch: 1, seed: 1, x: new Float32Array(3), ...over };
}
/** A deep copy of p with `edit` applied (plans hold typed arrays: structuredClone keeps them). */
function edited(p: NativePlan, edit: (q: any) => void): NativePlan {
  const q = structuredClone(p);
  edit(q);
  return q;
}

/** The error of a native call: code, argument and the entry point + field in the message. */
function isChecked(err: unknown, field: string, code = 'ERR_INVALID_ARGUMENT'): boolean {
  const e = err as { code?: string; message?: string; argument?: string };
  return err instanceof Error && e.code === code && typeof e.message === 'string' && e.message.includes(field) && /^(cpu|cuda) backend (run|runSync|uniforms)|^UserStream/.test(e.message);
}

function checkBoth(t: ExecutionContext, addon: Addon, plan: unknown, jb: unknown, field: string): void {
  const sync = t.throws(() => addon.runSync(plan as NativePlan, jb as NativeJob));
  t.true(isChecked(sync, field), `runSync: ${String(sync?.message)} (code ${(sync as { code?: string })?.code})`);
  const run = t.throws(() => addon.run(plan as NativePlan, jb as NativeJob));
  t.true(isChecked(run, field), `run: ${String(run?.message)}`);
}

for (const [name, addon] of addons) {
  const t0 = addon ? test : test.skip;
  if (!addon) test(`the ${name} addon is required here but did not load`, (t) => t.fail());

  t0(`${name}: a box spec that disagrees with n or m is refused (reproducer 1 and its neighbours)`, (t) => {
    const a = addon!;
    // argmax(64) with outputSize reassigned to 1 → plan.m 1; larger m; smaller n; permutation(4) with m = 4.
    const argmax64 = (n: number, m: number): NativePlan => edited(argmaxPlan(), (q) => {
      q.n = n; q.m = m; q.box.n = 64; q.scale.sigma = new Float64Array(n).fill(1);
    });
    checkBoth(t, a, argmax64(64, 1), job({ x: new Float32Array(64) }), 'plan.m');
    checkBoth(t, a, argmax64(64, 65), job({ x: new Float32Array(64) }), 'plan.m');
    checkBoth(t, a, argmax64(63, 64), job({ x: new Float32Array(63) }), 'plan.n');
    checkBoth(t, a, edited(argmaxPlan(), (q) => { q.box = { kind: 0, n: 3, k: 0, rows: 0, cols: 0 }; }), job(), 'plan.m');
    checkBoth(t, a, edited(argmaxPlan(), (q) => { q.box.kind = 9; }), job(), 'plan.box.kind');
    checkBoth(t, a, edited(argmaxPlan(), (q) => { q.box = { kind: 3, n: 3, k: 4, rows: 0, cols: 0 }; }), job(), 'plan.box');
    checkBoth(t, a, edited(argmaxPlan(), (q) => { q.box = { kind: 4, n: 3, k: 0, rows: 2, cols: 2 }; }), job(), 'plan.box');
    checkBoth(t, a, edited(argmaxPlan(), (q) => { q.n = 46341; q.m = 46341 * 46341; q.box = { kind: 0, n: 46341, k: 0, rows: 0, cols: 0 }; }), job(), 'plan');
    checkBoth(t, a, edited(argmaxPlan(), (q) => { q.builtin = false; }), job(), 'plan.builtin');
    // The same plan, made valid again, runs: nothing was poisoned.
    t.is(a.runSync(argmaxPlan(), job()).value!.length, 3);
  });

  t0(`${name}: missing and ill-typed fields are errors, not crashes`, (t) => {
    const a = addon!;
    const cases: Array<[string, (q: any) => void]> = [
      ['plan.n', (q) => { delete q.n; }],
      ['plan.n', (q) => { q.n = '3'; }],
      ['plan.n', (q) => { q.n = -3; }],
      ['plan.n', (q) => { q.n = 3.5; }],
      ['plan.n', (q) => { q.n = NaN; }],
      ['plan.n', (q) => { q.n = 2 ** 32; }],
      ['plan.builtin', (q) => { q.builtin = 'yes'; }],
      ['plan.box', (q) => { q.box = null; }],
      ['plan.box.kind', (q) => { q.box.kind = {}; }],
      ['plan.dist', (q) => { q.dist = 6; }],
      ['plan.covariate', (q) => { q.covariate = 3; }],
      ['plan.sampler', (q) => { q.sampler = 1; }],
      ['plan.sampler.kind', (q) => { q.sampler.kind = 6; }],
      ['plan.sampler.samples', (q) => { q.sampler.samples = 0; }],
      ['plan.sampler.samples', (q) => { q.sampler.samples = 2 ** 53; }],
      ['plan.sampler.samples', (q) => { q.sampler.antithetic = true; q.sampler.samples = 63; }],
      ['plan.sampler.samples', (q) => { q.covariate = 2; q.sampler.samples = 1; }],
      ['plan.sampler.antithetic', (q) => { q.sampler.antithetic = 1; }],
      ['plan.sampler.cartesianK', (q) => { q.sampler.kind = 3; q.sampler.cartesianK = 3; }],
      ['plan.sampler.sobolV', (q) => { q.sampler.kind = 4; }],
      ['plan.sampler.sobolV', (q) => { q.sampler.kind = 5; q.sampler.sobolV = new Uint32Array(95); }],
      ['plan.sampler.sobolV', (q) => { q.sampler.kind = 4; q.sampler.sobolV = new Int32Array(96); }],
      ['plan.scale', (q) => { delete q.scale; }],
      ['plan.scale.kind', (q) => { q.scale.kind = 3; }],
      ['plan.scale.sigma', (q) => { q.scale.sigma = new Float64Array(2); }],
      ['plan.scale.sigma', (q) => { q.scale.sigma = new Float32Array(3); }],
      ['plan.scale.sigma', (q) => { q.scale.sigma = [1, 1, 1]; }],
      ['plan.scale.matrix', (q) => { q.scale = { kind: 2, matrix: new Float64Array(8) }; }],
    ];
    for (const [field, edit] of cases) checkBoth(t, a, edited(argmaxPlan(), edit), job(), field);
    checkBoth(t, a, undefined, job(), 'plan');
    checkBoth(t, a, argmaxPlan(), null, 'job');
  });

  t0(`${name}: the output cache of a job is checked: an ArrayBuffer of exactly B·⌈S·m/8⌉ (bits) or B·S·m·width bytes`, (t) => {
    const a = addon!;
    const p = argmaxPlan(64); // argmax(3): bits, ⌈64·3/8⌉ = 24 bytes per input
    checkBoth(t, a, p, job({ cache: new ArrayBuffer(23), cacheFill: true }), 'job.cache');
    checkBoth(t, a, p, job({ cache: new ArrayBuffer(25), cacheFill: true }), 'job.cache');
    checkBoth(t, a, p, job({ batch: 2, x: new Float32Array(6), cache: new ArrayBuffer(24), cacheFill: true }), 'job.cache');
    checkBoth(t, a, p, job({ cache: new ArrayBuffer(0), cacheFill: true }), 'job.cache');
    checkBoth(t, a, p, job({ cache: new Uint8Array(24) as unknown as ArrayBuffer, cacheFill: true }), 'job.cache');
    checkBoth(t, a, p, job({ cache: 24 as unknown as ArrayBuffer, cacheFill: true }), 'job.cache');
    checkBoth(t, a, p, job({ cache: new ArrayBuffer(24), cacheFill: 1 as unknown as boolean }), 'job.cacheFill');
    // A forward fills, the others read: the other way round is refused.
    checkBoth(t, a, p, job({ cache: new ArrayBuffer(24) }), 'job.cacheFill');
    checkBoth(t, a, p, job({ op: 2, cache: new ArrayBuffer(24), cacheFill: true }), 'job.cacheFill');
    // ranks(300): uint16, 64·300·2 bytes per input (the overflow of B·S·m·width is a ctest: checks_test.cc).
    const ranks300 = edited(argmaxPlan(64), (q) => { q.n = 300; q.m = 300; q.box = { kind: 1, n: 300, k: 0, rows: 0, cols: 0 }; q.scale.sigma = new Float64Array(300).fill(1); });
    checkBoth(t, a, ranks300, job({ x: new Float32Array(300), cache: new ArrayBuffer(64 * 300), cacheFill: true }), 'job.cache');
    // A user box keeps its outputs in JS: a stream given a cache is refused.
    const stream = t.throws(() => new a.UserStream(userPlan(3), job({ cache: new ArrayBuffer(64 * 4 * 3), cacheFill: true }), 8));
    t.true(isChecked(stream, 'job.cache'), String(stream?.message));
    // The right size runs (on both engines: the cuda engine copies the cache to and from the device), fills (argmax sets exactly one bit of each sample's three) and is read back by a vjp.
    const cache = new ArrayBuffer(24);
    const fwd = a.runSync(p, job({ cache, cacheFill: true }));
    let ones = 0;
    for (const byte of new Uint8Array(cache)) for (let k = 0; k < 8; k++) ones += (byte >> k) & 1;
    t.is(ones, 64);
    t.is(fwd.value!.length, 3);
    const v = new Float32Array([1, 2, 3]);
    const read = a.runSync(p, job({ op: 1, v, cache }));
    t.deepEqual(read.mean, a.runSync(p, job({ op: 1, v })).mean);
    // Garbage in a read cache (every bit set) gives garbage numbers, never a write out of bounds.
    new Uint8Array(cache).fill(255);
    t.is(a.runSync(p, job({ op: 2, cache })).mean!.length, 9);
    new Uint8Array(cache).fill(0); // no one at all: an argmax index the cuda engine must not take from past the row
    t.is(a.runSync(p, job({ op: 1, v, cache })).mean!.length, 3);
  });

  t0(`${name}: every job buffer is checked against batch, n and m`, (t) => {
    const a = addon!;
    const p = argmaxPlan();
    checkBoth(t, a, p, job({ x: new Float32Array(2) }), 'job.x');
    checkBoth(t, a, p, job({ batch: 2 }), 'job.x');
    checkBoth(t, a, p, job({ x: new Float64Array(3) as unknown as Float32Array }), 'job.x');
    checkBoth(t, a, p, job({ batch: 0, x: new Float32Array(0) }), 'job.batch');
    checkBoth(t, a, p, job({ op: 5 }), 'job.op');
    checkBoth(t, a, p, job({ op: 1 }), 'job.v');
    checkBoth(t, a, p, job({ op: 1, v: new Float32Array(2) }), 'job.v');
    checkBoth(t, a, p, job({ op: 3 }), 'job.dir');
    checkBoth(t, a, p, job({ op: 2, fx: new Float64Array(1) }), 'job.fx');
    checkBoth(t, a, p, job({ seed: -1 }), 'job.seed');
    checkBoth(t, a, p, job({ seed: 2 ** 60 }), 'job.seed');
    checkBoth(t, a, p, job({ threads: -1 }), 'job.threads');
    // B·S beyond 2^53 (progress counts would stop being exact): refused before anything is allocated.
    checkBoth(t, a, argmaxPlan(2 ** 32 - 1), job({ batch: 2 ** 22, x: new Float32Array(3) }), 'job.batch');
    // A detached x has length 0.
    const x = new Float32Array(3);
    structuredClone(x.buffer, { transfer: [x.buffer] });
    checkBoth(t, a, p, job({ x }), 'job.x');
  });

  t0(`${name}: the stderr output buffer of a backward job is checked like every other buffer`, async (t) => {
    const a = addon!;
    const p = argmaxPlan();
    const v = new Float32Array(3).fill(1);
    // vjp of one input: the buffer holds B·n = 3 floats; the jacobian B·m·n = 9; the scale gradient (scalar) B·1.
    checkBoth(t, a, p, job({ op: 1, v, stderr: new Float32Array(2) }), 'job.stderr');
    checkBoth(t, a, p, job({ op: 1, v, stderr: new Float32Array(4) }), 'job.stderr');
    checkBoth(t, a, p, job({ op: 2, stderr: new Float32Array(3) }), 'job.stderr');
    checkBoth(t, a, p, job({ op: 4, v, stderr: new Float32Array(3) }), 'job.stderr');
    checkBoth(t, a, p, job({ op: 1, v, stderr: new Float64Array(3) as unknown as Float32Array }), 'job.stderr');
    checkBoth(t, a, p, job({ op: 1, v, stderr: [0, 0, 0] as unknown as Float32Array }), 'job.stderr');
    // The flag without a buffer: `stderr: true` is not an output buffer.
    checkBoth(t, a, p, job({ op: 1, v, stderr: true as unknown as Float32Array }), 'job.stderr');
    // Forward returns its own standard error; a detached buffer has length 0.
    checkBoth(t, a, p, job({ stderr: new Float32Array(3) }), 'job.stderr');
    const gone = new Float32Array(3);
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    checkBoth(t, a, p, job({ op: 1, v, stderr: gone }), 'job.stderr');
    // L⁻¹: exactly n·n with a matrix scale, absent otherwise (and never without stderr).
    const matrix = edited(p, (q) => { q.scale = { kind: 2, matrix: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]) }; });
    checkBoth(t, a, matrix, job({ op: 1, v, stderr: new Float32Array(3) }), 'job.inverse');
    checkBoth(t, a, matrix, job({ op: 1, v, stderr: new Float32Array(3), inverse: new Float64Array(8) }), 'job.inverse');
    checkBoth(t, a, p, job({ op: 1, v, stderr: new Float32Array(3), inverse: new Float64Array(9) }), 'job.inverse');
    checkBoth(t, a, matrix, job({ op: 1, v, inverse: new Float64Array(9) }), 'job.inverse');
    // The count batch·size is overflow-checked: a permutation(46340) Jacobian per input has 46340³ ≈ 2^46.5 entries.
    const big = edited(p, (q) => { q.n = 46340; q.m = 46340 * 46340; q.box = { kind: 0, n: 46340, k: 0, rows: 0, cols: 0 }; q.scale.sigma = new Float64Array(46340).fill(1); });
    const bigErr = t.throws(() => a.runSync(big, job({ op: 2, batch: 2 ** 20, x: new Float32Array(1), stderr: new Float32Array(1) })));
    t.true(isChecked(bigErr, 'job'), String(bigErr?.message));
    // A valid job fills the buffer, run and runSync alike, and leaves a plain job unchanged.
    const se = new Float32Array(3).fill(-1);
    const r = a.runSync(p, job({ op: 1, v: new Float32Array([1, 0, 0]), stderr: se }));
    t.is(r.mean!.length, 3);
    t.true(se.every((e) => e > 0), `runSync stderr ${Array.from(se)}`);
    const se2 = new Float32Array(3).fill(-1);
    await a.run(p, job({ op: 1, v: new Float32Array([1, 0, 0]), stderr: se2 })).promise;
    t.deepEqual(Array.from(se2), Array.from(se));
    // A user-box stream checks the same fields at construction and fills the buffer at finish().
    const up = edited(userPlan(3), (q) => { q.scale.sigma = new Float64Array(3).fill(0.5); });
    const fails = (f: () => void, field: string) => {
      const err = t.throws(f);
      t.true(isChecked(err, field), String(err?.message));
    };
    fails(() => new a.UserStream(up, job({ op: 1, v: new Float32Array(1), stderr: new Float32Array(2) }), 16), 'job.stderr');
    fails(() => new a.UserStream(up, job({ op: 1, v: new Float32Array(1), stderr: true as unknown as Float32Array }), 16), 'job.stderr');
    const useSe = new Float32Array(3).fill(-1);
    const stream = new a.UserStream(up, job({ op: 1, v: new Float32Array([1]), stderr: useSe }), 16);
    const z = new Float32Array(16 * 3);
    const out = new Float32Array(16);
    for (let start = 0; start < 64; start += 16) {
      stream.noise(0, start, 16, z);
      for (let k = 0; k < 16; k++) out[k] = z[3 * k] + z[3 * k + 2];
      stream.accumulate(out);
    }
    stream.finish();
    t.true(useSe.every((e) => e > 0), `user stream stderr ${Array.from(useSe)}`);
  });

  t0(`${name}: Latin samplers with n > 2^28 are refused without allocating anything (reproducer 2)`, (t) => {
    const a = addon!;
    for (const sampler of [1, 2]) {
      const plan = userPlan(2 ** 28 + 1, sampler);
      const err = t.throws(() => new a.UserStream(plan, job({ x: new Float32Array(1) }), 16));
      t.true(isChecked(err, 'plan.n'), String(err?.message));
      t.regex(err!.message, /Latin samplers allow n ≤ 268435455/);
    }
    // A matrix scale with n·n past 32 bits, and a Sobol plan past its table.
    t.true(isChecked(t.throws(() => new a.UserStream(edited(userPlan(70000), (q) => { q.scale = { kind: 2, matrix: new Float64Array(4) }; }), job({ x: new Float32Array(1) }), 16)), 'plan.n'));
    t.true(isChecked(t.throws(() => new a.UserStream(userPlan(30000, 4), job({ x: new Float32Array(1) }), 16)), 'plan.n'));
  });

  t0(`${name}: user-stream calls check the buffers they are handed (reproducer 6)`, (t) => {
    const a = addon!;
    const plan = edited(userPlan(3), (q) => { q.scale.sigma = new Float64Array(3).fill(0.5); });
    const stream = new a.UserStream(plan, job({ batch: 2, x: new Float32Array(6) }), 16);
    try {
      const z = new Float32Array(16 * 3);
      const out = new Float32Array(16);
      const fails = (f: () => void, field: string) => {
        const err = t.throws(f);
        t.true(isChecked(err, field), String(err?.message));
      };
      fails(() => stream.accumulate(out), 'outputs');            // nothing generated yet
      fails(() => stream.noise(2, 0, 16, z), 'b');                // b ≥ B
      fails(() => stream.noise(0, 0, 17, z), 'count');            // count > chunk
      fails(() => stream.noise(0, 0, 0, z), 'count');
      fails(() => stream.noise(0, 56, 16, z), 'start');           // start + count > S
      fails(() => stream.noise(0, 0, 16, new Float32Array(47)), 'z');
      fails(() => stream.noise(0, 0, 16, new Float64Array(48) as unknown as Float32Array), 'z');
      const detached = new Float32Array(48);
      structuredClone(detached.buffer, { transfer: [detached.buffer] });
      fails(() => stream.noise(0, 0, 16, detached), 'z');
      fails(() => new a.UserStream(plan, job({ batch: 2, x: new Float32Array(6) }), 65), 'chunk');
      fails(() => new a.UserStream(plan, job({ batch: 2, x: new Float32Array(6) }), 0), 'chunk');
      fails(() => new a.UserStream(edited(plan, (q) => { q.covariate = 1; }), job({ op: 1, batch: 2, x: new Float32Array(6), v: new Float32Array(2) }), 16), 'job.fx');
      // The stream is still usable: a full, valid pass gives a value of the expected shape.
      for (let b = 0; b < 2; b++) {
        for (let start = 0; start < 64; start += 16) {
          stream.noise(b, start, 16, z);
          for (let r = 0; r < 16; r++) out[r] = z[3 * r];
          if (start === 16) {
            const gone = new Float32Array(16);
            structuredClone(gone.buffer, { transfer: [gone.buffer] });
            fails(() => stream.accumulate(gone), 'outputs');   // a detached outputs buffer: refused, the chunk stays pending
          }
          stream.accumulate(out);
        }
      }
      const r = stream.finish();
      t.is(r.value!.length, 2);
      t.true(r.value!.every(Number.isFinite));
    } finally {
      stream.close();
    }
  });

  t0(`${name}: samples = 2^32 − 1 runs (no division by zero, no instant zero) until aborted (reproducer 5)`, async (t) => {
    const a = addon!;
    const S = 2 ** 32 - 1;
    // uniforms at the very end of the sequence, and one past it.
    const u = a.uniforms(argmaxPlan(S), 5, 0, S - 2, 2);
    t.is(u.length, 6);
    t.true(u.every((v) => v > 0 && v < 1));
    t.true(isChecked(t.throws(() => a.uniforms(argmaxPlan(S), 5, 0, S - 1, 2)), 'start'));
    // The whole run would take minutes: it must be running (before the fix: resolved in 1 ms with [0, 1, 0] on
    // cpu, SIGFPE on cuda), then stop at the abort. The item arithmetic at the last item is in ctest (checks_test).
    const began = Date.now();
    const handle = a.run(argmaxPlan(S), job());
    const timer = setTimeout(() => handle.abort(), 150);
    const err = await t.throwsAsync(handle.promise);
    clearTimeout(timer);
    t.true((err as { aborted?: boolean }).aborted, String(err?.message));
    t.true(Date.now() - began >= 140, 'it ran until the abort');
  });

  t0(`${name}: thread counts are capped natively, whatever JS passes (reproducer 4)`, (t) => {
    const a = addon!;
    t.true(a.maxThreads >= 1 && a.maxThreads <= 256);
    const ref = a.runSync(argmaxPlan(4096), job({ threads: 1 })).value!;
    const many = a.runSync(argmaxPlan(4096), job({ threads: 2 ** 32 - 1 })).value!;
    t.deepEqual(Array.from(many), Array.from(ref));
  });
}

const cpuOnly = addons.find(([n]) => n === 'cpu')?.[1];
(cpuOnly ? test.serial : test.skip)('cpu: a worker thread that fails to start is ERR_INTERNAL with the reason; started threads are joined', async (t) => {
  const a = cpuOnly!;
  const plan = argmaxPlan(8192);
  const ref = a.runSync(plan, job({ threads: 1 })).value!;
  process.env.STOCHASTIC_SMOOTHING_TEST_THREAD_FAIL = '2';
  try {
    const sync = t.throws(() => a.runSync(plan, job({ threads: 4 })));
    t.is((sync as { code?: string }).code, 'ERR_INTERNAL');
    t.regex(sync!.message, /could not start worker thread 3 of 4: .*test hook/);
    const err = await t.throwsAsync(a.run(plan, job({ threads: 4 })).promise);
    t.is((err as { code?: string }).code, 'ERR_INTERNAL');
    t.false((err as { aborted?: boolean }).aborted);
  } finally {
    delete process.env.STOCHASTIC_SMOOTHING_TEST_THREAD_FAIL;
  }
  t.deepEqual(Array.from(a.runSync(plan, job({ threads: 4 })).value!), Array.from(ref));
});

(cpuOnly ? test : test.skip)('cpu through the public API: a built-in box whose sizes were reassigned never reaches the engine unchecked', async (t) => {
  const box = blackboxes.argmax(64);
  // Built-in boxes are frozen: in strict code the reassignment itself throws, the box keeps its sizes.
  t.throws(() => {
    (box as { outputSize: number }).outputSize = 1;
  }, { instanceOf: TypeError });
  const x = new Float32Array(64).map((_, i) => i);
  try {
    const r = await smooth(box, { distribution: 'gaussian', scale: 1, samples: 256, sampler: 'mc', covariate: 'none', backend: 'cpu' }).forward(x);
    t.is(r.value.length, 64, 'if it runs, it runs on the immutable spec: 64 outputs');
  } catch (err) {
    t.true(err instanceof SmoothingError, String(err));
  }
});


for (const [name, addon] of addons) {
  (addon ? test : test.skip)(`${name}: an onProgress that throws stops the job and rejects with ERR_CALLBACK, the thrown value as cause (reproducer 7)`, async (t) => {
    const a = addon!;
    const thrown = new Error('progress callback failed');
    let calls = 0;
    const handle = a.run(argmaxPlan(2 ** 20), job({ batch: 4, x: new Float32Array(12) }), () => {
      calls++;
      throw thrown;
    });
    const err = await t.throwsAsync(handle.promise);
    t.is((err as { code?: string }).code, 'ERR_CALLBACK');
    t.is((err as { cause?: unknown }).cause, thrown);
    t.false((err as { aborted?: boolean }).aborted);
    t.regex(err!.message, /onProgress threw: progress callback failed/);
    t.is(calls, 1, 'no progress after the throw');
    t.is(a.runSync(argmaxPlan(), job()).value!.length, 3, 'the addon stays usable');
  });
}
