/**
 * The backends the reliability tests and the fuzz run on: js always, cpu when its addon is built (required under
 * REQUIRE_NATIVE=1), and cuda over the EMULATED device addon when it is built (the kernels' tile code on the
 * host; no GPU needed), or on a real device when one is usable. Import this module before anything calls
 * backends(): without a usable device it points the cuda loader at the emulated addon (unless the environment
 * already chose an addon).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAddon } from '../../lib/backends/native/addon.js';
import { CUDA_ADDON_ENV, CUDA_ADDON_FILE, type CudaAddon } from '../../lib/backends/cuda.js';
import { backends, type BackendName } from '../../lib/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EMULATED = join(ROOT, 'build-cmake', 'Release', 'stochastic_smoothing_cuda_emulated.node');
function realDevice(): boolean {
  const r = loadAddon<CudaAddon>(CUDA_ADDON_FILE);
  try {
    return 'addon' in r && r.addon.deviceInfo().available;
  } catch {
    return false;
  }
}
if (!process.env[CUDA_ADDON_ENV] && existsSync(EMULATED) && !realDevice()) process.env[CUDA_ADDON_ENV] = EMULATED;

/** The backends available in this process, with the reason for each one left out. */
export function backendsUnderTest(): { names: BackendName[]; missing: string[] } {
  const names: BackendName[] = [];
  const missing: string[] = [];
  for (const info of backends()) {
    if (info.available) names.push(info.name);
    else missing.push(`${info.name}: ${info.reason}`);
  }
  if (process.env.REQUIRE_NATIVE === '1' && !names.includes('cpu')) throw new Error(`REQUIRE_NATIVE=1 but the cpu backend is unavailable: ${missing.join('; ')}`);
  return { names: names.sort((a, b) => ['js', 'cpu', 'cuda'].indexOf(a) - ['js', 'cpu', 'cuda'].indexOf(b)), missing };
}
