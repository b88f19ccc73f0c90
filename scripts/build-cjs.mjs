#!/usr/bin/env node
// The CommonJS build (dist/cjs/), run after `tsc` by `npm run build`, so that `require('stochastic-smoothing')`
// and `require('stochastic-smoothing/tfjs')` work on every Node 20+ (not only where require() of ES modules is on).
//
// It converts, file by file, exactly the modules that the two public entry points (lib/index.ts, lib/tfjs.ts)
// import — the CLI (top-level await) stays ESM-only — with esbuild's transform (TypeScript → CommonJS; tsc
// cannot emit CommonJS for files that use import.meta). `import.meta.url` becomes the file's own URL, built
// from __filename. Declarations are tsc's (dist/**/*.d.ts) copied into dist/cjs/, where a package.json with
// "type": "commonjs" makes TypeScript read them as CommonJS declarations for `require` users.
//
// It also checks that the library's import graph loads none of the CLI-only packages (they are optional peer
// dependencies: a library user does not install them).
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'cjs');
const entries = ['lib/index.ts', 'lib/tfjs.ts'];
/** Packages that only the CLI uses; the library must never load them (package.json: optional peers). */
const CLI_ONLY = ['vega', 'vega-lite', 'cli-progress'];

// 1. The import graph of the entry points (bundled in memory only to list its files and packages).
const graph = await build({
  absWorkingDir: root,
  entryPoints: entries,
  bundle: true,
  write: false,
  metafile: true,
  outdir: out,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'error',
});
const files = new Set();
const packages = new Set();
for (const [file, input] of Object.entries(graph.metafile.inputs)) {
  files.add(file);
  for (const imp of input.imports) if (imp.external && !imp.path.startsWith('node:')) packages.add(imp.path.split('/').slice(0, imp.path.startsWith('@') ? 2 : 1).join('/'));
}
const cliOnly = CLI_ONLY.filter((p) => packages.has(p));
if (cliOnly.length > 0) {
  console.error(`build-cjs: the library's import graph loads CLI-only package(s) ${cliOnly.join(', ')}; keep them behind the CLI.`);
  process.exit(1);
}
const outside = [...files].filter((f) => !f.startsWith('lib/'));
if (outside.length > 0) {
  console.error(`build-cjs: the library imports files outside lib/: ${outside.join(', ')}`);
  process.exit(1);
}

// 2. One CommonJS file per module, at the same relative path as tsc's ESM output.
rmSync(out, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: [...files],
  outbase: 'lib',
  outdir: out,
  bundle: false,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: 'const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  // Any other import.meta property would silently become undefined in CommonJS: refuse it.
  logOverride: { 'empty-import-meta': 'error' },
  logLevel: 'error',
});
writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');

// 3. tsc's declarations, read as CommonJS inside dist/cjs/.
function copyDeclarations(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === out) continue;
    if (entry.isDirectory()) copyDeclarations(path);
    else if (entry.name.endsWith('.d.ts')) {
      const target = join(out, relative(join(root, 'dist'), path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
copyDeclarations(join(root, 'dist'));
console.log(`build-cjs: ${files.size} modules → dist/cjs (CommonJS); packages used by the library: ${[...packages].sort().join(', ') || 'none'}`);
