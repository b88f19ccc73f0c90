/**
 * The README's fromFunction and Fenchel–Young examples run as written against the built package, and what they
 * print agrees with the closed forms they quote (within 5 printed standard errors).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

/** Runs the first js block after `heading` (written inside the repository so that the package name resolves). */
async function runBlock(heading: RegExp, file: string): Promise<string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.search(heading);
  if (at < 0) throw new Error(`README has no section ${heading}`);
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`no js block after ${heading}`);
  const path = join(root, 'dist', file);
  writeFileSync(path, block[1]);
  return (await run(process.execPath, [path], { cwd: root })).stdout;
}

test('README fromFunction example runs and matches E|x+ε| = x + e^{−x}', async (t) => {
  const stdout = await runBlock(/\*\*A plain function\*\*/, '.readme-from-function.mjs');
  const pairs = [...stdout.matchAll(/([\d.]+) ± ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  t.is(pairs.length, 2, stdout);
  const exact = [0.5 + Math.exp(-0.5) + 2 * (1.5 + Math.exp(-1.5)), 2 + Math.exp(-2) + 2 * (0.25 + Math.exp(-0.25))];
  pairs.forEach(([v, se], b) => t.true(Math.abs(v - exact[b]) <= 5 * se + 1e-3, `${v} ± ${se} vs ${exact[b]}`));
});

test('README Fenchel–Young example runs: F within 5 s.e. of its closed form, gradient ≈ softmax(θ) − y', async (t) => {
  const stdout = await runBlock(/### Fenchel–Young loss and perturbed maximum/, '.readme-fenchel-young.mjs');
  const f = /F = ([-\d.]+) ± ([\d.]+) \(exact ([-\d.]+)\)/.exec(stdout);
  t.truthy(f, stdout);
  t.true(Math.abs(Number(f![1]) - Number(f![3])) <= 5 * Number(f![2]) + 1e-3, f![0]);
  const g = /loss [-\d.]+ gradient (.*)/.exec(stdout);
  t.truthy(g, stdout);
  const grad = g![1].split(',').map((s) => Number(s.replace(/['\s[\]]/g, '')));
  const e = [1, 0, -1].map(Math.exp);
  const z = e[0] + e[1] + e[2];
  const truth = [e[0] / z, e[1] / z - 1, e[2] / z];
  // S = 8192 mc draws: each entry's standard error is ≤ √(0.25/8192) ≈ 0.0055; the print rounds to 0.01.
  grad.forEach((v, j) => t.true(Math.abs(v - truth[j]) <= 0.035, `gradient ${j}: ${v} vs ${truth[j]}`));
  t.regex(stdout, /top2 F [-\d.]+ gradient/);
});

test('README standard-error example runs: each Jacobian diagonal within 5 printed standard errors of p − p²', async (t) => {
  const stdout = await runBlock(/### Standard errors of the gradients/, '.readme-stderr.mjs');
  const rows = [...stdout.matchAll(/= ([-\d.]+) ± ([\d.]+) \(exact ([-\d.]+)\)/g)];
  t.is(rows.length, 3, stdout);
  for (const [line, est, se, exact] of rows) {
    t.true(Number(se) > 0, line);
    t.true(Math.abs(Number(est) - Number(exact)) <= 5 * Number(se) + 1e-4, line);
  }
});
