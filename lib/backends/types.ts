/**
 * Types shared by the backend registry (index.ts) and the backends it loads (cuda.ts updates its BackendInfo in
 * place): kept apart so that the registry and the cuda backend do not import each other.
 */
import type { BackendName } from '../types.js';
import type { AddonSource } from './native/addon.js';

export interface BackendInfo {
  name: BackendName;
  available: boolean;
  reason?: string;
  device?: string;
  /** The native addon file that was loaded (cpu, cuda; for cuda also when it loaded but found no device). */
  path?: string;
  /**
   * Where that file came from: 'local-build' (build-cmake/ or build/ in the package folder: a clone, or a build
   * from source), 'prebuilt' (the platform package, e.g. @stochastic-smoothing/linux-x64-gnu), or 'override'
   * (the STOCHASTIC_SMOOTHING_CUDA_ADDON test hook).
   */
  source?: AddonSource | 'override';
}
