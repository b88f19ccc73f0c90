/**
 * What the two study commands (variance, samples) share: the common flags, the default folders (--quick gets
 * its own), the shard of this process (--shard i/N, or --shards N with the index from the scheduler), the
 * progress display, and Ctrl-C that stops after the current call while the report is still written.
 */
import { join } from 'node:path';
import { invalid } from '../errors.js';
import type { ShardInfo, StudyProgress, StudyRunOptions } from '../experiments/results-folder.js';
import { BACKEND_NAMES, selectBackend } from '../backends/index.js';
import type { BackendName } from '../types.js';
import { intFlag, nameList, parseFlags, scaleFlag, type FlagSpec } from './flags.js';
import { progressReporter, type Progress } from './progress.js';

/** Flags every study command takes (each command adds its own). */
export const STUDY_FLAGS = {
  settings: { type: 'string' },
  repeats: { type: 'string' },
  inputs: { type: 'string' },
  scale: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string', default: 'auto' },
  out: { type: 'string' },
  resume: { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  shard: { type: 'string' },
  shards: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies FlagSpec;

/** Help lines for the common flags (after the command's own). */
export function studyHelp(defaultOut: string): string {
  return `  --seed N              base seed                                                   (default 1)
  --backend NAME        auto | js | cpu | cuda                                      (default auto)
  --out DIR             results folder          (default ${defaultOut}; with --quick ${defaultOut}-quick)
  --resume              keep the finished cells in DIR and run the rest (same flags, or refused)
  --shard i/N           compute only shard i of N (whole groups of cells that share a reference) into
                        DIR/shard-i-of-N; join the shards with \`stochastic-smoothing merge\` (docs/cluster.md)
  --shards N            the same, with i from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID
                        (minus SLURM_ARRAY_TASK_MIN, so 0-based and 1-based arrays both work)
  -h, --help            this text

Without --resume, a folder holding an earlier run of this command is cleared of that run's files (cells,
cached references, tables) and started clean; a non-empty folder holding anything else is refused.`;
}

/**
 * This process's shard: `--shard i/N` (1-based i), or `--shards N` with the 0-based index of the scheduler
 * (JOB_COMPLETION_INDEX of a Kubernetes Indexed Job, SLURM_ARRAY_TASK_ID of a Slurm array).
 */
export function resolveShard(shard: string | undefined, shards: string | undefined, env: NodeJS.ProcessEnv = process.env): ShardInfo | undefined {
  if (shard !== undefined && shards !== undefined) throw invalid('--shards', shards, '--shard and --shards exclude each other.', 'pass --shard i/N, or --shards N with the index from the scheduler');
  if (shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(shard.trim());
    const index = m ? Number(m[1]) : NaN;
    const count = m ? Number(m[2]) : NaN;
    if (!m || !(count >= 1 && count <= 100_000) || !(index >= 1 && index <= count)) {
      throw invalid('--shard', shard, '--shard must be i/N with 1 ≤ i ≤ N (shards are counted from 1).', 'for example --shard 1/4 … --shard 4/4');
    }
    return { index, count };
  }
  if (shards === undefined) return undefined;
  const count = intFlag('--shards', shards, 1, 1, 100_000);
  let index: number;
  let source: string;
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    source = 'JOB_COMPLETION_INDEX';
    index = Number(env.JOB_COMPLETION_INDEX);
  } else if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    source = 'SLURM_ARRAY_TASK_ID';
    index = Number(env.SLURM_ARRAY_TASK_ID) - Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
  } else {
    throw invalid('--shards', shards, '--shards needs the shard index from the scheduler, and neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set.', 'run it as a Kubernetes Indexed Job or a Slurm array, or pass --shard i/N');
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw invalid('--shards', shards, `${source} gives shard index ${index} (0-based), outside 0 … ${count - 1}.`, `start ${count} tasks with indices 0 … ${count - 1} (Slurm: --array=0-${count - 1})`);
  }
  return { index: index + 1, count };
}

/** The folder a shard writes into: a subfolder of --out, so that concurrent shards never share one. */
export const shardFolder = (out: string, s: ShardInfo) => join(out, `shard-${s.index}-of-${s.count}`);

/** The parsed common flags, with the folder resolved (repeats and inputs take the command's own default). */
export interface StudyBase extends Pick<StudyRunOptions, 'scale' | 'seed' | 'backend' | 'out' | 'resume' | 'shard'> {
  values: Record<string, string | boolean | undefined>;
  quick: boolean;
  settings?: string[];
  repeats: (fallback: number) => number;
  inputs: (fallback: number) => number;
}

/** The --backend flag, checked (name and availability) before the results folder is touched. */
export function backendFlag(text: string): 'auto' | BackendName {
  if (text !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(text)) throw invalid('--backend', text, '--backend must be auto, js, cpu or cuda.', 'for example --backend auto');
  selectBackend(text as 'auto' | BackendName, '--backend');
  return text as 'auto' | BackendName;
}

export function parseStudy<S extends FlagSpec>(command: string, args: string[], spec: S, defaultOut: string): StudyBase {
  const { values } = parseFlags(command, args, { ...STUDY_FLAGS, ...spec });
  const v = values as Record<string, string | boolean | undefined>;
  const quick = v.quick === true;
  const shard = resolveShard(v.shard as string | undefined, v.shards as string | undefined);
  const base = (v.out as string | undefined) ?? (quick ? `${defaultOut}-quick` : defaultOut);
  return {
    values: v,
    quick,
    settings: v.settings === undefined ? undefined : nameList('--settings', v.settings as string),
    repeats: (fallback) => intFlag('--repeats', v.repeats as string | undefined, fallback),
    inputs: (fallback) => intFlag('--inputs', v.inputs as string | undefined, fallback),
    scale: scaleFlag(v.scale as string | undefined),
    seed: intFlag('--seed', v.seed as string | undefined, 1, 0),
    backend: backendFlag(v.backend as string),
    out: shard ? shardFolder(base, shard) : base,
    resume: v.resume === true,
    shard,
  };
}


/**
 * Run a study with progress and Ctrl-C (a second Ctrl-C exits at once), then write its report (a whole run)
 * or say how to merge (a shard). Exit code 0, or 130 when stopped early (the finished cells stay in `out`).
 */
export async function runStudy<R extends { completed: boolean; cells: unknown[] }>(
  name: string,
  study: { out: string; shard?: ShardInfo },
  run: (signal: AbortSignal, onProgress: (p: StudyProgress) => void) => Promise<R>,
  report: (result: R) => Promise<string>,
): Promise<number> {
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  };
  const progress: Progress = await progressReporter(study.shard ? `${name} ${study.shard.index}/${study.shard.count}` : name);
  process.on('SIGINT', onSigint);
  try {
    const result = await run(controller.signal, (p) => progress.update({ done: p.work, total: p.totalWork, detail: `${p.cells}/${p.totalCells} cells`, label: p.label }));
    progress.stop();
    if (study.shard) {
      const s = study.shard;
      console.log(`${name} shard ${s.index}/${s.count}: ${result.cells.length} cells in ${study.out}${result.completed ? '' : ' (stopped early)'}.`);
      console.log(`When all ${s.count} shards are done: stochastic-smoothing merge ${join(study.out, '..')} --out DIR`);
    } else {
      console.log(await report(result));
    }
    if (!result.completed) {
      console.log(`Stopped: the finished cells are kept in ${study.out}; continue with the same flags and --resume.`);
      return 130;
    }
    return 0;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
  }
}
