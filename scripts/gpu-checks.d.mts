/** Types of scripts/gpu-checks.mjs (plain ESM so that it runs on the GPU machine without TypeScript). */
import type { CudaAddon } from '../lib/backends/cuda.js';
import type { NativeAddon } from '../lib/backends/native/addon.js';

export const ROOT: string;
export const DISTRIBUTIONS: readonly string[];
export const COVARIATES: readonly string[];
export const FAULT_ENV: string;
export const DRY_RUN: boolean;
export const TARGET: 'cuda' | 'cpu';

export interface CheckContext {
  log(message: string): void;
  cuda?: CudaAddon;
  cudaPath?: string;
  cpu?: NativeAddon;
}
export interface GpuCheck {
  name: string;
  run(ctx: CheckContext): Promise<string | void>;
}
export const checks: GpuCheck[];
export function makeContext(log?: (message: string) => void): CheckContext;
export function loadNative(file: string): { addon: unknown; path: string } | { reason: string };
export function cudaInfo(): { name: string; available: boolean; reason?: string; device?: string } | undefined;
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, label: string, tol?: number): number;
export function smoke(ctx: CheckContext): Promise<void>;

export interface GpuWorkload {
  id: string;
  title: string;
  box: [string, ...number[]];
  batch: number;
  samples: number;
  distribution: string;
  mode: 'vjp' | 'jacobian';
  targetMs?: number;
  targetSpeedup?: number;
  cpuSamples?: number;
  /** smooth option outputCache for this workload (default: the library's 64 MiB). */
  outputCache?: number;
}
export const BENCH_WORKLOADS: GpuWorkload[];
export const GPU_WORKLOADS: GpuWorkload[];
export function workloadInputs(w: GpuWorkload, n: number): Float32Array;
export function timeWorkload(
  w: GpuWorkload,
  backend: 'js' | 'cpu' | 'cuda',
  options?: { minRuns?: number; maxRuns?: number; budgetMs?: number; warmup?: boolean; samples?: number },
): Promise<{ median: number; runs: number; warmup: number; samples: number }>;
