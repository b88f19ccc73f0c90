/**
 * The cuda backend: the native backend over the CUDA addon (same interface as the cpu addon, see
 * native/cuda_addon.cc), plus what only CUDA needs: device discovery for `backends()`, and disabling the
 * backend after an unrecoverable (sticky) CUDA error. Such an error poisons the CUDA context for the rest of
 * the process: the call that hit it rejects with ERR_CUDA, one warning is printed, `backends()` reports cuda as
 * unavailable from then on, 'auto' picks cpu, and smoothers that were created on cuda run on the cpu backend.
 * Recoverable CUDA errors (out of memory, a failed launch) only reject their own call with ERR_CUDA.
 */
import type { BackendInfo } from './types.js';
import { SmoothingError } from '../errors.js';
import type { Backend } from '../plan.js';
import type { Task } from '../task.js';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { enumMismatch, loadAddon, type LoadResult, type NativeAddon, type NativePlan } from './native/addon.js';
import { nativeBackend } from './native/backend.js';

/** deviceInfo() of the CUDA addon. */
export interface CudaDeviceInfo {
  available: boolean;
  /** Why the backend cannot run (CUDA's own message), when unavailable. */
  reason?: string;
  name?: string;
  /** Bytes. */
  totalMemory?: number;
  freeMemory?: number;
  computeCapability?: string;
  multiProcessors?: number;
  driverVersion?: string;
  runtimeVersion?: string;
  /** Whether the kernels draw the `mc` and Sobol words through cuRAND's device API. */
  curand?: boolean;
  noiseSource?: string;
  /** The CMAKE_CUDA_ARCHITECTURES the kernels were built for, e.g. "80,90". */
  architectures?: string;
}

export interface CurandCheckResult {
  curand: boolean;
  compared: number;
  mismatches: number;
  first: number;
}

/** The CUDA addon: the native interface plus device queries and test hooks. */
export interface CudaAddon extends NativeAddon {
  deviceInfo(): CudaDeviceInfo;
  /** cuRAND's draws against the core's generators, on the device, for rows start .. start + count − 1 of b. */
  curandCheck(plan: NativePlan, seed: number, b: number, start: number, count: number): CurandCheckResult;
  /** Device memory held by the addon's buffers right now (0 between calls). */
  bytesInUse(): number;
  /** Test hook: throws the ERR_CUDA error of an injected fault ('sticky' poisons the context of the process). */
  testFault(kind: 'oom' | 'launch' | 'sticky'): never;
}

export const CUDA_ADDON_FILE = 'stochastic_smoothing_cuda.node';
/**
 * Tests only: load this .node file as the CUDA addon instead (e.g. build-cmake/Release/
 * stochastic_smoothing_cuda_emulated.node, the addon over an emulated device; scripts/check-gpu.mjs --emulated).
 */
export const CUDA_ADDON_ENV = 'STOCHASTIC_SMOOTHING_CUDA_ADDON';

function loadCudaAddon(): LoadResult<CudaAddon> {
  const override = process.env[CUDA_ADDON_ENV];
  if (override === undefined || override === '') return loadAddon<CudaAddon>(CUDA_ADDON_FILE);
  const path = resolve(override);
  try {
    const addon = createRequire(import.meta.url)(path) as CudaAddon;
    const mismatch = enumMismatch(addon.enums);
    return mismatch === undefined ? { addon, path } : { reason: `${CUDA_ADDON_ENV}=${override}: ${mismatch}` };
  } catch (err) {
    return { reason: `${CUDA_ADDON_ENV}=${override}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const GIB = 2 ** 30;

/** One line for `backends()`: device, memory, compute capability, driver/runtime and the noise source. */
export function describeDevice(d: CudaDeviceInfo): string {
  const memory = d.totalMemory === undefined ? '' : `, ${(d.totalMemory / GIB).toFixed(1)} GiB`;
  const cc = d.computeCapability ? `, compute ${d.computeCapability}` : '';
  const sms = d.multiProcessors ? `, ${d.multiProcessors} SMs` : '';
  const noise = d.curand ? 'noise via cuRAND' : 'noise via the core generators (built without cuRAND headers)';
  return `${d.name ?? 'CUDA device'}${memory}${cc}${sms}; driver ${d.driverVersion ?? '?'}, runtime ${d.runtimeVersion ?? '?'}; ${noise}`;
}

interface CudaError {
  code?: string;
  sticky?: boolean;
  message?: string;
}

/**
 * The cuda Backend over an addon. `info` is the registry's BackendInfo, updated in place when the backend is
 * disabled; `fallback` yields the cpu backend (lazily: the registry is still being built when this runs).
 */
export function cudaBackend(addon: CudaAddon, info: BackendInfo, fallback: () => Backend | undefined): Backend {
  const inner = nativeBackend('cuda', addon);
  let disabled: string | undefined;

  function disable(message: string): void {
    if (disabled !== undefined) return;
    disabled = message;
    info.available = false;
    info.reason = `disabled after an unrecoverable CUDA error (${message}); restart the process to use cuda again`;
    const cpu = fallback();
    console.warn(
      `[stochastic-smoothing] the cuda backend hit an unrecoverable CUDA error and is disabled for this process: ${message}. ` +
        (cpu ? 'Later calls run on the cpu backend.' : 'No cpu backend is available; later cuda calls fail with ERR_CUDA.'),
    );
  }

  function current(): Backend {
    if (disabled === undefined) return inner;
    const cpu = fallback();
    if (cpu) return cpu;
    throw new SmoothingError('ERR_CUDA', `the cuda backend is disabled after an unrecoverable CUDA error (${disabled}) and no cpu backend is available.`, {
      fix: 'restart the process; `npx stochastic-smoothing info` shows why the cpu backend is missing',
    });
  }

  /** ERR_CUDA from the addon: disable on a sticky error; give raw addon errors (user-box streams) the SmoothingError form. */
  function translate(err: unknown): unknown {
    const raw = (err instanceof SmoothingError ? err.cause : err) as CudaError | undefined;
    if (raw === null || typeof raw !== 'object' || raw.code !== 'ERR_CUDA') return err;
    if (raw.sticky) disable(raw.message ?? 'unknown CUDA error');
    if (err instanceof SmoothingError) return err;
    return new SmoothingError('ERR_CUDA', `the cuda backend failed: ${raw.message}`, { cause: err });
  }

  function* call<T>(run: (backend: Backend) => Task<T>): Task<T> {
    const backend = current();
    try {
      return yield* run(backend);
    } catch (err) {
      throw backend === inner ? translate(err) : err;
    }
  }

  return {
    get name() {
      return disabled === undefined ? 'cuda' : (fallback()?.name ?? 'cuda');
    },
    forward: (plan, x, batch, seed, control) => call((b) => b.forward(plan, x, batch, seed, control)),
    // The standard errors are computed by the device engine (or by the cpu fallback once cuda is disabled).
    get stderrSupport() {
      return disabled === undefined ? inner.stderrSupport : (fallback()?.stderrSupport ?? inner.stderrSupport);
    },
    vjp: (plan, state, v, control, stderr) => call((b) => b.vjp(plan, state, v, control, stderr)),
    jacobian: (plan, state, control, stderr) => call((b) => b.jacobian(plan, state, control, stderr)),
    jvp: (plan, state, t, control, stderr) => call((b) => b.jvp(plan, state, t, control, stderr)),
    scaleGradient: (plan, state, v, control, stderr) => call((b) => b.scaleGradient(plan, state, v, control, stderr)),
  };
}

/** What the loader records for cuda (lib/backends/index.ts). */
export interface CudaLoaded {
  backend?: Backend;
  info: BackendInfo;
  addon?: CudaAddon;
  path?: string;
}

/** Load the CUDA addon and ask it for a device; available only when one is usable. Never throws. */
export function loadCudaBackend(fallback: () => Backend | undefined): CudaLoaded {
  const r = loadCudaAddon();
  if ('reason' in r) return { info: { name: 'cuda', available: false, reason: `native cuda addon not loaded: ${r.reason}` } };
  let device: CudaDeviceInfo;
  try {
    device = r.addon.deviceInfo();
  } catch (err) {
    device = { available: false, reason: `deviceInfo() failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!device.available) {
    return {
      info: {
        name: 'cuda',
        available: false,
        reason:
          `the cuda addon (${r.path}) found no usable CUDA device: ${device.reason}` +
          ` [addon built for compute capabilities ${device.architectures ?? '?'}, runtime ${device.runtimeVersion ?? '?'}, ` +
          `${device.curand ? 'noise via cuRAND' : 'noise via the core generators (no cuRAND headers at build time)'}]`,
      },
      addon: r.addon,
      path: r.path,
    };
  }
  const info: BackendInfo = { name: 'cuda', available: true, device: `${describeDevice(device)} (${r.path})` };
  return { backend: cudaBackend(r.addon, info, fallback), info, addon: r.addon, path: r.path };
}
