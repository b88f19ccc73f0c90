/** The sample-count study end to end: `samples --quick` writes every cell, finite slopes and the plots; --resume recomputes nothing. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_STRATEGIES, SAMPLE_NOISES, SAMPLE_SETTINGS } from '../lib/experiments/samples.js';

const run = promisify(execFile);
const cli = new URL('../dist/cli/bin.js', import.meta.url).pathname;

function parseCsv(text: string): Array<Record<string, string>> {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [cols[i], v])));
}

test('samples --quick: every (setting, distribution, strategy, S) cell, finite slopes, SVG plots; --resume recomputes nothing', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ss-samples-'));
  const { stdout } = await run(process.execPath, [cli, 'samples', '--quick', '--out', out], { maxBuffer: 1 << 24 });
  t.regex(stdout, /Sample-count study on the (cpu|js|cuda) backend/);

  const exps = [4, 5, 6, 7, 8, 9, 10];
  const rows = parseCsv(readFileSync(join(out, 'all.csv'), 'utf8'));
  t.is(rows.length, SAMPLE_SETTINGS.length * SAMPLE_NOISES.length * DEFAULT_STRATEGIES.length * exps.length);
  for (const s of SAMPLE_SETTINGS) {
    for (const d of SAMPLE_NOISES) {
      for (const st of DEFAULT_STRATEGIES) {
        for (const e of exps) {
          const row = rows.find((r) => r.setting === s.id && r.distribution === d && r.strategy === st && Number(r.exp) === e);
          t.truthy(row, `${s.id} ${d} ${st} 2^${e} present`);
          t.is(Number(row!.samples), 2 ** e);
          t.is(Number(row!.reference_samples), 2 ** 14);
          const rmse = Number(row!.jacobian_rmse);
          t.true(Number.isFinite(rmse) && rmse > 0, `${s.id} ${d} ${st} 2^${e}: rmse ${row!.jacobian_rmse}`);
          t.true(Number(row!.vjp_rmse) > 0);
        }
      }
    }
    const svg = readFileSync(join(out, `${s.id}-error-vs-S.svg`), 'utf8');
    t.true(svg.startsWith('<svg') && svg.includes('RMSE'), `${s.id} plot`);
    t.true(readFileSync(join(out, `${s.id}.md`), 'utf8').includes('Crossovers'));
  }

  const slopes = parseCsv(readFileSync(join(out, 'slopes.csv'), 'utf8'));
  t.is(slopes.length, SAMPLE_SETTINGS.length * SAMPLE_NOISES.length * DEFAULT_STRATEGIES.length);
  for (const r of slopes) {
    const slope = Number(r.jacobian_slope);
    t.true(Number.isFinite(slope) && Number.isFinite(Number(r.vjp_slope)), `${r.setting} ${r.distribution} ${r.strategy}: slope ${r.jacobian_slope}`);
    // Monte Carlo converges at S^-1/2: a clearly negative slope, whatever the distribution.
    if (r.strategy === 'mc/loo') t.true(slope < -0.2 && slope > -0.8, `${r.setting} ${r.distribution} mc: slope ${slope}`);
  }
  const crossovers = parseCsv(readFileSync(join(out, 'crossovers.csv'), 'utf8'));
  t.is(crossovers.length, SAMPLE_SETTINGS.length * (SAMPLE_NOISES.length * (SAMPLE_NOISES.length - 1)) / 2, 'one row per pair of distributions');
  t.true(readFileSync(join(out, 'summary.md'), 'utf8').includes('Fitted convergence rates'));

  // --resume with the same flags keeps every cell and recomputes nothing (cells and cached references untouched).
  const before = readFileSync(join(out, 'cells.jsonl'), 'utf8');
  const refs = readdirSync(join(out, 'references')).map((f) => [f, statSync(join(out, 'references', f)).mtimeMs] as const);
  t.is(refs.length, SAMPLE_SETTINGS.length * SAMPLE_NOISES.length);
  await run(process.execPath, [cli, 'samples', '--quick', '--out', out, '--resume'], { maxBuffer: 1 << 24 });
  t.is(readFileSync(join(out, 'cells.jsonl'), 'utf8'), before);
  for (const [f, mtime] of refs) t.is(statSync(join(out, 'references', f)).mtimeMs, mtime, `${f} not recomputed`);
  // --resume with different flags is refused.
  const err = await t.throwsAsync(run(process.execPath, [cli, 'samples', '--quick', '--repeats', '3', '--out', out, '--resume']));
  t.regex((err as unknown as { stderr: string }).stderr, /ERR_INVALID_ARGUMENT/);
  t.true(existsSync(join(out, 'meta.json')));
});
