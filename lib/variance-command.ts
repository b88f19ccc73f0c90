/** `stochastic-smoothing variance`: flags, progress bar, Ctrl-C, resume; the work is in experiments/. */
import { intFlag, runInterruptible, scaleFlag } from './experiments/interruptible.js';
import { SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';
import { SETTINGS } from './experiments/variance-config.js';
import { writeReport } from './experiments/variance-report.js';
import { runVariance, type VarianceOptions } from './experiments/variance.js';
import type { BackendName } from './types.js';

const HELP = `Usage: stochastic-smoothing variance [options]

The estimator benchmark of the paper (§4.1): every distribution × every feasible strategy of
{mc, qmc-latin, rqmc-latin, rqmc-cartesian, rqmc-sobol} × {none, fx, loo} × {antithetic or not}, on
permutation(3), permutation(5), shortestPath(8, 8) and shortestPath(12, 12). Metric: MSE of the Jacobian
and of a fixed-v VJP against an rqmc-sobol + loo reference with far more samples, over repeats.

Options:
  --settings a,b        subset of ${SETTINGS.map((s) => s.id).join(', ')}   (default: all)
  --samples S           samples per estimate (Cartesian: nearest k^n)              (default 1024)
  --repeats R           independent repeats per input                              (default 8)
  --inputs I            seeded inputs per setting                                  (default 2)
  --scale γ             noise scale                                                (default 0.5)
  --reference-samples N samples of the reference (rqmc-sobol + loo)                (default 262144)
  --seed N              base seed                                                  (default 1)
  --backend NAME        auto | js | cpu | cuda                                     (default auto)
  --out DIR             results folder                                             (default results/variance)
  --resume              keep the finished cells in DIR and run the rest
  --quick               a small run: S = 256, R = 2, I = 1, reference 16384 samples
`;

export async function varianceCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      settings: { type: 'string' },
      samples: { type: 'string' },
      repeats: { type: 'string' },
      inputs: { type: 'string' },
      scale: { type: 'string' },
      'reference-samples': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      out: { type: 'string', default: 'results/variance' },
      resume: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const q = values.quick;
  const int = intFlag;
  const scale = scaleFlag(values.scale);
  const controller = new AbortController();
  const options: VarianceOptions = {
    settings: values.settings ? values.settings.split(',') : SETTINGS.map((s) => s.id),
    samples: int('--samples', values.samples, q ? 256 : 1024),
    repeats: int('--repeats', values.repeats, q ? 2 : 8),
    inputs: int('--inputs', values.inputs, q ? 1 : 2),
    scale,
    referenceSamples: int('--reference-samples', values['reference-samples'], q ? 1 << 14 : 1 << 18),
    seed: values.seed === undefined ? 1 : int('--seed', values.seed, 1),
    backend: values.backend as 'auto' | BackendName,
    out: values.out!,
    resume: values.resume!,
    signal: controller.signal,
  };

  const bar = new SingleBar({
    format: 'variance |{bar}| {percentage}% · {value}/{total} cells · ETA {eta_formatted} · {label}',
    etaBuffer: 50,
    hideCursor: true,
    stream: process.stderr,
  });
  let barStarted = false;
  options.onProgress = (done, total, label) => {
    if (!barStarted) {
      bar.start(total, done, { label });
      barStarted = true;
    } else bar.update(done, { label });
  };
  const stopBar = () => {
    if (barStarted) bar.stop();
  };
  return runInterruptible(controller, stopBar, options.out, () => runVariance(options), (run) => writeReport(options.out, run));
}
