/**
 * Runs an ES-module script against the EMULATED cuda addon (the CUDA addon built with its kernels' tile code on
 * the host; lib/backends/cuda.ts CUDA_ADDON_ENV) in a child process, since the backend registry is per process.
 * The script imports 'stochastic-smoothing' and prints one JSON object; this returns it parsed, or undefined
 * when the emulated addon is not built (no CUDA toolkit), in which case the caller has nothing to run.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = new URL('../..', import.meta.url).pathname;
export const emulatedCudaAddon = join(root, 'build-cmake', 'Release', 'stochastic_smoothing_cuda_emulated.node');

/** `name` names the script file under dist/ (so that 'stochastic-smoothing' resolves to the built package). */
export async function runOnEmulatedCuda<T>(name: string, script: string): Promise<T | undefined> {
  if (!existsSync(emulatedCudaAddon)) return undefined;
  const file = join(root, 'dist', `.${name}.mjs`);
  writeFileSync(file, script);
  const env = { ...process.env, STOCHASTIC_SMOOTHING_CUDA_ADDON: emulatedCudaAddon };
  const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root, env, maxBuffer: 1 << 26 });
  return JSON.parse(stdout) as T;
}
