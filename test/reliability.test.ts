/**
 * Issue 12's reproducers and their neighbours, on every backend under test (js, cpu, cuda over the emulated
 * device): each ends in a coded SmoothingError or in the correct result (compared with the same call made
 * cleanly), never in a crash, a raw TypeError/RangeError or a silent wrong answer. README "Limits" and "Errors".
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { backendsUnderTest } from './helpers/backends-under-test.js';
import { blackboxes, samplePoints, smooth, SmoothingError, type BlackBox, type SmoothOptions } from '../lib/index.js';
import { MAX_ELEMENTS, MAX_SAMPLES, MAX_SIZE, maxThreads, THREADS_ENV } from '../lib/limits.js';
import type { NativeAddon } from '../lib/backends/native/addon.js';
import { nativeBackend } from '../lib/backends/native/backend.js';
import type { Plan } from '../lib/plan.js';
import { DEFAULTS } from '../lib/smooth.js';
import { runAsync, runSync, type Task } from '../lib/task.js';

const { names: BACKENDS, missing } = backendsUnderTest();
const base = { distribution: 'gaussian', scale: 0.5, samples: 64, sampler: 'rqmc-latin', covariate: 'loo' } as const;
const x3 = new Float32Array([0.3, -0.2, 0.1]);

test('the backends under test', (t) => {
  t.true(BACKENDS.includes('js'));
  t.log(`running on ${BACKENDS.join(', ')}${missing.length ? `; not here: ${missing.join('; ')}` : ''}`);
});

/** The SmoothingError a call throws or rejects with (fails the test on anything else, or on success). */
async function codeOf(t: import('ava').ExecutionContext, fn: () => unknown): Promise<SmoothingError> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof SmoothingError)) {
    t.fail(`expected a SmoothingError, got ${err === undefined ? 'success' : String(err)}`);
    throw err ?? new Error('no error');
  }
  return err;
}

/** A user box: f(z) = z (identity), n = m; its smoothed value is x and its Jacobian I (any zero-mean noise). */
function identity(n: number, extra: Partial<BlackBox> = {}): BlackBox {
  return {
    name: `identity(${n})`,
    inputSize: n,
    outputSize: n,
    evaluate(inputs, count, outputs) {
      outputs.set(inputs.subarray(0, count * n));
    },
    ...extra,
  };
}

for (const backend of BACKENDS) {
  const opts = { ...base, backend } as SmoothOptions;

  // Reproducer 1: a built-in box whose public sizes were changed.
  test(`${backend}: a built-in box is frozen; copies with other sizes are refused, copies with its sizes run as user boxes`, async (t) => {
    const box = blackboxes.argmax(3);
    t.throws(() => {
      (box as { outputSize: number }).outputSize = 1;
    }, { instanceOf: TypeError });
    t.throws(() => Object.defineProperty(box, 'inputSize', { value: 64 }), { instanceOf: TypeError });
    t.throws(() => {
      (box.builtin as { n: number }).n = 64;
    }, { instanceOf: TypeError });
    const clean = await smooth(box, opts).forward(x3);
    t.is(clean.value.length, 3);
    for (const [label, copy, argument] of [
      ['outputSize smaller', { ...box, outputSize: 1 }, 'f.outputSize'],
      ['outputSize larger', { ...box, outputSize: 4 }, 'f.outputSize'],
      ['inputSize smaller', { ...box, inputSize: 2 }, 'f.inputSize'],
      ['inputSize larger', { ...box, inputSize: 64 }, 'f.inputSize'],
      ['inherited spec, own outputSize', Object.defineProperty(Object.create(box), 'outputSize', { value: 1 }), 'f.outputSize'],
    ] as const) {
      const err = await codeOf(t, () => smooth(copy as BlackBox, opts));
      t.is(err.code, 'ERR_INVALID_ARGUMENT', label);
      t.is(err.argument, argument, label);
    }
    // Same sizes: evaluated in JS as written (the built-in's own evaluate), the same numbers as the built-in.
    const copy = await smooth({ ...box }, opts).forward(x3);
    t.deepEqual(Array.from(copy.value), Array.from(clean.value));
  });

  // Reproducer 3 and "getters on every option": each option read exactly once, the result as with plain values.
  test(`${backend}: every option given as a getter is read exactly once, with the plain call's result`, async (t) => {
    const plainOptions = { ...opts, antithetic: false, seed: 3, chunkSize: 16, threads: 1 };
    const reads: Record<string, number> = {};
    const withGetters: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(plainOptions)) {
      reads[key] = 0;
      Object.defineProperty(withGetters, key, {
        enumerable: true,
        get() {
          reads[key]++;
          // The first read is the real value; any later read would be garbage that crashes or lies.
          return reads[key] === 1 ? value : key === 'samples' ? 2 ** 40 : 'garbage';
        },
      });
    }
    const box = blackboxes.ranks(3);
    const smoother = smooth(box, withGetters as unknown as SmoothOptions);
    const plain = smooth(box, plainOptions as SmoothOptions);
    for (const [key, count] of Object.entries(reads)) t.is(count, 1, key);

    let batchReads = 0;
    let seedReads = 0;
    const forwardOptions = {
      get batch() {
        return ++batchReads <= 1 ? 1 : 4096;
      },
      get seed() {
        return ++seedReads <= 1 ? 5 : 2 ** 60;
      },
    };
    const a = await smoother.forward(x3, forwardOptions);
    const b = await plain.forward(x3, { batch: 1, seed: 5 });
    t.is(batchReads, 1);
    t.is(seedReads, 1);
    t.deepEqual(Array.from(a.value), Array.from(b.value));
    const v = new Float32Array([1, -1, 0.5]);
    t.deepEqual(Array.from(await a.vjp(v)), Array.from(await b.vjp(v)));
    t.deepEqual(Array.from(a.vjpSync(v)), Array.from(b.vjpSync(v)));
  });

  test(`${backend}: method options (signal, onProgress, precision and its fields) given as getters are read once`, async (t) => {
    const reads = new Map<string, number>();
    const getters = (values: Record<string, unknown>, prefix: string): Record<string, unknown> => {
      const o: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(values)) {
        Object.defineProperty(o, key, {
          enumerable: true,
          get() {
            const k = `${prefix}${key}`;
            reads.set(k, (reads.get(k) ?? 0) + 1);
            return reads.get(k) === 1 ? value : undefined;
          },
        });
      }
      return o;
    };
    const s = smooth(blackboxes.ranks(3), { ...opts, samples: 16, sampler: 'rqmc-sobol' });
    const progress: number[] = [];
    const precision = getters({ stderr: 1e-9, maxSamples: 64, relative: false, minReplicates: 2 }, 'precision.');
    const r = await s.forward(x3, getters({ signal: new AbortController().signal, onProgress: (p: { done: number }) => progress.push(p.done), precision }, ''));
    const plain = await s.forward(x3, { precision: { stderr: 1e-9, maxSamples: 64, relative: false, minReplicates: 2 } });
    t.deepEqual(Array.from(r.value), Array.from(plain.value));
    t.deepEqual(Array.from(r.precision!.samplesUsed), Array.from(plain.precision!.samplesUsed));
    t.true(progress.length > 0);
    for (const [key, count] of reads) t.is(count, 1, key);
    t.is(reads.size, 7);
    const v = new Float32Array([1, 0, -1]);
    reads.clear();
    t.deepEqual(Array.from(await r.vjp(v, getters({ onProgress: () => undefined }, 'vjp.'))), Array.from(await plain.vjp(v)));
    t.is(reads.get('vjp.onProgress'), 1);
  });

  // Reproducer 9: Object.prototype pollution of every option name changes nothing.
  test.serial(`${backend}: Object.prototype pollution of every option name changes nothing`, async (t) => {
    const box = blackboxes.topk(3, 1);
    const clean = smooth(box, opts);
    const cleanResult = clean.forwardSync(x3);
    const cleanVjp = cleanResult.vjpSync(new Float32Array([1, 2, 3]));
    const pollution: Record<string, unknown> = {
      distribution: 'cauchy', scale: 9, samples: 2 ** 32 - 1, sampler: 'sobol', antithetic: true, covariate: 'fx', seed: 12345,
      backend: 'nope', chunkSize: 2 ** 40, threads: 100000, batch: 4096, precision: { stderr: 1, maxSamples: 2 ** 40 },
      signal: AbortSignal.abort(), onProgress: () => { throw new Error('inherited onProgress ran'); }, outputCache: -1,
      stderr: 1e9, maxSamples: 3, relative: true, vjp: new Float32Array(1), minReplicates: 1, index: 7, dims: 9,
    };
    const proto = Object.prototype as Record<string, unknown>;
    let polluted: ReturnType<typeof clean.forwardSync>;
    let pollutedVjp: Float32Array;
    let asyncResult: Promise<Float32Array>;
    try {
      for (const [key, value] of Object.entries(pollution)) proto[key] = value;
      const s = smooth(box, { ...opts });
      polluted = s.forwardSync(x3, {});
      pollutedVjp = polluted.vjpSync(new Float32Array([1, 2, 3]), {});
      // The async path snapshots its options synchronously, at the call.
      asyncResult = s.forward(x3, {}).then((r) => r.value);
    } finally {
      for (const key of Object.keys(pollution)) delete proto[key];
    }
    t.deepEqual(Array.from(polluted.value), Array.from(cleanResult.value));
    t.deepEqual(Array.from(pollutedVjp), Array.from(cleanVjp));
    t.deepEqual(Array.from(await asyncResult), Array.from(cleanResult.value));
  });

  // Reproducer 6 and Deliver 4: a box that detaches its buffers; the smoother stays usable.
  for (const which of ['inputs', 'outputs', 'batchIndex'] as const) {
    for (const sync of [false, true]) {
      test(`${backend}: a user box that detaches its ${which} buffer is ERR_INVALID_ARGUMENT (${sync ? 'sync' : 'async'}); the smoother works afterwards`, async (t) => {
        let detach = true;
        const box = identity(3, {
          evaluate(inputs: Float32Array, count: number, outputs: Float32Array, batchIndex?: Uint32Array) {
            outputs.set(inputs.subarray(0, count * 3));
            if (detach) {
              const buf = (which === 'inputs' ? inputs : which === 'outputs' ? outputs : batchIndex!).buffer as ArrayBuffer;
              structuredClone(buf, { transfer: [buf] });
            }
          },
        });
        const s = smooth(box, opts);
        const err = await codeOf(t, () => (sync ? s.forwardSync(x3) : s.forward(x3)));
        t.is(err.code, 'ERR_INVALID_ARGUMENT');
        t.regex(err.argument ?? '', new RegExp(which));
        detach = false;
        const r = await s.forward(x3);
        for (let j = 0; j < 3; j++) t.true(Math.abs(r.value[j] - x3[j]) < 0.2, `value ${r.value[j]} near x ${x3[j]}`);
        const clean = await smooth(identity(3), opts).forward(x3);
        t.deepEqual(Array.from(r.value), Array.from(clean.value));
      });
    }
  }

  test(`${backend}: detached or shrunk x, v, t and scale are ERR_INVALID_ARGUMENT naming them`, async (t) => {
    const detached = () => {
      const a = new Float32Array([0.1, 0.2, 0.3]);
      structuredClone(a.buffer, { transfer: [a.buffer] });
      return a;
    };
    const s = smooth(blackboxes.argmax(3), opts);
    t.is((await codeOf(t, () => s.forward(detached()))).argument, 'x');
    // A resizable ArrayBuffer (ES2024; typed here by hand) shrunk under a fixed-length view.
    const Resizable = ArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => ArrayBuffer & { resize(bytes: number): void };
    const resizable = new Resizable(12, { maxByteLength: 64 });
    const shrunk = new Float32Array(resizable, 0, 3);
    resizable.resize(4);
    t.is((await codeOf(t, () => s.forward(shrunk))).argument, 'x');
    const r = await s.forward(x3);
    t.is((await codeOf(t, () => r.vjp(detached()))).argument, 'v');
    t.is((await codeOf(t, () => r.jvp(detached()))).argument, 't');
    t.is((await codeOf(t, () => r.scaleGradient(detached()))).argument, 'v');
    t.is((await codeOf(t, () => smooth(blackboxes.argmax(3), { ...opts, scale: detached() }))).argument, 'options.scale');
    t.is((await codeOf(t, () => smooth(blackboxes.argmax(3), { ...opts, scale: { matrix: detached() } }))).argument, 'options.scale.matrix');
    t.is((await r.vjp(new Float32Array([1, 0, 0]))).length, 3, 'still usable');
  });

  // Reproducer 7: a throwing onProgress or box rejects with a SmoothingError whose cause is the error.
  for (const kind of ['built-in', 'user'] as const) {
    for (const sync of [false, true]) {
      test(`${backend}: an onProgress that throws is ERR_CALLBACK with that cause (${kind} box, ${sync ? 'sync' : 'async'}); a second call works`, async (t) => {
        const box = kind === 'built-in' ? blackboxes.ranks(3) : identity(3);
        const s = smooth(box, { ...opts, samples: 4096, chunkSize: 64 });
        const boom = new Error('progress boom');
        const onProgress = () => {
          throw boom;
        };
        const err = await codeOf(t, () => (sync ? s.forwardSync(x3, { onProgress }) : s.forward(x3, { onProgress })));
        t.is(err.code, 'ERR_CALLBACK');
        t.is(err.cause, boom);
        const r = await s.forward(x3);
        const vErr = await codeOf(t, () => (sync ? r.vjpSync(x3, { onProgress }) : r.vjp(x3, { onProgress })));
        t.is(vErr.cause, boom);
        const seen: number[] = [];
        await r.vjp(x3, { onProgress: (p) => seen.push(p.done) });
        t.true(seen.length >= 1);
      });
    }
  }

  test(`${backend}: a user box that throws is ERR_BLACKBOX with that cause, async and sync`, async (t) => {
    const boom = new Error('box boom');
    const box = identity(3, {
      evaluate() {
        throw boom;
      },
    });
    const s = smooth(box, opts);
    for (const call of [() => s.forward(x3), () => s.forwardSync(x3)]) {
      const err = await codeOf(t, call);
      t.is(err.code, 'ERR_BLACKBOX');
      t.is(err.cause, boom);
    }
  });

  // Reproducer 8: a diagonal scale with a lying length or iterator.
  test(`${backend}: a Float32Array scale with a redefined length or iterator is read by its true length`, async (t) => {
    const box = blackboxes.argmax(3);
    const honest = new Float32Array([0.5, 0.4, 0.3]);
    const liar = new Float32Array([0.5, 0.4, 0.3]);
    Object.defineProperty(liar, 'length', { value: 1e6 });
    liar[Symbol.iterator] = function* () {
      yield 1;
    } as unknown as typeof liar[typeof Symbol.iterator];
    const a = await smooth(box, { ...opts, scale: honest }).forward(x3);
    const b = await smooth(box, { ...opts, scale: liar }).forward(x3);
    t.deepEqual(Array.from(b.value), Array.from(a.value));
    const short = new Float32Array([0.5, 0.4]);
    Object.defineProperty(short, 'length', { value: 3 });
    const err = await codeOf(t, () => smooth(box, { ...opts, scale: short }));
    t.is(err.argument, 'options.scale');
    const fakeX = new Float32Array([0.3, -0.2]);
    Object.defineProperty(fakeX, 'length', { value: 3 });
    t.is((await codeOf(t, () => smooth(box, opts).forward(fakeX))).argument, 'x');
    // An object that only claims to be a Float32Array (its prototype) is not one.
    t.is((await codeOf(t, () => smooth(box, opts).forward(Object.create(Float32Array.prototype)))).argument, 'x');
  });

  // Reproducer 10: a distribution getter that changes its answer.
  test(`${backend}: a distribution getter is read once (a custom object stays custom)`, async (t) => {
    let reads = 0;
    const custom = { name: 'mine', symmetric: true, icdf: (u: number) => u - 0.5, scoreFromU: (u: number) => 12 * (u - 0.5) };
    const options = { ...opts, get distribution() { return ++reads === 1 ? custom : 'gaussian'; } };
    if (backend === 'js') {
      const r = await smooth(blackboxes.ranks(4), options as unknown as SmoothOptions).forward(new Float32Array([0.1, 0.2, 0.3, 0.4]));
      const c = await smooth(blackboxes.ranks(4), { ...opts, distribution: custom } as SmoothOptions).forward(new Float32Array([0.1, 0.2, 0.3, 0.4]));
      t.deepEqual(Array.from(r.value), Array.from(c.value));
    } else {
      const err = await codeOf(t, () => smooth(blackboxes.ranks(4), options as unknown as SmoothOptions));
      t.is(err.code, 'ERR_UNSUPPORTED');
    }
    t.is(reads, 1);
  });

  // Reproducers 2, 4, 5, 11 and the limits (README "Limits"): refused before any allocation.
  const limitCases: Array<[string, () => unknown, string]> = [
    ['samples = 2^32 − 1023 (reproducer 5)', () => smooth(blackboxes.argmax(3), { ...opts, samples: 2 ** 32 - 1023 }), 'options.samples'],
    ['samples = 2^32 − 1', () => smooth(blackboxes.argmax(3), { ...opts, samples: 2 ** 32 - 1 }), 'options.samples'],
    ['samples = 2^53', () => smooth(blackboxes.argmax(3), { ...opts, samples: 2 ** 53 }), 'options.samples'],
    ['samples = MAX_SAMPLES + 1', () => smooth(blackboxes.argmax(3), { ...opts, samples: MAX_SAMPLES + 1 }), 'options.samples'],
    ['user inputSize 2^28 + 1, rqmc-latin (reproducer 2)', () => smooth(identity(2 ** 28 + 1), { ...opts, sampler: 'rqmc-latin' }), 'f.inputSize'],
    ['user inputSize 2^31 (reproducer 11)', () => smooth(identity(2 ** 31), opts), 'f.inputSize'],
    ['user outputSize 2^32 + 1 (reproducer 11)', () => smooth({ ...identity(3), outputSize: 2 ** 32 + 1 }, opts), 'f.outputSize'],
    ['user inputSize MAX_SIZE + 1', () => smooth(identity(MAX_SIZE + 1), opts), 'f.inputSize'],
    ['permutation(46340): m above MAX_SIZE (reproducer 11)', () => smooth(blackboxes.permutation(46340), opts), 'f.outputSize'],
    ['threads above the cap (reproducer 4)', () => smooth(blackboxes.argmax(3), { ...opts, threads: maxThreads() + 1 }), 'options.threads'],
    ['a matrix scale for n = 46341 (n·n above 2^31 − 1)', () => smooth(identity(46341), { ...opts, scale: { matrix: new Float32Array(1) } }), 'options.scale.matrix'],
    ['threads = 2^31', () => smooth(blackboxes.argmax(3), { ...opts, threads: 2 ** 31 }), 'options.threads'],
  ];
  for (const [label, call, argument] of limitCases) {
    test(`${backend}: ${label} is ERR_INVALID_ARGUMENT naming ${argument}`, async (t) => {
      const err = await codeOf(t, call);
      t.is(err.code, 'ERR_INVALID_ARGUMENT', err.message);
      t.is(err.argument, argument);
    });
  }

  test(`${backend}: a Jacobian above MAX_ELEMENTS is refused at jacobian(), before allocating; vjp still runs`, async (t) => {
    const n = 2 ** 12;
    const m = 2 ** 20;
    t.true(n * m > MAX_ELEMENTS);
    const wide: BlackBox = {
      name: 'wide',
      inputSize: n,
      outputSize: m,
      evaluate(inputs, count, outputs) {
        for (let i = 0; i < count; i++) outputs.fill(inputs[i * n], i * m, (i + 1) * m);
      },
    };
    const s = smooth(wide, { ...opts, samples: 2, covariate: 'none', sampler: 'mc' });
    const r = await s.forward(new Float32Array(n));
    const err = await codeOf(t, () => r.jacobian());
    t.is(err.code, 'ERR_INVALID_ARGUMENT');
    t.regex(err.message, /2147483647/);
    t.is((await r.jvp(new Float32Array(n))).length, m);
  });

  test.serial(`${backend}: ${THREADS_ENV} out of range is ERR_INVALID_ARGUMENT on native backends, ignored by js; read once at smooth()`, async (t) => {
    const before = process.env[THREADS_ENV];
    try {
      for (const bad of ['0', '-2', 'many', '1.5', String(maxThreads() + 1), '99999999999']) {
        process.env[THREADS_ENV] = bad;
        if (backend === 'js') {
          t.notThrows(() => smooth(blackboxes.argmax(3), opts), bad);
        } else {
          const err = await codeOf(t, () => smooth(blackboxes.argmax(3), opts));
          t.is(err.argument, `environment ${THREADS_ENV}`, bad);
        }
        t.notThrows(() => smooth(blackboxes.argmax(3), { ...opts, threads: 1 }), `${bad} with threads given`);
      }
      process.env[THREADS_ENV] = '1';
      const s = smooth(blackboxes.argmax(3), opts);
      process.env[THREADS_ENV] = 'garbage';
      t.is((await s.forward(x3)).value.length, 3, 'the environment was read once, at smooth()');
    } finally {
      if (before === undefined) delete process.env[THREADS_ENV];
      else process.env[THREADS_ENV] = before;
    }
  });

  test(`${backend}: chunkSize changes no result (so lowering a huge one to the chunk limit is safe)`, async (t) => {
    for (const box of [blackboxes.ranks(3), identity(3)]) {
      const results = [];
      for (const chunkSize of [1, 7, 2 ** 40]) {
        const r = await smooth(box, { ...opts, chunkSize }).forward(x3);
        results.push([Array.from(r.value), Array.from(await r.vjp(new Float32Array([1, -2, 0.5])))]);
      }
      t.deepEqual(results[1], results[0], box.name);
      t.deepEqual(results[2], results[0], box.name);
    }
  });

  // Issue 16 item 1: defaults for everything but scale; every problem reported at once.
  test(`${backend}: smooth(box, { scale }) runs with the documented defaults`, async (t) => {
    const box = blackboxes.argmax(3);
    const implicit = await smooth(box, { scale: 0.5, backend } as SmoothOptions).forward(x3);
    const explicit = await smooth(box, {
      scale: 0.5, backend, distribution: 'gaussian', samples: 1024, sampler: 'rqmc-sobol', covariate: 'loo', antithetic: false, seed: 0,
    } as SmoothOptions).forward(x3);
    t.deepEqual(Array.from(implicit.value), Array.from(explicit.value));
    t.is(implicit.samples, DEFAULTS.samples);
    // argmax is one-hot: its smoothed value is a probability vector.
    t.true(Math.abs(implicit.value.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  });
}

test('the high-dimensional default sampler is rqmc-latin above the Sobol table (21 201 inputs)', (t) => {
  const box = identity(21202);
  const s = smooth(box, { scale: 0.5, samples: 2, covariate: 'none', backend: 'js' } as SmoothOptions);
  t.is(s.samples, 2);
  t.notThrows(() => smooth(identity(21201), { scale: 0.5, backend: 'js' } as SmoothOptions));
});

test('every problem of a call is reported at once, each with its code, argument and fix', (t) => {
  const err = t.throws(() => smooth(blackboxes.argmax(3), { samples: 0, sampler: 'latin', covariate: 'LOO', antithetic: 'no', nope: 1 } as never)) as SmoothingError;
  t.true(err instanceof SmoothingError);
  t.is(err.code, 'ERR_INVALID_ARGUMENT');
  const args = err.errors.map((e) => e.argument).sort();
  t.deepEqual(args, ['options.antithetic', 'options.covariate', 'options.nope', 'options.sampler', 'options.samples', 'options.scale'].sort());
  for (const e of err.errors) {
    t.is(e.code, 'ERR_INVALID_ARGUMENT');
    t.truthy(e.fix, e.argument);
    t.true(err.message.includes(e.argument!), `message mentions ${e.argument}`);
  }
  t.regex(err.message, /^6 problems/);
  t.regex(err.errors.find((e) => e.argument === 'options.covariate')!.fix!, /did you mean 'loo'/);
});

test('a single problem keeps its own code and argument, and errors lists exactly it', (t) => {
  const err = t.throws(() => smooth(blackboxes.argmax(3), { scale: 0.5, samples: 0 } as SmoothOptions)) as SmoothingError;
  t.is(err.argument, 'options.samples');
  t.is(err.errors.length, 1);
  t.is(err.errors[0].argument, 'options.samples');
  const box = t.throws(() => smooth({ name: 1, inputSize: 0, outputSize: 2 ** 40 } as never, { scale: 0 } as SmoothOptions)) as SmoothingError;
  t.deepEqual(box.errors.map((e) => e.argument), ['f.name', 'f.inputSize', 'f.outputSize', 'f.evaluate']);
  const fwd = t.throws(() => smooth(blackboxes.argmax(3), { scale: 0.5, backend: 'js' } as SmoothOptions).forwardSync(new Float32Array(2), { batch: 0, seed: -1 })) as SmoothingError;
  t.deepEqual(fwd.errors.map((e) => e.argument), ['x', 'forward options.batch', 'forward options.seed']);
});

test('validation errors are also reported for the other methods at once', async (t) => {
  const r = await smooth(blackboxes.argmax(3), { scale: 0.5, backend: 'js', samples: 16 } as SmoothOptions).forward(x3);
  const err = t.throws(() => r.vjpSync(new Float32Array(2), { onProgress: 3, extra: 1 } as never)) as SmoothingError;
  t.deepEqual(err.errors.map((e) => e.argument).sort(), ['v', 'vjp options.extra', 'vjp options.onProgress'].sort());
});

test.serial('samplePoints reads its options once, own properties only', (t) => {
  const clean = samplePoints({ sampler: 'mc', samples: 8, dims: 3 });
  const proto = Object.prototype as Record<string, unknown>;
  let polluted: Float64Array;
  try {
    proto.seed = 99;
    proto.antithetic = true;
    proto.index = 5;
    polluted = samplePoints({ sampler: 'mc', samples: 8, dims: 3 });
  } finally {
    delete proto.seed;
    delete proto.antithetic;
    delete proto.index;
  }
  t.deepEqual(Array.from(polluted), Array.from(clean));
});

test('the README "Defaults" example runs as written against the built package', async (t) => {
  const root = new URL('..', import.meta.url).pathname;
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /#### Defaults[\s\S]*?```js\n([\s\S]*?)```/.exec(readme);
  t.truthy(block, 'README has a js block under Defaults');
  const file = join(root, 'dist', '.readme-defaults.mjs');
  writeFileSync(file, block![1]);
  const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root });
  t.is(stdout.trim(), '1.000 1024');
});

test('errors thrown by an addon become SmoothingErrors: its ERR_INVALID_ARGUMENT (with the field) and ERR_CUDA kept, anything else ERR_INTERNAL', async (t) => {
  const coded = (code: string | undefined, argument?: string) => Object.assign(new Error(`check failed (${code})`), { code, argument });
  let next: Error = coded('ERR_INVALID_ARGUMENT', 'job.batch');
  const fake = {
    run() {
      return { promise: Promise.reject(next), abort() {} };
    },
    runSync() {
      throw next;
    },
    uniforms() {
      throw next;
    },
    UserStream: class {
      constructor() {
        throw next;
      }
    },
    hardwareConcurrency: 1,
    samplesPerItem: 1,
  } as unknown as NativeAddon;
  const backend = nativeBackend('cpu', fake);
  for (const box of [blackboxes.argmax(3), identity(3)]) {
    const plan = (smooth(box, { ...base, backend: 'js' } as SmoothOptions) as unknown as { plan: Plan }).plan;
    for (const [raw, code, argument] of [
      [coded('ERR_INVALID_ARGUMENT', 'job.batch'), 'ERR_INVALID_ARGUMENT', 'cpu addon job.batch'],
      [coded('ERR_CUDA'), 'ERR_CUDA', undefined],
      [coded(undefined), 'ERR_INTERNAL', undefined],
      [new TypeError('napi type error'), 'ERR_INTERNAL', undefined],
    ] as const) {
      next = raw;
      for (const run of [runAsync, (task: Task<unknown>) => runSync(task, 'forwardSync')]) {
        const err = await codeOf(t, () => run(backend.forward(plan, x3, 1, 0, {})));
        t.is(err.code, code, `${box.name}: ${raw.message}`);
        t.is(err.argument, argument);
        t.is(err.cause, raw);
      }
    }
  }
});

test('null is not "missing": an option given as null is refused, not replaced by its default', (t) => {
  for (const key of ['distribution', 'samples', 'sampler', 'covariate', 'antithetic', 'seed', 'backend', 'chunkSize', 'threads', 'scale']) {
    const err = t.throws(() => smooth(blackboxes.argmax(3), { scale: 0.5, backend: 'js', [key]: null } as unknown as SmoothOptions)) as SmoothingError;
    t.is(err.code, 'ERR_INVALID_ARGUMENT', key);
    t.is(err.argument, `options.${key}`);
  }
});
