/**
 * CI smoke run of the convolutional training path: both demos through the CLI with --tf-backend wasm --model cnn
 * for a few steps (outputs exist, losses finite, the backend, model and step timing recorded), the optional
 * backends' errors, and the paths demo's cached training maps.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MethodResult } from '../lib/train/loop.js';
import { TRAINING_MAPS, TrainingMaps } from '../lib/train/paths.js';
import { createRng } from '../lib/train/rng.js';
import { terrainBatch } from '../lib/train/terrain.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli', 'bin.js');

interface Results {
  options: { model: string; tfBackend: string };
  results: MethodResult[];
}

for (const [demo, methods] of [
  ['ranking', 'laplace-loo,neuralsort'],
  ['paths', 'algorithm-logistic-loo,loss-logistic-loo,blackbox'],
] as const) {
  test(`train ${demo} --tf-backend wasm --model cnn: a 3-step run writes finite losses, the backend, the model and the op's share of each step`, async (t) => {
    const out = mkdtempSync(join(tmpdir(), `train-smoke-${demo}-`));
    await run(process.execPath, [cli, 'train', demo, '--tf-backend', 'wasm', '--model', 'cnn', '--methods', methods, '--steps', '3', '--eval-every', '3', '--batch', '2', '--test-size', '4', '--samples', '16', '--out', out], { cwd: root });
    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    t.is(r.options.tfBackend, 'wasm');
    t.is(r.options.model, 'cnn');
    t.is(r.results.length, methods.split(',').length);
    for (const m of r.results) {
      t.true(m.completed, m.id);
      t.deepEqual(m.curve.map((p) => p.step), [0, 3], m.id);
      t.true(Number.isFinite(m.curve[1].loss), `${m.id} loss ${m.curve[1].loss}`);
      const timing = m.timing!;
      t.is(timing.steps, 2, 'the first step is not timed');
      t.true(timing.msPerStep > 0 && timing.opMsPerStep >= 0 && timing.opMsPerStep <= timing.msPerStep, `${m.id} ${JSON.stringify(timing)}`);
      // Every method here has an op outside tfjs except NeuralSort, whose op time must be exactly 0.
      if (m.id === 'neuralsort') t.is(timing.opMsPerStep, 0);
      else t.true(timing.opMsPerStep > 0, `${m.id} op time`);
    }
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    t.regex(summary, /model cnn on tfjs wasm/);
    t.regex(summary, /ms\/step \(op share\)/);
  });
}

test('train: the per-demo defaults the help states (ranking: cnn at Adam 0.003; paths: dense at 0.001)', async (t) => {
  for (const [demo, method, model, lr] of [['ranking', 'neuralsort', 'cnn', 0.003], ['paths', 'blackbox', 'dense', 0.001]] as const) {
    const out = mkdtempSync(join(tmpdir(), `train-defaults-${demo}-`));
    await run(process.execPath, [cli, 'train', demo, '--tf-backend', 'wasm', '--methods', method, '--steps', '1', '--eval-every', '1', '--batch', '2', '--test-size', '2', '--out', out], { cwd: root });
    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results & { options: { learningRate: number } };
    t.is(r.options.model, model, demo);
    t.is(r.options.learningRate, lr, demo);
  }
  const { stdout } = await run(process.execPath, [cli, 'train', '--help'], { cwd: root });
  t.regex(stdout, /--model NAME .*\(cnn \/ dense\)/);
  t.regex(stdout, /--lr X .*\(0\.003 \/ 0\.001/);
});

test('train: a bad --model or --tf-backend is refused before training; a missing tfjs-node is named in one line', async (t) => {
  const fails = async (args: string[]) => {
    const err = (await t.throwsAsync(run(process.execPath, [cli, 'train', ...args], { cwd: root }))) as Error & { stderr: string };
    t.notRegex(err.stderr, /train (ranking|paths) \|/, 'no training started');
    return err.stderr;
  };
  t.regex(await fails(['ranking', '--model', 'resnet']), /unknown --model "resnet"/);
  t.regex(await fails(['paths', '--tf-backend', 'webgl']), /unknown --tf-backend "webgl"/);
  let installed = true;
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
  } catch {
    installed = false;
  }
  if (installed) {
    t.pass('@tensorflow/tfjs-node is installed here: the missing-package message cannot be observed');
    return;
  }
  const stderr = await fails(['paths', '--tf-backend', 'tensorflow', '--steps', '1', '--out', mkdtempSync(join(tmpdir(), 'train-tf-'))]);
  t.regex(stderr, /--tf-backend tensorflow needs @tensorflow\/tfjs-node, which is not installed\./);
  t.regex(stderr, /npm install @tensorflow\/tfjs-node/);
});

test('paths: the cached training maps are the maps of a fresh stream, generated once, then cycled', (t) => {
  const B = 3;
  const maps = new TrainingMaps(createRng(42), B);
  const stream = createRng(42);
  for (let step = 1; step <= 4; step++) {
    const fresh = terrainBatch(stream, B, 12, 12, 4);
    const cached = maps.forStep(step);
    t.deepEqual(cached.batch.costs, fresh.costs, `step ${step}`);
    t.deepEqual(cached.batch.images, fresh.images, `step ${step}`);
    t.is(cached.paths.reduce((a, v) => a + v, 0) >= 12, true, 'a path crosses at least 12 cells');
    t.is(maps.forStep(step), cached, 'the same object: not generated again');
  }
  const capacity = Math.floor(TRAINING_MAPS / B);
  t.is(maps.forStep(capacity + 2), maps.forStep(2), 'after the pool, the steps cycle through it');
});

test('train paths --seeds 2: both seeds run and summary.md carries the mean ± std table', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'train-seeds-'));
  await run(process.execPath, [cli, 'train', 'paths', '--methods', 'blackbox', '--steps', '2', '--eval-every', '2', '--batch', '2', '--test-size', '4', '--seeds', '2', '--seed', '5', '--out', out], { cwd: root });
  const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results & { seedRuns: { seed: number; results: MethodResult[] }[] };
  t.deepEqual(r.seedRuns.map((s) => s.seed), [5, 6]);
  t.deepEqual(r.results, r.seedRuns[0].results);
  // Different seeds: different initial weights and held-out maps, so the step-0 metrics differ in general; the
  // curves must at least both be complete.
  for (const s of r.seedRuns) t.deepEqual(s.results[0].curve.map((p) => p.step), [0, 2]);
  t.regex(readFileSync(join(out, 'summary.md'), 'utf8'), /Over the training seeds 5, 6 .*\n\n\| method \| optimal paths: mean ± std over 2 seeds/);
});
