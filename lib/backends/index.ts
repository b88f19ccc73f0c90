/**
 * Backend discovery. The loader tries cuda → cpu → js and records why each one was skipped, so that
 * `backends()` (and `stochastic-smoothing info`) can say exactly what runs and why.
 * The environment variable STOCHASTIC_SMOOTHING_BACKEND (js | cpu | cuda) forces the choice of 'auto'.
 */
import { invalid, SmoothingError } from '../errors.js';
import { jsBackend } from './js/backend.js';
import { addonSource, loadAddon, type CpuAddon } from './native/addon.js';
import { nativeBackend } from './native/backend.js';
import { CUDA_ADDON_ENV, loadCudaBackend } from './cuda.js';
import type { Backend } from '../plan.js';
import type { BackendName } from '../types.js';
import type { BackendInfo } from './types.js';

export type { BackendInfo };

export const BACKEND_NAMES: readonly BackendName[] = ['js', 'cpu', 'cuda'];
export const BACKEND_ENV = 'STOCHASTIC_SMOOTHING_BACKEND';

interface Loaded {
  backend?: Backend;
  info: BackendInfo;
}

let registry: Map<BackendName, Loaded> | undefined;

function loadCpu(): Loaded {
  const r = loadAddon<CpuAddon>('stochastic_smoothing_cpu.node');
  if ('reason' in r) return { info: { name: 'cpu', available: false, reason: `native cpu addon not loaded: ${r.reason}` } };
  return {
    backend: nativeBackend('cpu', r.addon),
    info: { name: 'cpu', available: true, device: `${r.addon.hardwareConcurrency} hardware threads (${r.path})`, path: r.path, source: r.source },
  };
}

function loadCuda(): Loaded {
  // lib/backends/cuda.ts: device discovery, and after a sticky CUDA error a fallback to the cpu backend.
  const loaded = loadCudaBackend(() => load().get('cpu')?.backend);
  if (loaded.path !== undefined) {
    // The same info object that the cuda backend updates in place when it disables itself.
    loaded.info.path = loaded.path;
    const override = process.env[CUDA_ADDON_ENV];
    loaded.info.source = override !== undefined && override !== '' ? 'override' : addonSource(loaded.path);
  }
  return loaded;
}

function load(): Map<BackendName, Loaded> {
  if (registry) return registry;
  registry = new Map();
  registry.set('cuda', loadCuda());
  registry.set('cpu', loadCpu());
  registry.set('js', { backend: jsBackend, info: { name: 'js', available: true, device: 'TypeScript reference implementation' } });
  return registry;
}

/** Every backend, whether it can run here, and why not. Order of preference: cuda, cpu, js. */
export function backends(): BackendInfo[] {
  return [...load().values()].map((l) => ({ ...l.info }));
}

/** Resolve 'auto' (honouring the environment override) or a named backend to an implementation. */
export function selectBackend(requested: 'auto' | BackendName, argument = 'options.backend'): Backend {
  const reg = load();
  let name = requested;
  if (requested === 'auto') {
    const forced = process.env[BACKEND_ENV];
    if (forced !== undefined && forced !== '' && forced !== 'auto') {
      if (!(BACKEND_NAMES as readonly string[]).includes(forced)) {
        throw invalid(`environment ${BACKEND_ENV}`, forced, `${BACKEND_ENV} must be js, cpu, cuda or auto.`, `unset ${BACKEND_ENV} or set it to one of js, cpu, cuda`);
      }
      name = forced as BackendName;
      argument = `environment ${BACKEND_ENV}`;
    } else {
      for (const candidate of ['cuda', 'cpu', 'js'] as const) {
        const l = reg.get(candidate)!;
        if (l.info.available && l.backend) return l.backend;
      }
    }
  }
  const l = reg.get(name as BackendName)!;
  if (!l.info.available || !l.backend) {
    throw new SmoothingError('ERR_BACKEND_UNAVAILABLE', `the ${name} backend is not available: ${l.info.reason}.`, {
      argument,
      value: name,
      fix: "use backend: 'auto' (or 'js'); `npx stochastic-smoothing info` lists what is available and why",
    });
  }
  return l.backend;
}
