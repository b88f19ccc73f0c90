/** The results folder of a study: meta.json (the flags that shape the numbers) and cells.jsonl (finished cells). */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { invalid } from '../errors.js';

/**
 * Prepare `out` for a run: with `resume`, refuse flags that differ from those the kept cells were made with;
 * without it, drop the old cells. Returns the paths; the caller writes meta.json and appends cells.
 */
export function openResults(out: string, resume: boolean, meta: Record<string, unknown>): { metaFile: string; cellsFile: string } {
  mkdirSync(out, { recursive: true });
  const metaFile = join(out, 'meta.json');
  const cellsFile = join(out, 'cells.jsonl');
  if (resume && existsSync(metaFile)) {
    const old = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(meta)) {
      if (old[k] !== v) {
        throw invalid('--resume', out, `the results in ${out} were made with ${k} = ${String(old[k])}, not ${String(v)}.`, 'resume with the same flags, or write to a new --out folder');
      }
    }
  } else {
    rmSync(cellsFile, { force: true });
  }
  return { metaFile, cellsFile };
}
