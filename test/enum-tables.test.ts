/**
 * Names, not positions, across the JS/C++ boundary: every native addon exports the names of its enums in enum
 * order (native/engine/enum_names.h) and the loader refuses an addon whose tables differ from the TS lists.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DISTRIBUTION_NAMES } from '../lib/distributions.js';
import { SAMPLER_NAMES } from '../lib/samplers.js';
import { enumMismatch, loadAddon, NATIVE_ENUMS, type NativeAddon, type NativeEnums } from '../lib/backends/native/addon.js';

/** A copy of the TS tables with entries i and j of one table swapped. */
function swapped(key: keyof NativeEnums, i: number, j: number): NativeEnums {
  const list = [...NATIVE_ENUMS[key]];
  [list[i], list[j]] = [list[j], list[i]];
  return { ...NATIVE_ENUMS, [key]: list };
}

test('the TS tables are the public lists and the fixed kinds', (t) => {
  t.deepEqual([...NATIVE_ENUMS.distributions], [...DISTRIBUTION_NAMES]);
  t.deepEqual([...NATIVE_ENUMS.samplers], [...SAMPLER_NAMES]);
  t.is(enumMismatch(NATIVE_ENUMS), undefined);
});

test('two names swapped in any table is a mismatch that names the table and both orders', (t) => {
  for (const key of Object.keys(NATIVE_ENUMS) as Array<keyof NativeEnums>) {
    const reason = enumMismatch(swapped(key, 0, 1));
    t.truthy(reason, key);
    t.regex(reason!, new RegExp(`${key}: native \\[`), key);
    t.regex(reason!, /rebuild it/, key);
    // the other tables are not blamed
    for (const other of Object.keys(NATIVE_ENUMS)) if (other !== key) t.notRegex(reason!, new RegExp(`${other}: native`), `${key} / ${other}`);
  }
});

test('a missing, shorter or longer table, or no tables at all, is a mismatch', (t) => {
  t.regex(enumMismatch(undefined)!, /exports no enum tables/);
  t.regex(enumMismatch(null)!, /exports no enum tables/);
  const { scales: _scales, ...noScales } = NATIVE_ENUMS;
  t.regex(enumMismatch(noScales)!, /scales: native \[undefined\]/);
  t.regex(enumMismatch({ ...NATIVE_ENUMS, boxes: NATIVE_ENUMS.boxes.slice(0, 4) })!, /boxes: native \[permutation, ranks, argmax, topk\]/);
  t.regex(enumMismatch({ ...NATIVE_ENUMS, ops: [...NATIVE_ENUMS.ops, 'hessian'] })!, /ops: native/);
});

test('the cpu addon exports the TS tables (it loaded, so the loader accepted them)', (t) => {
  const r = loadAddon<NativeAddon>('stochastic_smoothing_cpu.node');
  if (!('addon' in r)) {
    if (process.env.REQUIRE_NATIVE === '1') t.fail(`REQUIRE_NATIVE=1 but the cpu addon did not load: ${r.reason}`);
    else t.pass(`cpu addon unavailable: ${r.reason}`);
    return;
  }
  const plain = Object.fromEntries(Object.entries(r.addon.enums).map(([k, v]) => [k, [...v]]));
  t.deepEqual(plain, Object.fromEntries(Object.entries(NATIVE_ENUMS).map(([k, v]) => [k, [...v]])));
  t.true(Object.isFrozen(r.addon.enums) && Object.isFrozen(r.addon.enums.boxes));
});

test('an addon with two distributions swapped is refused: the backend is unavailable and says why', (t) => {
  // A stand-in addon whose tables disagree, loaded through the cuda addon's test override in a fresh process.
  const dir = mkdtempSync(join(tmpdir(), 'ss-enums-'));
  try {
    const fake = join(dir, 'fake-addon.cjs');
    writeFileSync(fake, `module.exports = { enums: ${JSON.stringify(swapped('distributions', 1, 2))}, deviceInfo() { throw new Error('must not be called'); } };\n`);
    const script = `import { backends } from './lib/index.ts';\nconsole.log(JSON.stringify(backends().find((b) => b.name === 'cuda')));`;
    const child = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, STOCHASTIC_SMOOTHING_CUDA_ADDON: fake },
      encoding: 'utf8',
    });
    t.is(child.status, 0, child.stderr);
    const cuda = JSON.parse(child.stdout.trim().split('\n').pop()!) as { available: boolean; reason?: string };
    t.false(cuda.available);
    t.regex(cuda.reason ?? '', /distributions: native \[gaussian, gumbel, logistic, cauchy, laplace, triangular\], TS \[gaussian, logistic, gumbel/);
    t.notRegex(cuda.reason ?? '', /must not be called/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
