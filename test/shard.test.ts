/**
 * Sharded studies: shards run as separate processes (at the same time, with the index from the scheduler's
 * environment, using the commands of docs/cluster.md) and merged equal an unsharded run; merge refuses what
 * does not belong together.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli', 'bin.js');

async function cliRun(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Start processes at once (as an array job would) and wait for all; resolves to their exit codes and stderr. */
function concurrently(runs: Array<{ args: string[]; env: NodeJS.ProcessEnv }>): Promise<Array<{ code: number | null; stderr: string }>> {
  return Promise.all(
    runs.map(
      ({ args, env }) =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, JOB_COMPLETION_INDEX: undefined, SLURM_ARRAY_TASK_ID: undefined, SLURM_ARRAY_TASK_MIN: undefined, ...env } });
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          child.stdout.resume();
          child.on('exit', (code) => resolve({ code, stderr }));
        }),
    ),
  );
}

const TINY_VARIANCE = ['--settings', 'permutation3,permutation5', '--samples', '64', '--repeats', '2', '--inputs', '1', '--reference-samples', '2048'];
const VARIANCE = ['variance', ...TINY_VARIANCE, '--backend', 'js'];
const SAMPLES = ['samples', '--settings', 'permutation5,ranks100', '--strategies', 'mc/loo,rqmc-sobol/loo', '--min-exp', '4', '--max-exp', '6', '--repeats', '2', '--inputs', '1', '--reference-exp', '9', '--backend', 'js'];

/** The numbers of a results folder: CSV tables without the timing column, and the per-setting Markdown tables. */
function numbers(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.csv')) {
      const [head, ...rows] = readFileSync(join(dir, f), 'utf8').trim().split('\n');
      const drop = head.split(',').indexOf('seconds');
      const cut = (line: string) => line.split(',').filter((_, i) => i !== drop).join(',');
      files[f] = [cut(head), ...rows.map(cut)].join('\n');
    } else if (f.endsWith('.md') && f !== 'summary.md') {
      files[f] = readFileSync(join(dir, f), 'utf8');
    } else if (f.endsWith('.svg')) {
      files[f] = 'svg';
    }
  }
  return files;
}

let unsharded: Promise<Record<string, string>> | undefined;
/** The unsharded tiny variance run, made once for the tests of this file. */
function unshardedVariance(): Promise<Record<string, string>> {
  unsharded ??= (async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ss-shard-whole-')), 'whole');
    const r = await cliRun([...VARIANCE, '--out', out]);
    if (r.code !== 0) throw new Error(r.stderr);
    return numbers(out);
  })();
  return unsharded;
}

async function merged(t: import('ava').ExecutionContext, dirs: string[], out: string): Promise<Record<string, string>> {
  const r = await cliRun(['merge', ...dirs, '--out', out]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /Merged \d+ shards/);
  return numbers(out);
}

test('variance --shard 1/2 and 2/2, merged, equal the unsharded run (all.csv values, tables, the same files)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-shard-'));
  const shards = join(dir, 'shards');
  for (const i of [1, 2]) {
    const r = await cliRun([...VARIANCE, '--shard', `${i}/2`, '--out', shards]);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, new RegExp(`variance shard ${i}/2: \\d+ cells in .*shard-${i}-of-2`));
  }
  const meta = JSON.parse(readFileSync(join(shards, 'shard-1-of-2', 'meta.json'), 'utf8'));
  t.deepEqual(meta.shard, { index: 1, count: 2 });
  t.is(meta.command, 'variance');
  t.is(meta.flags['--samples'], 64);
  const cells = (i: number) => readFileSync(join(shards, `shard-${i}-of-2`, 'cells.jsonl'), 'utf8').trim().split('\n').length;
  t.true(cells(1) > 0 && cells(2) > 0, 'both shards have work');
  t.is(cells(1) + cells(2), 2 * 6 * 30, 'every cell once');
  const m = await merged(t, [shards], join(dir, 'merged'));
  t.deepEqual(m, await unshardedVariance());
  t.true(Object.keys(m).includes('all.csv') && Object.keys(m).includes('best-strategy.svg'));
});

/** The shard command of a docs/cluster.md block, with tiny settings, this machine's backend and a temporary folder. */
function docsCommand(args: string[], shards: number, out: string): string[] {
  const a = [...args];
  const set = (flag: string, value: string) => {
    const i = a.indexOf(flag);
    if (i >= 0) a[i + 1] = value;
  };
  set('--shards', String(shards));
  set('--backend', 'js');
  set('--out', out);
  return [...a, ...TINY_VARIANCE];
}

test('the Kubernetes Indexed Job of docs/cluster.md: 3 pods at once (JOB_COMPLETION_INDEX 0 … 2) and the merge Job equal the unsharded run', async (t) => {
  const doc = readFileSync(join(root, 'docs', 'cluster.md'), 'utf8');
  t.regex(doc, /completionMode: Indexed/);
  const shardArgs = JSON.parse(/args: (\["variance", "--shards".*\])/.exec(doc)![1]) as string[];
  const mergeArgs = JSON.parse(/args: (\["merge".*\])/.exec(doc)![1]) as string[];
  t.true(shardArgs.includes('--resume'), 'a retried pod continues its shard');
  const dir = mkdtempSync(join(tmpdir(), 'ss-shard-k8s-'));
  const shards = join(dir, 'variance-shards');
  const runs = [0, 1, 2].map((index) => ({ args: docsCommand(shardArgs, 3, shards), env: { JOB_COMPLETION_INDEX: String(index) } }));
  const results = await concurrently(runs);
  for (const r of results) t.is(r.code, 0, r.stderr);
  t.deepEqual(readdirSync(shards).sort(), ['shard-1-of-3', 'shard-2-of-3', 'shard-3-of-3']);
  // Progress without a TTY: plain lines in each pod's log.
  t.regex(results[0].stderr, /^variance 1\/3: \d+% · \d+\/\d+ cells/m);
  const m = await merged(t, [mergeArgs[1] === '/results/variance-shards' ? shards : mergeArgs[1]], join(dir, 'variance'));
  t.deepEqual(m, await unshardedVariance());
});

test('the Slurm array of docs/cluster.md: 2 tasks at once (SLURM_ARRAY_TASK_ID 1 … 2 of a 1-based array) and the merge equal the unsharded run', async (t) => {
  const doc = readFileSync(join(root, 'docs', 'cluster.md'), 'utf8');
  const line = /^npx stochastic-smoothing (variance --shards .*)$/m.exec(doc)![1];
  t.regex(doc, /#SBATCH --array=0-7/);
  t.regex(doc, /--wrap "npx stochastic-smoothing merge results\/variance-shards --out results\/variance"/);
  const dir = mkdtempSync(join(tmpdir(), 'ss-shard-slurm-'));
  const shards = join(dir, 'variance-shards');
  const runs = [1, 2].map((id) => ({ args: docsCommand(line.split(/\s+/), 2, shards), env: { SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: '1' } }));
  for (const r of await concurrently(runs)) t.is(r.code, 0, r.stderr);
  t.deepEqual(await merged(t, [join(shards, 'shard-2-of-2'), join(shards, 'shard-1-of-2')], join(dir, 'variance')), await unshardedVariance());
});

test('samples --shard 1/2 and 2/2, merged, equal the unsharded run (all.csv, slopes, crossovers, tables)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-shard-samples-'));
  const whole = join(dir, 'whole');
  const [w, ...shardRuns] = await Promise.all([cliRun([...SAMPLES, '--out', whole]), ...[1, 2].map((i) => cliRun([...SAMPLES, '--shard', `${i}/2`, '--out', join(dir, 'shards')]))]);
  t.is(w.code, 0, w.stderr);
  for (const r of shardRuns) t.is(r.code, 0, r.stderr);
  const m = await merged(t, [join(dir, 'shards')], join(dir, 'merged'));
  t.deepEqual(m, numbers(whole));
  t.true(['all.csv', 'slopes.csv', 'crossovers.csv', 'ranks100.md', 'permutation5-error-vs-S.svg'].every((f) => f in m), Object.keys(m).join(' '));
});

test('merge refuses missing shards, other flags, unfinished shards, duplicate cells and shards given twice, and writes nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-shard-bad-'));
  const shards = join(dir, 'shards');
  const other = join(dir, 'other');
  await Promise.all([
    cliRun([...VARIANCE, '--shard', '1/2', '--out', shards]),
    cliRun([...VARIANCE, '--shard', '2/2', '--out', shards]),
    cliRun([...VARIANCE, '--shard', '2/2', '--seed', '9', '--out', other]),
  ]);
  const [s1, s2, o2] = [join(shards, 'shard-1-of-2'), join(shards, 'shard-2-of-2'), join(other, 'shard-2-of-2')];
  const out = join(dir, 'merged');
  const refused = async (dirs: string[], pattern: RegExp, label: string) => {
    const r = await cliRun(['merge', ...dirs, '--out', out]);
    t.is(r.code, 1, `${label}: ${r.stderr}`);
    t.is(r.stderr.trim().split('\n').length, 1, `${label}: one line`);
    t.regex(r.stderr, pattern, label);
    t.false(existsSync(join(out, 'all.csv')), `${label}: nothing written`);
  };
  await refused([s1], /shards 2\/2 are missing/, 'missing shard');
  for (const target of [s2, shards]) {
    const r = await cliRun(['merge', s1, s2, '--out', target]);
    t.is(r.code, 1);
    t.regex(r.stderr, /would overwrite the shard/);
  }
  t.true(existsSync(join(s2, 'cells.jsonl')), 'the shard is intact');
  await refused([s1, o2], /does not match .*: they were made with --seed 1, not 9/, 'other flags');
  await refused([s1, s1, s2], /shard 1\/2 is given twice/, 'given twice');
  // An unfinished shard: a cell dropped from its cells.jsonl.
  const cellsFile = join(s2, 'cells.jsonl');
  const lines = readFileSync(cellsFile, 'utf8').trimEnd().split('\n');
  writeFileSync(cellsFile, `${lines.slice(1).join('\n')}\n`);
  await refused([s1, s2], /1 of 360 cells are missing .*a shard did not finish/, 'missing cell');
  // A cell in two shards.
  writeFileSync(cellsFile, `${lines.join('\n')}\n`);
  appendFileSync(join(s1, 'cells.jsonl'), `${lines[0]}\n`);
  await refused([s1, s2], /1 cells appear in two shards/, 'duplicate cell');
  const whole = join(dir, 'whole');
  await cliRun([...VARIANCE, '--out', whole]);
  await refused([whole], /is a whole run, not a shard/, 'not a shard');
});

test('one estimate per cell (--repeats 1 --inputs 1, so no standard error): the merge still equals the unsharded run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-shard-one-'));
  const one = ['variance', '--settings', 'permutation3', '--samples', '64', '--repeats', '1', '--inputs', '1', '--reference-samples', '1024', '--backend', 'js'];
  const results = await Promise.all([cliRun([...one, '--out', join(dir, 'whole')]), cliRun([...one, '--shard', '1/2', '--out', join(dir, 'shards')]), cliRun([...one, '--shard', '2/2', '--out', join(dir, 'shards')])]);
  for (const r of results) t.is(r.code, 0, r.stderr);
  const whole = numbers(join(dir, 'whole'));
  t.regex(whole['all.csv'], /NaN/, 'the standard errors are not available with one estimate');
  t.deepEqual(await merged(t, [join(dir, 'shards')], join(dir, 'merged')), whole);
});
