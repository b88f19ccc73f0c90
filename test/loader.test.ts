/**
 * The native loader's search order (lib/backends/native/addon.ts): local builds in the package folder first, then the
 * prebuilt platform package; backends() names the file it loaded. The install of the prebuilt package itself is
 * checked end to end by scripts/prebuild-check.mjs (CI), which needs packing and a fresh project.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { backends } from '../lib/index.js';
import { addonCandidates, addonSource, platformPackageNames } from '../lib/backends/native/addon.js';

const root = new URL('..', import.meta.url).pathname;

test('platform package names: linux is split by C library, other systems are not', (t) => {
  t.deepEqual(platformPackageNames('linux', 'x64'), ['@stochastic-smoothing/linux-x64-gnu', '@stochastic-smoothing/linux-x64-musl']);
  t.deepEqual(platformPackageNames('linux', 'arm64'), ['@stochastic-smoothing/linux-arm64-gnu', '@stochastic-smoothing/linux-arm64-musl']);
  t.deepEqual(platformPackageNames('darwin', 'arm64'), ['@stochastic-smoothing/darwin-arm64']);
});

test('local builds come first (cmake-js, then node-gyp), in the package folder', (t) => {
  const candidates = addonCandidates('stochastic_smoothing_cpu.node');
  t.deepEqual(candidates.slice(0, 2), [
    { path: join(root, 'build-cmake', 'Release', 'stochastic_smoothing_cpu.node'), source: 'local-build' },
    { path: join(root, 'build', 'Release', 'stochastic_smoothing_cpu.node'), source: 'local-build' },
  ]);
  t.true(candidates.slice(2).every((c) => c.source === 'prebuilt'), 'anything after them is a platform package');
  t.is(addonSource(join(root, 'build-cmake', 'Release', 'stochastic_smoothing_cpu.node')), 'local-build');
});

test('backends() names the addon file it loaded and where it came from', (t) => {
  const cpu = backends().find((b) => b.name === 'cpu')!;
  const js = backends().find((b) => b.name === 'js')!;
  t.is(js.path, undefined);
  if (!cpu.available) {
    t.is(cpu.path, undefined, cpu.reason);
    return;
  }
  t.true(existsSync(cpu.path!), cpu.path);
  t.is(cpu.path, addonCandidates('stochastic_smoothing_cpu.node').find((c) => existsSync(c.path))!.path, 'the first candidate that exists');
  t.is(cpu.source, 'local-build');
});
