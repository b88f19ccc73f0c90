/**
 * `stochastic-smoothing merge DIR… --out DIR`: join the shard folders of one sharded study into the folder an
 * unsharded run would have written (meta.json, cells.jsonl, the same tables and plots, equal values). Every
 * shard must come from the same command, version and flags; missing shards, missing cells and cells found
 * in two shards are reported and nothing is written.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { invalid } from '../errors.js';
import { appendCell, identityDifference, openResults, readCells, readMeta, writeMeta, type RunIdentity } from '../experiments/results-folder.js';
import { writeSamplesReport } from '../experiments/samples-report.js';
import { cellKey as sampleKey, isSampleCell, planSamples, samplesIdentity, samplesRunFrom, type SampleCell, type SamplesFlags } from '../experiments/samples.js';
import { writeReport } from '../experiments/variance-report.js';
import { cellKey as varianceKey, isCell, planVariance, varianceIdentity, varianceRunFrom, type Cell, type VarianceFlags } from '../experiments/variance.js';
import { parseFlags } from './flags.js';


interface ShardDir {
  dir: string;
  meta: RunIdentity & Record<string, unknown>;
}

/** The shard folders named by `dirs` (a parent stands for its shard-* subfolders). */
function shardDirs(dirs: string[]): string[] {
  const found: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw invalid('DIR', dir, `${dir} is not a folder.`, 'pass shard folders (or the folder that holds them)');
    if (existsSync(join(dir, 'meta.json'))) {
      found.push(dir);
      continue;
    }
    const subs = readdirSync(dir).filter((d) => /^shard-\d+-of-\d+$/.test(d)).sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
    if (subs.length === 0) throw invalid('DIR', dir, `${dir} holds neither meta.json nor shard-i-of-N folders.`, 'pass the --out folder of the shard runs, or the shard folders');
    found.push(...subs.map((d) => join(dir, d)));
  }
  return found;
}

const list = (items: string[], max = 5) => `${items.slice(0, max).join(', ')}${items.length > max ? ` and ${items.length - max} more` : ''}`;

export async function mergeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('merge', args, { out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }, true);
  if (positionals.length === 0) throw invalid('DIR', undefined, 'merge needs the shard folders.', 'stochastic-smoothing merge results/shards --out results/variance');
  if (values.out === undefined) throw invalid('--out', undefined, 'merge needs --out DIR for the merged results.', 'pass --out results/variance (or another folder)');
  const shards: ShardDir[] = shardDirs(positionals).map((dir) => ({ dir, meta: readMeta(dir, 'DIR') }));
  // The merged folder starts clean: it must not be one of the shards (or hold them).
  const target = resolve(values.out);
  const clash = shards.find((s) => resolve(s.dir) === target || resolve(s.dir).startsWith(`${target}${sep}`));
  if (clash) throw invalid('--out', values.out, `--out ${values.out} would overwrite the shard ${clash.dir}.`, 'merge into a new folder, for example --out results/variance');

  // Same command, version and flags everywhere; every shard of 1 … N exactly once.
  const first = shards[0];
  if (!first.meta.shard) throw invalid('DIR', first.dir, `${first.dir} is a whole run, not a shard.`, 'pass the folders written with --shard or --shards');
  const count = first.meta.shard.count;
  const seen = new Map<number, string>();
  for (const s of shards) {
    if (!s.meta.shard) throw invalid('DIR', s.dir, `${s.dir} is a whole run, not a shard.`, 'pass the folders written with --shard or --shards');
    const difference = identityDifference({ ...first.meta, shard: undefined }, { ...s.meta, shard: undefined });
    if (difference) throw invalid('DIR', s.dir, `${s.dir} does not match ${first.dir}: ${difference}.`, 'merge only shards of one run (same command, version and flags)');
    if (s.meta.shard.count !== count) throw invalid('DIR', s.dir, `${s.dir} is shard ${s.meta.shard.index} of ${s.meta.shard.count}, but ${first.dir} is one of ${count}.`, 'merge only shards of one split');
    const other = seen.get(s.meta.shard.index);
    if (other !== undefined) throw invalid('DIR', s.dir, `shard ${s.meta.shard.index}/${count} is given twice (${other} and ${s.dir}).`, 'pass each shard folder once');
    seen.set(s.meta.shard.index, s.dir);
  }
  const missingShards = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missingShards.length > 0) throw invalid('DIR', positionals.join(' '), `shards ${list(missingShards.map((i) => `${i}/${count}`))} are missing.`, 'run the missing shards (or pass their folders) and merge again');

  const command = first.meta.command;
  const options = first.meta.options as VarianceFlags & SamplesFlags;
  if (!options || typeof options !== 'object') throw invalid('DIR', first.dir, `${first.dir}/meta.json has no options.`, 'run the shards again with this version');
  // The whole plan, recomputed from the flags; the identity must be what the shards recorded.
  const plannedKeys =
    command === 'variance'
      ? planVariance(options).planned.map((p) => varianceKey({ setting: p.setting.id, distribution: p.distribution, strategy: p.strategy.id }))
      : planSamples(options).planned.map((p) => sampleKey(p.setting.id, p.distribution, p.strategy.id, p.exp));
  const identity = command === 'variance' ? varianceIdentity(options) : samplesIdentity(options);
  const mismatch = identityDifference(identity, { ...first.meta, shard: undefined });
  if (mismatch) throw invalid('DIR', first.dir, `${first.dir}/meta.json is inconsistent: ${mismatch}.`, 'run the shards again with this version');

  const planned = new Set(plannedKeys);
  const where = new Map<string, string>();
  const cells: Array<Cell | SampleCell> = [];
  const duplicates: string[] = [];
  for (const s of shards) {
    const shardCells: Array<Cell | SampleCell> = command === 'variance' ? readCells(join(s.dir, 'cells.jsonl'), isCell) : readCells(join(s.dir, 'cells.jsonl'), isSampleCell);
    for (const c of shardCells) {
      const k = command === 'variance' ? varianceKey(c) : sampleKey(c.setting, c.distribution, c.strategy, (c as SampleCell).exp);
      if (!planned.has(k)) continue; // a cell of an earlier --resume with other settings: not part of this run
      const other = where.get(k);
      if (other !== undefined) {
        duplicates.push(`${k} (${other} and ${s.dir})`);
        continue;
      }
      where.set(k, s.dir);
      cells.push(c);
    }
  }
  if (duplicates.length > 0) throw invalid('DIR', positionals.join(' '), `${duplicates.length} cells appear in two shards: ${list(duplicates, 3)}.`, 'merge shards of one split only');
  const missing = plannedKeys.filter((k) => !where.has(k));
  if (missing.length > 0) {
    throw invalid('DIR', positionals.join(' '), `${missing.length} of ${plannedKeys.length} cells are missing (${list(missing, 3)}): a shard did not finish.`, 'continue the unfinished shards with the same flags and --resume, then merge again');
  }

  const { metaFile, cellsFile } = openResults(values.out, false, identity);
  const seconds = 0;
  const run = command === 'variance' ? varianceRunFrom(options, cells as Cell[], true, seconds) : samplesRunFrom(options, cells as SampleCell[], true, seconds);
  writeMeta(metaFile, { ...identity, options, ...run.meta, cellCount: run.cells.length, mergedFrom: shards.map((s) => s.dir) });
  for (const c of run.cells) appendCell(cellsFile, c);
  console.log(`Merged ${shards.length} shards (${run.cells.length} cells) into ${values.out}.`);
  console.log(command === 'variance' ? await writeReport(values.out, run as Parameters<typeof writeReport>[1]) : await writeSamplesReport(values.out, run as Parameters<typeof writeSamplesReport>[1]));
  return 0;
}
