/**
 * The training demos: a few-step run of each `train` command end to end (results.json, summary.md, SVG curves),
 * a short ranking run whose training loss must fall, bad flags refused before any training, and the core
 * package's import graph free of tfjs and mnist (they are optional peers).
 */
import * as tf from '@tensorflow/tfjs';
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { MethodResult } from '../lib/train/loop.js';
import { runRanking } from '../lib/train/ranking.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli', 'bin.js');

tf.env().set('IS_TEST', true); // no "install tfjs-node" banner in the test log
await tf.setBackend('cpu');

interface Results {
  demo: string;
  options: { steps: number; methods: string[] };
  results: MethodResult[];
}

for (const [demo, methods, metrics] of [
  ['ranking', ['laplace-loo', 'gaussian-none', 'neuralsort'], ['exact', 'elementwise']],
  ['paths', ['algorithm-logistic-loo', 'loss-logistic-loo', 'blackbox'], ['optimal', 'exact']],
] as const) {
  test(`train ${demo}: a 4-step run writes results.json, summary.md and the learning curves for every method`, async (t) => {
    const out = mkdtempSync(join(tmpdir(), `train-${demo}-`));
    const { stdout } = await run(process.execPath, [cli, 'train', demo, '--steps', '4', '--eval-every', '2', '--batch', '2', '--test-size', '6', '--samples', '32', '--out', out], { cwd: root });
    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    t.is(r.demo, demo);
    t.deepEqual(r.results.map((m) => m.id), [...methods]);
    for (const m of r.results) {
      t.deepEqual(m.curve.map((p) => p.step), [0, 2, 4], m.id);
      for (const p of m.curve.slice(1)) t.true(Number.isFinite(p.loss) && p.loss >= 0, `${m.id} loss ${p.loss}`);
      for (const key of metrics) {
        for (const p of m.curve) t.true(p.metrics[key] >= 0 && p.metrics[key] <= 1, `${m.id} ${key} ${p.metrics[key]}`);
        t.is(m.final[key], m.curve[2].metrics[key]);
      }
    }
    // Same initial weights and held-out data for every method: identical step-0 metrics.
    for (const m of r.results) t.deepEqual(m.curve[0].metrics, r.results[0].curve[0].metrics);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    for (const m of r.results) t.true(summary.includes(`| ${m.label} |`));
    for (const file of ['curves-loss.svg', ...metrics.map((k) => `curves-${k}.svg`)]) t.regex(readFileSync(join(out, file), 'utf8'), /^<svg/);
    t.regex(stdout, /Written to/);
  });
}

test('train ranking: 60 steps of Laplace + LOO smoothing lower the cross-entropy', async (t) => {
  const [r] = await runRanking({
    steps: 60, batch: 8, samples: 128, scale: 1, sampler: 'mc', learningRate: 1e-3, methods: ['laplace-loo'], backend: 'auto', seed: 3, evalEvery: 20, testSize: 20,
  });
  const losses = r.curve.slice(1).map((p) => p.loss);
  // Untrained: about ln 5 = 1.61 (a uniform relaxed permutation); the mean over steps 41–60 must be clearly lower.
  t.true(losses[0] > 1.3, `first losses ${losses[0]}`);
  t.true(losses[2] < losses[0] - 0.1, `losses ${losses.join(', ')}`);
});

test('train ranking: a -learned method trains γ with the weights (one Adam step moves log γ by the learning rate), at set size 3', async (t) => {
  const base = { batch: 4, samples: 64, scale: 0.7, sampler: 'mc', learningRate: 0.01, backend: 'auto', seed: 5, evalEvery: 1, testSize: 10, setSize: 3 } as const;
  const [one] = await runRanking({ ...base, steps: 1, methods: ['laplace-loo-learned'] });
  // Adam's first update is lr · m̂ / (√v̂ + ε) = lr · g / (|g| + ε): ± lr for any non-zero gradient of log γ.
  const moved = Math.log(one.learnedScale! / 0.7);
  t.true(Math.abs(Math.abs(moved) - 0.01) < 1e-4, `log γ moved by ${moved}`);
  t.regex(one.label, /γ learned/);
  const [many] = await runRanking({ ...base, steps: 20, methods: ['laplace-loo-learned'] });
  t.true(Number.isFinite(many.learnedScale!) && many.learnedScale! > 0 && many.learnedScale !== one.learnedScale, `γ after 20 steps: ${many.learnedScale}`);
  // Set size 3: the untrained loss is about ln 3, and every held-out share is a share.
  t.true(many.curve[1].loss > 0.8 && many.curve[1].loss < 1.5, `first loss ${many.curve[1].loss}`);
  for (const p of many.curve) for (const v of Object.values(p.metrics)) t.true(v >= 0 && v <= 1);
  // The fixed-scale method at the same settings has no learned scale.
  const [fixed] = await runRanking({ ...base, steps: 1, methods: ['laplace-loo'] });
  t.is(fixed.learnedScale, undefined);
});

test('train ranking --set-size 3 with a learned scale: the report names n and the final γ', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'train-n3-'));
  await run(process.execPath, [cli, 'train', 'ranking', '--set-size', '3', '--methods', 'laplace-loo-learned,neuralsort', '--steps', '2', '--eval-every', '2', '--batch', '2', '--test-size', '6', '--samples', '16', '--out', out], { cwd: root });
  const summary = readFileSync(join(out, 'summary.md'), 'utf8');
  t.regex(summary, /ranking \(n = 3\)/);
  t.regex(summary, /γ learned \(final γ = [0-9.]+\)/);
  t.regex(summary, /over N = 18 held-out trials/, 'element-wise trials = 3 × 6');
});

test('train: Ctrl-C stops after the current step, writes the report of what was done and exits 130', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'train-sigint-'));
  const child = spawn(process.execPath, [cli, 'train', 'paths', '--steps', '1000000', '--eval-every', '1000', '--batch', '2', '--test-size', '5', '--samples', '16', '--out', out], { cwd: root });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  let signalled = false;
  const code = await new Promise<number | null>((resolveExit) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      // The announcement comes after the handler is installed; wait a little so that some steps run.
      if (signalled || !/Ctrl-C stops early/.test(stderr)) return;
      signalled = true;
      setTimeout(() => child.kill('SIGINT'), 1500);
    });
    child.on('exit', resolveExit);
  });
  t.is(code, 130, stderr);
  t.regex(stdout, /Stopped early: 0 of 3 methods finished/);
  const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  t.is(r.results.length, 1);
  const [m] = r.results;
  t.false(m.completed);
  const last = m.curve[m.curve.length - 1];
  t.true(last.step > 0 && last.step < 1000000, `stopped at ${last.step}`);
  t.regex(readFileSync(join(out, 'summary.md'), 'utf8'), /\(stopped at step \d+\)/);
});

test('train: bad demo, method, flag values and sampler are refused before any training', async (t) => {
  const fails = async (args: string[], pattern: RegExp) => {
    const err = (await t.throwsAsync(run(process.execPath, [cli, 'train', ...args], { cwd: root }))) as Error & { code: number; stderr: string };
    t.regex(err.stderr, pattern, args.join(' '));
    t.notRegex(err.stderr, /train (ranking|paths) \|/, 'no training started');
  };
  await fails(['sorting'], /unknown demo/);
  await fails(['ranking', '--methods', 'laplace-loo,softsort'], /unknown training method 'softsort'/);
  await fails(['paths', '--methods', 'algorithm-gaussian-maybe'], /unknown training method/);
  await fails(['ranking', '--steps', '0'], /--steps must be a positive integer/);
  await fails(['paths', '--methods', ','], /--methods names no method/);
  await fails(['paths', '--scale=-1'], /--scale must be a positive number/);
  await fails(['ranking', '--sampler', 'halton'], /sampler/);
  await fails(['ranking', '--distribution', 'cauchy', '--covariate', 'loo', '--samples', '1'], /samples ≥ 2/);
  await fails(['ranking', '--set-size', '1'], /--set-size must be an integer in \[2, 10\]/);
  await fails(['ranking', '--set-size', '11'], /--set-size must be an integer in \[2, 10\]/);
  await fails(['paths', '--set-size', '3'], /--set-size is a ranking option/);
  await fails(['paths', '--methods', 'loss-logistic-loo-learned'], /unknown training method/);
  await fails(['ranking', '--methods', 'laplace-loo-trained'], /unknown training method/);
});

test('the core package does not import tfjs or mnist (optional peers): only dist/tfjs.js and the train command do', (t) => {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    // Static imports and re-exports only: the CLI's dynamic import() of the train command is the optional path.
    for (const m of source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else external.add(spec);
    }
  };
  visit(join(root, 'dist', 'index.js'));
  visit(join(root, 'dist', 'cli', 'main.js'));
  t.true(seen.size > 20, `walked ${seen.size} files`);
  const offending = [...external].filter((s) => s.startsWith('@tensorflow') || s === 'mnist');
  t.deepEqual(offending, []);
  t.true(existsSync(join(root, 'dist', 'tfjs.js')));
  t.regex(readFileSync(join(root, 'dist', 'tfjs.js'), 'utf8'), /from '@tensorflow\/tfjs-core'/);
});
