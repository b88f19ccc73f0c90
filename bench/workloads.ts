/** The benchmark workloads of the native-backend issue, shared by bench/run.ts and bench/rss.ts. */
import { blackboxes, type BlackBox, type DistributionName } from '../lib/index.js';

export interface Workload {
  id: string;
  title: string;
  box: () => BlackBox;
  batch: number;
  samples: number;
  distribution: DistributionName;
  /** forward + vjp, or forward + jacobian */
  mode: 'vjp' | 'jacobian';
  /** Default rqmc-latin. */
  sampler?: 'mc' | 'rqmc-latin';
  /** The id of the same workload in bench/peers/common.py (numpy and PyTorch run it too). */
  peer?: string;
  /** The backward pass with its standard errors (`{ stderr: true }`). */
  stderr?: boolean;
}

export const workloads: Workload[] = [
  { id: 'a-ranks100', title: '(a) ranks(100), B = 64, S = 4096, forward + vjp', box: () => blackboxes.ranks(100), batch: 64, samples: 4096, distribution: 'logistic', mode: 'vjp' },
  { id: 'a-perm5', title: '(a) permutation(5), B = 64, S = 4096, forward + vjp', box: () => blackboxes.permutation(5), batch: 64, samples: 4096, distribution: 'logistic', mode: 'vjp' },
  { id: 'b-path12', title: '(b) shortestPath(12, 12), B = 16, S = 1024, forward + vjp', box: () => blackboxes.shortestPath(12, 12), batch: 16, samples: 1024, distribution: 'logistic', mode: 'vjp' },
  { id: 'c-perm5-jac', title: '(c) permutation(5) Jacobian, B = 100, S = 256', box: () => blackboxes.permutation(5), batch: 100, samples: 256, distribution: 'laplace', mode: 'jacobian' },
];

/** The backward pass with its standard errors (bench/run.ts runs these after `workloads`; cpu vs js). */
export const stderrWorkloads: Workload[] = [
  { id: 'e-ranks100-stderr', title: '(e) ranks(100), B = 16, S = 4096, forward + vjp with stderr', box: () => blackboxes.ranks(100), batch: 16, samples: 4096, distribution: 'logistic', mode: 'vjp', stderr: true },
];

/** The workloads of issue 14, also written in numpy and PyTorch (bench/peers/): Gaussian, mc, loo, forward + vjp. */
export const peerWorkloads: Workload[] = [
  { id: 'p-ranks100', title: '(p) ranks(100), B = 64, S = 4096, Gaussian, mc', box: () => blackboxes.ranks(100), batch: 64, samples: 4096, distribution: 'gaussian', mode: 'vjp', sampler: 'mc', peer: 'ranks100' },
  { id: 'p-perm5', title: '(p) permutation(5), B = 64, S = 4096, Gaussian, mc', box: () => blackboxes.permutation(5), batch: 64, samples: 4096, distribution: 'gaussian', mode: 'vjp', sampler: 'mc', peer: 'perm5' },
  { id: 'p-path12', title: '(p) shortestPath(12, 12), B = 16, S = 1024, Gaussian, mc', box: () => blackboxes.shortestPath(12, 12), batch: 16, samples: 1024, distribution: 'gaussian', mode: 'vjp', sampler: 'mc' },
];

/** Deterministic inputs: scores in (−1, 1), path costs in (0.5, 1.5). */
export function inputs(w: Workload, n: number): Float32Array {
  const x = new Float32Array(w.batch * n);
  const path = w.id.startsWith('b') || w.id.includes('path');
  for (let k = 0; k < x.length; k++) x[k] = Math.sin(12.9898 * k) * (path ? 0.5 : 1) + (path ? 1 : 0);
  return x;
}
