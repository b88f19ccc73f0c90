/**
 * Native backends in tests: available → run; unavailable → skip, unless REQUIRE_NATIVE=1 (CI) or
 * REQUIRE_CUDA=1 makes the absence a failure.
 */
import test from 'ava';
import { backends } from '../../lib/index.js';
import { loadAddon, type CpuAddon } from '../../lib/backends/native/addon.js';

export function nativeTest(name: 'cpu' | 'cuda'): typeof test | typeof test.skip {
  const info = backends().find((b) => b.name === name)!;
  const required = name === 'cpu' ? process.env.REQUIRE_NATIVE === '1' : process.env.REQUIRE_CUDA === '1';
  if (info.available) return test;
  if (required) {
    test(`the ${name} backend is required here but unavailable`, (t) => t.fail(info.reason));
    return test.skip;
  }
  return test.skip;
}

export function cpuAddon(): CpuAddon | undefined {
  const r = loadAddon<CpuAddon>('stochastic_smoothing_cpu.node');
  return 'addon' in r ? r.addon : undefined;
}
