/** The main job end to end: `variance --quick` writes parseable tables with every feasible cell and marked infeasible ones. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DISTRIBUTIONS, SETTINGS, STRATEGIES, feasibility } from '../lib/experiments/variance-config.js';

const run = promisify(execFile);
const cli = new URL('../dist/cli/bin.js', import.meta.url).pathname;

test('variance --quick: CSV, Markdown and SVG for every setting; feasible cells measured, infeasible ones marked', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ss-variance-'));
  const { stdout } = await run(process.execPath, [cli, 'variance', '--quick', '--out', out], { maxBuffer: 1 << 24 });
  t.regex(stdout, /Estimator benchmark on the (cpu|js|cuda) backend/);
  const all = readFileSync(join(out, 'all.csv'), 'utf8').trim().split('\n');
  const head = all[0].split(',');
  const rows = all.slice(1).map((line) => Object.fromEntries(line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((v, i) => [head[i], v])));
  t.is(rows.length, SETTINGS.length * DISTRIBUTIONS.length * STRATEGIES.length, 'one row per cell, infeasible ones included');
  let feasibleCount = 0;
  for (const setting of SETTINGS) {
    for (const d of DISTRIBUTIONS) {
      for (const st of STRATEGIES) {
        const row = rows.find((r) => r.setting === setting.id && r.distribution === d && r.strategy === st.id);
        t.truthy(row, `${setting.id} ${d} ${st.id} present`);
        const f = feasibility(setting, d, st, 256);
        t.is(row!.feasible, String(f.feasible), `${setting.id} ${d} ${st.id} feasibility`);
        if (f.feasible) {
          feasibleCount++;
          const mse = Number(row!.jacobian_mse);
          t.true(Number.isFinite(mse) && mse > 0 && mse < 1, `${setting.id} ${d} ${st.id}: jacobian mse ${row!.jacobian_mse}`);
          t.true(Number(row!.vjp_mse) > 0);
        } else {
          t.is(row!.jacobian_mse, '');
          t.true(row!.note.length > 0, 'an infeasible cell says why');
        }
      }
    }
    const md = readFileSync(join(out, `${setting.id}.md`), 'utf8');
    const tableRows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| strategy'));
    t.is(tableRows.length, 2 * STRATEGIES.length, `${setting.id}: two tables of ${STRATEGIES.length} strategies`);
    t.is((md.match(/\*\*/g) ?? []).length, 2 * 2 * DISTRIBUTIONS.length, `${setting.id}: one best cell per column per table`);
    const svg = readFileSync(join(out, `${setting.id}-heatmap.svg`), 'utf8');
    t.true(svg.startsWith('<svg') && svg.includes('log10 MSE'));
  }
  t.true(feasibleCount > 500);
  t.true(readFileSync(join(out, 'best-strategy.svg'), 'utf8').startsWith('<svg'));
  // Gumbel never gets antithetic pairs, and Cartesian is infeasible on the 64- and 144-dimensional grids.
  t.true(rows.filter((r) => r.distribution === 'gumbel' && r.strategy.endsWith('/anti')).every((r) => r.feasible === 'false'));
  t.true(rows.filter((r) => r.setting.startsWith('shortestPath') && r.strategy.startsWith('rqmc-cartesian')).every((r) => r.feasible === 'false'));

  // --resume with the same flags keeps every cell and recomputes nothing.
  const before = readFileSync(join(out, 'cells.jsonl'), 'utf8');
  await run(process.execPath, [cli, 'variance', '--quick', '--out', out, '--resume']);
  t.is(readFileSync(join(out, 'cells.jsonl'), 'utf8'), before);
  // --resume with different flags is refused.
  const err = await t.throwsAsync(run(process.execPath, [cli, 'variance', '--quick', '--samples', '128', '--out', out, '--resume']));
  t.regex((err as unknown as { stderr: string }).stderr, /ERR_INVALID_ARGUMENT/);
  t.true(existsSync(join(out, 'summary.md')));
});

test('variance stops cleanly on SIGINT, keeps the finished cells, and --resume completes the run', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ss-variance-int-'));
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [cli, 'variance', '--quick', '--settings', 'shortestPath12', '--backend', 'js', '--out', out]);
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const cellsFile = join(out, 'cells.jsonl');
  while (!existsSync(cellsFile) || readFileSync(cellsFile, 'utf8').split('\n').length < 5) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.is(code, 130);
  t.regex(stdout, /--resume/);
  const kept = readFileSync(cellsFile, 'utf8').trim().split('\n').length;
  t.true(kept >= 4 && kept < DISTRIBUTIONS.length * STRATEGIES.length, `kept ${kept} cells`);
  await run(process.execPath, [cli, 'variance', '--quick', '--settings', 'shortestPath12', '--out', out, '--resume'], { maxBuffer: 1 << 24 });
  t.is(readFileSync(cellsFile, 'utf8').trim().split('\n').length, DISTRIBUTIONS.length * STRATEGIES.length);
});
