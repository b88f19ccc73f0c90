/**
 * Study folders never mix flags: the reproducer (--scale 2 into a folder filled at 0.5, then --inputs 2),
 * --resume refusing the flag that differs, starting clean without --resume, and damaged state under --resume
 * (meta.json, a truncated cells.jsonl, a short reference file) as one line or recomputed to the same numbers.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli', 'bin.js');

async function cliRun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [cli, ...args], { cwd: root, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// Tiny settings: one setting, few samples; each run takes about a second.
const VARIANCE = ['variance', '--settings', 'permutation3', '--samples', '64', '--repeats', '2', '--inputs', '1', '--reference-samples', '2048', '--backend', 'js'];
const SAMPLES = ['samples', '--settings', 'permutation5', '--strategies', 'mc/loo,rqmc-sobol/loo', '--min-exp', '4', '--max-exp', '6', '--repeats', '2', '--inputs', '1', '--reference-exp', '10', '--backend', 'js'];

/** all.csv without the timing column: the numbers a run made. */
function values(dir: string): string {
  const [head, ...rows] = readFileSync(join(dir, 'all.csv'), 'utf8').trim().split('\n');
  const drop = head.split(',').indexOf('seconds');
  const cut = (line: string) => line.split(',').filter((_, i) => i !== drop).join(',');
  return [cut(head), ...rows.map(cut)].join('\n');
}

async function ok(t: import('ava').ExecutionContext, args: string[]): Promise<string> {
  const r = await cliRun(args);
  t.is(r.code, 0, `${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

function refused(t: import('ava').ExecutionContext, r: { code: number; stderr: string }, pattern: RegExp, label: string): void {
  t.is(r.code, 1, `${label}: ${r.stderr}`);
  t.is(r.stderr.trim().split('\n').length, 1, `${label}: one line:\n${r.stderr}`);
  t.regex(r.stderr, pattern, label);
}

for (const [name, base] of [['variance', VARIANCE], ['samples', SAMPLES]] as const) {
  test(`${name}: --scale 2 into a folder filled at 0.5 equals a fresh folder; --resume across flags is refused naming the flag`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `ss-${name}-flags-`));
    const [used, fresh2, freshInputs] = [join(dir, 'used'), join(dir, 'fresh-scale2'), join(dir, 'fresh-inputs2')];
    await ok(t, [...base, '--scale', '0.5', '--out', used]);
    const at05 = values(used);
    await Promise.all([ok(t, [...base, '--scale', '2', '--out', fresh2]), ok(t, [...base, '--scale', '2', '--inputs', '2', '--out', freshInputs])]);

    // --resume with another scale, seed, repeat or input count: refused, naming the flag and both values.
    for (const [flag, value, old] of [['--scale', '2', '0.5'], ['--seed', '5', '1'], ['--repeats', '3', '2'], ['--inputs', '2', '1']]) {
      const args = [...base, '--scale', '0.5', '--out', used, '--resume'];
      const i = args.indexOf(flag);
      if (i >= 0) args[i + 1] = value;
      else args.push(flag, value);
      refused(t, await cliRun(args), new RegExp(`cannot resume in .*: they were made with ${flag} ${old.replace('.', '\\.')}, not ${value.replace('.', '\\.')}`), `${flag} ${value}`);
    }
    t.is(values(used), at05, 'a refused run changes nothing');

    // The case: without --resume the folder starts clean, so nothing made at γ = 0.5 is reused.
    await ok(t, [...base, '--scale', '2', '--out', used]);
    t.is(values(used), values(fresh2));
    t.notDeepEqual(values(used), at05);
    // … and then --inputs 2 into the same folder: the numbers of a fresh folder, no NaN.
    await ok(t, [...base, '--scale', '2', '--inputs', '2', '--out', used]);
    t.is(values(used), values(freshInputs));
    t.notRegex(values(used), /NaN/);
    // The reference cache only holds what this run made.
    t.true(readdirSync(join(used, 'references')).every((f) => f.includes('-i2-g2-')), readdirSync(join(used, 'references')).join(' '));
  });
}

test('variance: a folder of another command, or any non-empty folder without meta.json, is refused and left alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-variance-foreign-'));
  const samples = join(dir, 'samples');
  await ok(t, [...SAMPLES, '--out', samples]);
  refused(t, await cliRun([...VARIANCE, '--out', samples]), /holds results of `samples`, not `variance`/, 'other command');
  refused(t, await cliRun([...VARIANCE, '--out', samples, '--resume']), /cannot resume .*: they are results of `samples`, not `variance`/, 'other command, --resume');
  const mine = join(dir, 'notes');
  mkdirSync(mine);
  writeFileSync(join(mine, 'thesis.md'), 'keep me');
  refused(t, await cliRun([...VARIANCE, '--out', mine]), /is not empty and holds no results of a study \(no meta\.json\)/, 'foreign folder');
  t.is(readFileSync(join(mine, 'thesis.md'), 'utf8'), 'keep me');
  t.true(existsSync(join(samples, 'all.csv')));
  // A bad or unavailable backend is refused before the folder is touched (it would otherwise start clean).
  refused(t, await cliRun(['samples', '--backend', 'gpu', '--out', samples]), /--backend must be auto, js, cpu or cuda/, 'bad backend');
  t.true(existsSync(join(samples, 'all.csv')), 'the earlier run is still there');
});

test('variance --resume with damaged state: meta.json and middle lines are one-line errors; a cut last line and a short reference are recomputed to the same numbers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-variance-damaged-'));
  const out = join(dir, 'run');
  await ok(t, [...VARIANCE, '--out', out]);
  const want = values(out);
  const cellsFile = join(out, 'cells.jsonl');
  const cells = readFileSync(cellsFile, 'utf8');

  // A truncated last line (a kill while appending) and a cut reference: recomputed, same numbers.
  const lines = cells.trimEnd().split('\n');
  writeFileSync(cellsFile, `${lines.slice(0, -1).join('\n')}\n${lines[lines.length - 1].slice(0, 25)}`);
  const refDir = join(out, 'references');
  const ref = join(refDir, readdirSync(refDir).find((f) => f.startsWith('permutation3-triangular-'))!); // the cut cell's reference
  truncateSync(ref, 10);
  await ok(t, [...VARIANCE, '--out', out, '--resume']);
  t.is(values(out), want);
  t.is(readFileSync(cellsFile, 'utf8').trimEnd().split('\n').length, lines.length, 'the cut cell was computed again, once');
  t.is(readFileSync(ref).byteLength, 4 * 27, 'the reference was rewritten whole (1 input × m = 9 × n = 3 floats)');

  // A damaged line in the middle: one line naming the file and line.
  const broken = readFileSync(cellsFile, 'utf8').split('\n');
  broken[3] = broken[3].slice(0, 20);
  writeFileSync(cellsFile, broken.join('\n'));
  refused(t, await cliRun([...VARIANCE, '--out', out, '--resume']), /cells\.jsonl is damaged at line 4 \(not JSON\)/, 'middle line');
  broken[3] = JSON.stringify({ setting: 'permutation3', distribution: 'gaussian', strategy: 'mc/none', feasible: 'yes' });
  writeFileSync(cellsFile, broken.join('\n'));
  refused(t, await cliRun([...VARIANCE, '--out', out, '--resume']), /cells\.jsonl line 4 is not a cell of this study/, 'wrong shape');

  // A damaged or foreign meta.json: one line; without --resume the run starts clean.
  writeFileSync(join(out, 'meta.json'), '{"command": "variance", "vers');
  refused(t, await cliRun([...VARIANCE, '--out', out, '--resume']), /meta\.json is damaged/, 'meta.json cut');
  writeFileSync(join(out, 'meta.json'), '{"samples": 64}');
  refused(t, await cliRun([...VARIANCE, '--out', out, '--resume']), /meta\.json does not describe a run/, 'meta.json of an older version');
  await ok(t, [...VARIANCE, '--out', out]);
  t.is(values(out), want);
});
