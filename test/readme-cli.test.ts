/** The README's quick start runs as written against the built package, and the CLI works end to end. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { blackboxes, smooth } from '../lib/index.js';
import { DEFAULTS } from '../lib/smooth.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli', 'bin.js');

test('the README quick start runs as written (importing the package by name after the build)', async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /## Quick start\s+```js\n([\s\S]*?)```/.exec(readme);
  t.truthy(block, 'README has a js quick-start block');
  // Written inside the repository so that `import 'stochastic-smoothing'` resolves through package "exports".
  const file = join(root, 'dist', '.readme-quickstart.mjs');
  writeFileSync(file, block![1]);
  const { stdout } = await run(process.execPath, [file], { cwd: root });
  t.regex(stdout, /^(js|cpu|cuda) Float32Array\(25\)/m);
  t.regex(stdout, /Float32Array\(5\)/);
});

test('the README tfjs example runs as written (stochastic-smoothing/tfjs by name) and its loss falls', async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /## Training in TensorFlow\.js[^\n]*\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme);
  t.truthy(block, 'README has a js block in the tfjs section');
  const file = join(root, 'dist', '.readme-tfjs.mjs');
  writeFileSync(file, block![1]);
  const { stdout } = await run(process.execPath, [file], { cwd: root });
  const losses = [...stdout.matchAll(/step (\d+): cross-entropy ([\d.]+)/g)].map((m) => Number(m[2]));
  t.is(losses.length, 3, stdout);
  t.true(losses[2] < 0.5 * losses[0], `cross-entropy ${losses.join(' → ')}`);
});

test('cli info --json lists the backends and the version', async (t) => {
  const { stdout } = await run(process.execPath, [cli, 'info', '--json']);
  const info = JSON.parse(stdout);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  t.is(info.version, pkg.version);
  t.deepEqual(info.backends.map((b: { name: string }) => b.name).sort(), ['cpu', 'cuda', 'js']);
  t.true(info.backends.find((b: { name: string }) => b.name === 'js').available);
});

test('cli estimate --json prints value, stderr, jacobian and vjp of the right shapes', async (t) => {
  const { stdout } = await run(process.execPath, [cli, 'estimate', 'permutation', '--n', '3', '--x', '0.3,0.1,0.2', '--samples', '512', '--jacobian', '--vjp', '1,0,0,0,1,0,0,0,1', '--json']);
  const out = JSON.parse(stdout);
  t.is(out.value.length, 9);
  t.is(out.stderr.length, 9);
  t.is(out.jacobian.length, 27);
  t.is(out.vjp.length, 3);
  // rows of the expected permutation matrix sum to 1
  for (let i = 0; i < 3; i++) t.true(Math.abs(out.value[3 * i] + out.value[3 * i + 1] + out.value[3 * i + 2] - 1) < 1e-5);
});

test('cli estimate reads x from a file and rejects bad flags with a SmoothingError message and exit code 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-cli-'));
  const file = join(dir, 'costs.json');
  writeFileSync(file, JSON.stringify([1, 5, 1, 1, 5, 1, 1, 1, 1]));
  const { stdout } = await run(process.execPath, [cli, 'estimate', 'shortest-path', '--rows', '3', '--cols', '3', '--x-file', file, '--samples', '256', '--json']);
  const out = JSON.parse(stdout);
  t.is(out.value.length, 9);
  t.true(out.value[0] > 0.999 && out.value[8] > 0.999, 'start and target are always on the path');
  const err = await t.throwsAsync(run(process.execPath, [cli, 'estimate', 'permutation', '--n', '3', '--x', '1,2,3', '--samples', '1.5']));
  t.is((err as { code?: number }).code, 1);
  t.regex((err as { stderr?: string }).stderr ?? '', /ERR_INVALID_ARGUMENT/);
  const err2 = await t.throwsAsync(run(process.execPath, [cli, 'estimate', 'permutation', '--n', '3', '--x', '1,2,3', '--distribution', 'uniform']));
  t.regex((err2 as { stderr?: string }).stderr ?? '', /ERR_UNSUPPORTED.*absolutely continuous/s);
});

test('cli estimate without estimator flags uses the library defaults: the same numbers as smooth(box, { scale: 1 })', async (t) => {
  const { stdout } = await run(process.execPath, [cli, 'estimate', 'ranks', '--n', '4', '--x', '0.3,0.1,0.2,0.25', '--backend', 'js', '--json']);
  const report = JSON.parse(stdout) as { value: number[]; stderr: number[]; options: Record<string, unknown> };
  const lib = await smooth(blackboxes.ranks(4), { scale: 1, backend: 'js' }).forward(new Float32Array([0.3, 0.1, 0.2, 0.25]));
  t.deepEqual(report.value, Array.from(lib.value));
  t.deepEqual(report.stderr, Array.from(lib.stderr));
  t.like(report.options, { distribution: DEFAULTS.distribution, samples: DEFAULTS.samples, sampler: DEFAULTS.sampler, covariate: DEFAULTS.covariate });
});
