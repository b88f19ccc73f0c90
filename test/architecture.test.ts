/** ARCHITECTURE.md stays true: every repository path it names in backticks exists (its checklists included). */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const text = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');

/** Backticked words that look like paths in this repository (a folder prefix or a file extension). */
function namedPaths(): string[] {
  const out = new Set<string>();
  for (const [, word] of text.matchAll(/`([^`\s]+)`/g)) {
    if (/^(lib|native|cuda|test|bench|scripts|docs|fuzz|cmake)\//.test(word) || /^[\w.-]+\.(md|json|ts|mjs|py|h|cc|cu|cuh|cmake)$/.test(word)) out.add(word);
  }
  return [...out];
}

test('every path ARCHITECTURE.md names exists', (t) => {
  const paths = namedPaths();
  t.true(paths.length >= 60, `found only ${paths.length} paths: the pattern no longer matches the page`);
  const missing = paths.filter((p) => !existsSync(join(root, p)));
  t.deepEqual(missing, []);
});

test('the path check catches a name that does not exist', (t) => {
  t.false(existsSync(join(root, 'lib/backends/js/backend-that-does-not-exist.ts')));
  t.true(namedPaths().includes('lib/backends/chunk-loop.ts'));
});
