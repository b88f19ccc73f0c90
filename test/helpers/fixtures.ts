/**
 * The reference values in test/fixtures/*.json (written by scripts/make-fixtures.py from independent sources,
 * see test/fixtures/README.md), shared with the C++ tests (native/test/fixtures.h). Each array is a list of rows
 * of a fixed width.
 */
import { readFileSync } from 'node:fs';

const cache = new Map<string, Record<string, unknown>>();

/** Rows of `width` numbers from the array `key` of test/fixtures/`file`. */
export function fixtureRows(file: string, key: string, width: number): number[][] {
  let data = cache.get(file);
  if (data === undefined) {
    data = JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
    cache.set(file, data);
  }
  const flat = data[key];
  if (!Array.isArray(flat) || flat.length === 0 || flat.length % width !== 0 || !flat.every((v) => typeof v === 'number')) {
    throw new Error(`test/fixtures/${file}: "${key}" is not a non-empty array of rows of ${width} numbers`);
  }
  const rows: number[][] = [];
  for (let k = 0; k < flat.length; k += width) rows.push(flat.slice(k, k + width) as number[]);
  return rows;
}
