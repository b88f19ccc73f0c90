/**
 * The TensorFlow.js backend that trains the demo models (`train --tf-backend`), each an optional peer:
 *  - cpu: tfjs's pure-JS kernels, always there with @tensorflow/tfjs;
 *  - wasm: @tensorflow/tfjs-backend-wasm (SIMD; its .wasm files ship inside the npm package, so it works offline);
 *    the default when it is installed;
 *  - tensorflow: @tensorflow/tfjs-node (native TensorFlow; its install downloads libtensorflow).
 * Only the model runs there: the smoothing itself runs on the library's own backend (--backend).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SmoothingError } from '../errors.js';

export const TF_BACKENDS = ['cpu', 'wasm', 'tensorflow'] as const;
export type TfBackendName = (typeof TF_BACKENDS)[number];

/** The npm package that provides each backend (cpu comes with @tensorflow/tfjs). */
export const TF_BACKEND_PACKAGES: Record<TfBackendName, string> = {
  cpu: '@tensorflow/tfjs',
  wasm: '@tensorflow/tfjs-backend-wasm',
  tensorflow: '@tensorflow/tfjs-node',
};

type Tf = typeof import('@tensorflow/tfjs');

function missing(name: TfBackendName, err: unknown): SmoothingError {
  const pkg = TF_BACKEND_PACKAGES[name];
  return new SmoothingError('ERR_UNSUPPORTED', `--tf-backend ${name} needs ${pkg}, which is not installed.`, {
    argument: '--tf-backend',
    value: name,
    fix: `npm install ${pkg} (an optional peer dependency of stochastic-smoothing), or pass --tf-backend cpu`,
    cause: err,
  });
}

/** Whether `pkg` resolves from this module (without loading it). */
function resolvable(pkg: string): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(pkg);
  } catch {
    return undefined;
  }
}

/** 'wasm' when @tensorflow/tfjs-backend-wasm is installed, else 'cpu'. */
export function defaultTfBackend(): TfBackendName {
  return resolvable(TF_BACKEND_PACKAGES.wasm) !== undefined ? 'wasm' : 'cpu';
}

export function parseTfBackend(value: string | undefined): TfBackendName {
  if (value === undefined || value === 'auto') return defaultTfBackend();
  if (!(TF_BACKENDS as readonly string[]).includes(value)) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `unknown --tf-backend ${JSON.stringify(value)}.`, { argument: '--tf-backend', value, fix: `use one of ${TF_BACKENDS.join(', ')} (or auto)` });
  }
  return value as TfBackendName;
}

/**
 * Load and select the backend; throws a SmoothingError naming the package when it is not installed.
 * Returns the backend name tfjs reports (what the results record).
 */
export async function useTfBackend(tf: Tf, name: TfBackendName): Promise<string> {
  if (name === 'wasm') {
    const entry = resolvable(TF_BACKEND_PACKAGES.wasm);
    if (entry === undefined) throw missing(name, new Error('not resolvable'));
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Under Node the backend looks for its .wasm files next to the calling script; they sit in the package's
    // dist folder (the Node entry point lives there as well).
    wasm.setWasmPaths(`${join(dirname(entry), '/')}`);
  } else if (name === 'tensorflow') {
    try {
      const pkg: string = TF_BACKEND_PACKAGES.tensorflow; // a variable: the optional package need not exist to typecheck
      await import(pkg);
    } catch (err) {
      throw missing(name, err);
    }
  }
  if (!(await tf.setBackend(name))) {
    throw new SmoothingError('ERR_UNSUPPORTED', `the TensorFlow.js backend '${name}' is installed but failed to start.`, { argument: '--tf-backend', value: name, fix: 'pass --tf-backend cpu' });
  }
  await tf.ready();
  return tf.getBackend();
}
