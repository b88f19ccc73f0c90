/** CLI conventions: --version, help for every command, one-line errors with exit codes, bounded and strict inputs. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { editDistance, nearest, numberList, numbersFromFile, readInputFile } from '../lib/cli/flags.js';
import { COMMAND_HELP } from '../lib/cli/help.js';
import { describeError, loadCommand } from '../lib/cli/main.js';
import { SmoothingError } from '../lib/errors.js';
import { plainProgress } from '../lib/cli/progress.js';
import { resolveShard } from '../lib/cli/study.js';
import { assignShards } from '../lib/experiments/shards.js';

const execFileP = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli', 'bin.js');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function cliRun(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, ms: Date.now() - started };
  }
}

/** A failure as the conventions want it: the exit code, exactly one line on stderr, no stack trace. */
function oneLineFailure(t: import('ava').ExecutionContext, r: Result, code: number, pattern: RegExp, label: string): void {
  t.is(r.code, code, `${label}: exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n');
  t.is(lines.length, 1, `${label}: one line, got:\n${r.stderr}`);
  t.notRegex(r.stderr, /^\s+at /m, `${label}: no stack trace`);
  t.regex(r.stderr, pattern, label);
}

test('--version prints the package version; help and -h/--help answer for the program and every command with exit 0', async (t) => {
  const v = await cliRun(['--version']);
  t.is(v.code, 0);
  t.is(v.stdout.trim(), pkg.version);
  for (const args of [[], ['help'], ['--help'], ['-h']]) {
    const r = await cliRun(args);
    t.is(r.code, 0, args.join(' '));
    for (const command of Object.keys(COMMAND_HELP)) t.regex(r.stdout, new RegExp(`^  ${command}\\b`, 'm'), `program help lists ${command}`);
  }
  const commands = ['info', 'estimate', 'demo', 'variance', 'samples', 'merge', 'train'];
  t.deepEqual(Object.keys(COMMAND_HELP).sort(), [...commands].sort());
  // Every command with -h, and each with one more of the other forms (help first, whatever else is passed).
  const forms = (c: string) => [[c, '--help'], ['help', c], [c, '--settings', 'x', '--help'], [c, '--no-such-flag', '-h']];
  const calls = commands.flatMap((c, i) => [[c, '-h'], forms(c)[i % 4]]);
  const results = await Promise.all(calls.map((args) => cliRun(args)));
  calls.forEach((args, i) => {
    t.is(results[i].code, 0, args.join(' '));
    t.true(results[i].stdout.startsWith(`Usage: stochastic-smoothing ${args[0] === 'help' ? args[1] : args[0]}`), `${args.join(' ')}: ${results[i].stdout.slice(0, 60)}`);
  });
});

test('the README lists every command, and --quick runs write to their own default folder', async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const cliSection = /## CLI\n([\s\S]*?)\n## /.exec(readme)![1];
  for (const command of Object.keys(COMMAND_HELP)) t.regex(cliSection, new RegExp(`npx stochastic-smoothing ${command}\\b`), `README lists ${command}`);
  const cwd = mkdtempSync(join(tmpdir(), 'ss-cli-quick-'));
  const { stdout } = await execFileP(process.execPath, [cli, 'variance', '--quick', '--settings', 'permutation3', '--samples', '16', '--reference-samples', '256', '--backend', 'js'], { cwd, maxBuffer: 1 << 24 });
  t.regex(stdout, /results\/variance-quick\//);
  t.true(readFileSync(join(cwd, 'results', 'variance-quick', 'all.csv'), 'utf8').startsWith('setting,'));
  t.false(existsSync(join(cwd, 'results', 'variance')), 'the full run\'s folder is untouched');
});

test('every command names an unknown flag and suggests the nearest known one (exit 2, one line)', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['variance', '--sampels', '8'], /unknown flag --sampels for variance; did you mean --samples\?/],
    [['samples', '--max-epx', '8'], /unknown flag --max-epx for samples; did you mean --max-exp\?/],
    [['estimate', 'argmax', '--n', '3', '--jacobain'], /unknown flag --jacobain for estimate; did you mean --jacobian\?/],
    [['info', '--jsn'], /unknown flag --jsn for info; did you mean --json\?/],
    [['demo', '--fast'], /unknown flag --fast for demo/],
    [['merge', 'x', '--ot', 'y'], /unknown flag --ot for merge; did you mean --out\?/],
    [['train', 'ranking', '--step', '3'], /unknown flag --step for train; did you mean --steps\?/],
    [['--verison'], /unknown flag "--verison"; did you mean --version\?/],
    [['varaince'], /unknown command "varaince"; did you mean variance\?/],
  ];
  const results = await Promise.all(cases.map(([args]) => cliRun(args)));
  cases.forEach(([args, pattern], i) => oneLineFailure(t, results[i], 2, pattern, args.join(' ')));
});

test('file and flag errors are one line and a non-zero exit: missing, folder, endless or oversized inputs, --out a file, empty list items', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-cli-err-'));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
  const est = ['estimate', 'permutation', '--n', '3'];
  const cases: Array<[string[], RegExp]> = [
    [[...est, '--x-file', join(dir, 'missing.json')], /--x-file .*missing\.json cannot be read \(ENOENT\)/],
    [[...est, '--x-file', dir], /--x-file .* is a folder, not a file/],
    [[...est, '--x', '1,,2,3'], /--x must be a list of finite numbers: item 2 is empty/],
    [[...est, '--x', '1,2,3,'], /item 4 is empty/],
    [[...est, '--x', ',1,2'], /item 1 is empty/],
    [[...est, '--x', '1,2,abc'], /item 3 \("abc"\) is not a finite number/],
    [[...est, '--x', '1,2,3', '--vjp', '1,,0,0,0,0,0,0,1'], /--vjp must be a list of finite numbers: item 2 is empty/],
    [[...est, '--x'], /usage|argument missing/i],
    [['variance', '--out', file, '--quick'], /is a file, not a folder/],
    [['samples', '--out', join(file, 'sub'), '--quick'], /(is a file, not a folder|cannot be created)/],
    [['train', 'ranking', '--out', file], /is a file, not a folder/],
    [['variance', '--settings', 'permutation3,,permutation5'], /--settings has an empty item/],
    [['variance', '--shard', '3/2'], /--shard must be i\/N/],
    [['variance', '--shards', '2'], /neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set/],
    [['merge', dir, '--out', join(dir, 'm')], /holds neither meta\.json nor shard-i-of-N folders/],
  ];
  const results = await Promise.all(cases.map(([args]) => cliRun(args, { JOB_COMPLETION_INDEX: undefined, SLURM_ARRAY_TASK_ID: undefined })));
  for (const [i, [args, pattern]] of cases.entries()) {
    const r = results[i];
    t.true(r.code === 1 || r.code === 2, `${args.join(' ')}: exit ${r.code}`);
    oneLineFailure(t, r, r.code, pattern, args.join(' '));
  }
  // An endless input stops at the size limit, quickly, instead of reading until the process dies.
  const zero = await cliRun([...est, '--x-file', '/dev/zero']);
  oneLineFailure(t, zero, 1, /--x-file \/dev\/zero holds more than the limit of \d+ bytes/, '/dev/zero');
  t.true(zero.ms < 20_000, `/dev/zero refused in ${zero.ms} ms`);
});

test('number lists: commas or white space, optional brackets; empty items, non-finite numbers and empty lists are refused', (t) => {
  t.deepEqual(Array.from(numberList('1, 2  3,4', '--x')), [1, 2, 3, 4]);
  t.deepEqual(Array.from(numberList(' [0.5,-1e-3]\n', '--x')), [0.5, Math.fround(-1e-3)]);
  for (const bad of ['1,,2,3', '1,2,', ',1', '', '[]', '1,Infinity', '1,NaN', '1;2', '1, ,2']) {
    t.throws(() => numberList(bad, '--x'), { name: 'SmoothingError', message: /--x must be a list of finite numbers/ }, JSON.stringify(bad));
  }
  const dir = mkdtempSync(join(tmpdir(), 'ss-cli-list-'));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  t.deepEqual(Array.from(numbersFromFile(write('nested.json', '[[1, 2], [3, 4]]\n'), '--x-file')), [1, 2, 3, 4]);
  t.deepEqual(Array.from(numbersFromFile(write('plain.txt', '1 2\n3\n'), '--x-file')), [1, 2, 3]);
  t.throws(() => numbersFromFile(write('bad.json', '[1, "2"]'), '--x-file'), { message: /entry 2 is "2"/ });
  t.throws(() => numbersFromFile(write('null.json', '[1, null]'), '--x-file'), { message: /entry 2 is null/ });
  t.throws(() => readInputFile(write('big.txt', '1,'.repeat(600)), '--x-file', 1000), { message: /has 1200 bytes, more than the limit of 1000/ });
  mkdirSync(join(dir, 'sub'));
  t.throws(() => readInputFile(join(dir, 'sub'), '--x-file'), { message: /is a folder/ });
});

test('nearest-flag suggestions: typos and prefixes, but not unrelated words', (t) => {
  t.is(editDistance('samples', 'sampels'), 2);
  t.is(editDistance('', 'abc'), 3);
  const flags = ['samples', 'seed', 'scale', 'settings', 'repeats', 'reference-samples', 'out', 'resume'];
  t.is(nearest('sampels', flags), 'samples');
  t.is(nearest('refer', flags), 'reference-samples');
  t.is(nearest('resum', flags), 'resume');
  t.is(nearest('banana-split', flags), undefined);
});

test('plain progress (no TTY): a line per 5% of the work or per 10 s, whichever comes first, and a last line at stop', (t) => {
  const lines: string[] = [];
  let now = 0;
  const p = plainProgress('study', (l) => lines.push(l), () => now);
  for (let i = 0; i <= 100; i++) {
    now = i * 100; // 0.1 s per 1 %: the 5% rule fires
    p.update({ done: i, total: 100, detail: `${i}/100 cells`, label: `cell ${i}` });
  }
  t.is(lines.length, 21, lines.join('\n'));
  t.regex(lines[1], /^study: 5% · 5\/100 cells · \d+ s elapsed · ETA \d+ s · cell 5$/);
  t.regex(lines[lines.length - 1], /^study: 100% /);
  lines.length = 0;
  now = 0;
  const slow = plainProgress('slow', (l) => lines.push(l), () => now);
  for (let i = 0; i < 1000; i++) {
    now = i * 1000; // 1 s per 0.1 %: the 10 s rule fires
    slow.update({ done: i, total: 1000, detail: '', label: '' });
  }
  t.true(lines.length >= 99 && lines.length <= 101, `${lines.length} lines over 1000 s`);
  slow.stop();
  t.regex(lines[lines.length - 1], /^slow: 100% /);
});

test('--shard i/N and --shards N with JOB_COMPLETION_INDEX (0-based) or SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN)', (t) => {
  t.deepEqual(resolveShard('2/3', undefined, {}), { index: 2, count: 3 });
  t.is(resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1' }), undefined);
  t.deepEqual(resolveShard(undefined, '4', { JOB_COMPLETION_INDEX: '0' }), { index: 1, count: 4 });
  t.deepEqual(resolveShard(undefined, '4', { SLURM_ARRAY_TASK_ID: '3' }), { index: 4, count: 4 });
  t.deepEqual(resolveShard(undefined, '4', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1' }), { index: 4, count: 4 });
  for (const [shard, shards, env] of [
    ['0/3', undefined, {}],
    ['4/3', undefined, {}],
    ['1/0', undefined, {}],
    ['a/b', undefined, {}],
    ['1/2', '2', {}],
    [undefined, '4', {}],
    [undefined, '4', { JOB_COMPLETION_INDEX: '4' }],
    [undefined, '4', { SLURM_ARRAY_TASK_ID: '4' }],
    [undefined, '0', { JOB_COMPLETION_INDEX: '0' }],
  ] as Array<[string | undefined, string | undefined, NodeJS.ProcessEnv]>) {
    t.throws(() => resolveShard(shard, shards, env), { name: 'SmoothingError' }, `${shard} ${shards} ${JSON.stringify(env)}`);
  }
});

test('the shard split: every group in exactly one shard, deterministic, and balanced within the largest group', (t) => {
  const groups = Array.from({ length: 24 }, (_, i) => ({ key: `g${i}`, work: ((i * 7919) % 13) + 1 + (i % 5 === 0 ? 40 : 0) }));
  for (const count of [1, 2, 3, 5, 24, 30]) {
    const a = assignShards(groups, count);
    t.deepEqual(assignShards(groups, count), a, 'deterministic');
    t.true(a.every((s) => Number.isInteger(s) && s >= 0 && s < count));
    const load = new Array<number>(count).fill(0);
    a.forEach((s, i) => (load[s] += groups[i].work));
    const largest = Math.max(...groups.map((g) => g.work));
    // Greedy list scheduling: the fullest shard got its last group while it was the emptiest.
    t.true(Math.max(...load) - Math.min(...load) <= largest, `count ${count}: loads ${load.join(', ')}`);
    t.is(load.reduce((x, y) => x + y, 0), groups.reduce((x, g) => x + g.work, 0));
  }
});

test('any failure prints as one line: SmoothingError with its code, system errors with theirs, others by message', (t) => {
  t.is(describeError(new SmoothingError('ERR_INVALID_ARGUMENT', 'bad.', { argument: '--x', value: 1, fix: 'good' })), 'error ERR_INVALID_ARGUMENT: bad. (argument: --x, value: 1) Fix: good');
  t.is(describeError(new SmoothingError('ERR_INVALID_ARGUMENT', 'two problems:\n  a\n  b')), 'error ERR_INVALID_ARGUMENT: two problems: a b');
  const sys = Object.assign(new Error('EACCES: permission denied, open \'/x\''), { code: 'EACCES' });
  t.is(describeError(sys), "error EACCES: EACCES: permission denied, open '/x'");
  t.is(describeError(new RangeError('first line\nsecond line')), 'error: first line');
  t.is(describeError('thrown text'), 'error: thrown text');
});

test('a command whose optional package is missing says what to install (one line), other load errors pass through', async (t) => {
  const missing = (name: string) => async () => {
    throw Object.assign(new Error(`Cannot find package '${name}' imported from /x/charts.js`), { code: 'ERR_MODULE_NOT_FOUND' });
  };
  const err = await t.throwsAsync(loadCommand('variance', missing('vega-lite')), { instanceOf: SmoothingError });
  t.is(describeError(err), 'error ERR_UNSUPPORTED: the variance command needs the package vega-lite, which is not installed. Fix: npm install vega vega-lite');
  await t.throwsAsync(loadCommand('samples', missing('./lost.js')), { message: /lost\.js/, code: 'ERR_MODULE_NOT_FOUND' });
});
