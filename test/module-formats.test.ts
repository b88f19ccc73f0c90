/**
 * Module formats of the built package (after `npm run build`): require() from CommonJS gets the CommonJS build
 * (dist/cjs/) with the same numbers as the ES modules, and TypeScript resolves the declarations for `import`
 * and `require`, for the package root and the ./tfjs subpath (fixtures in test/fixtures/module-formats/).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { backends, blackboxes, smooth, type BackendInfo } from '../lib/index.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const fixtures = join(root, 'test', 'fixtures', 'module-formats');

test('require("stochastic-smoothing") loads the CommonJS build and gives the ES module numbers, bit for bit', async (t) => {
  const { stdout } = await run(process.execPath, [join(fixtures, 'require.cjs')], { cwd: root });
  const out = JSON.parse(stdout) as { values: Record<string, number[]>; code: string; tfjs: string; cpu: BackendInfo };
  t.is(out.code, 'ERR_INVALID_ARGUMENT', 'errors thrown by the CommonJS build are its SmoothingError');
  t.is(out.tfjs, 'function', "require('stochastic-smoothing/tfjs') exposes smoothedOp");
  const x = new Float32Array([0.3, -1.2, 0.9, 0.1]);
  const available = backends().filter((b) => (b.name === 'js' || b.name === 'cpu') && b.available).map((b) => b.name);
  t.deepEqual(Object.keys(out.values).sort(), [...available].sort());
  for (const backend of available) {
    const s = smooth(blackboxes.ranks(4), { distribution: 'gaussian', scale: 0.5, samples: 512, sampler: 'mc', covariate: 'none', seed: 7, backend });
    t.deepEqual(out.values[backend], Array.from((await s.forward(x)).value), `${backend} backend`);
  }
  if (out.cpu.available) {
    t.truthy(out.cpu.path && out.cpu.path.endsWith('stochastic_smoothing_cpu.node'), 'backends() names the addon file');
    t.is(out.cpu.source, 'local-build');
  }
});

test('the require condition points at CommonJS files (a "type": "commonjs" scope), the import condition at ES modules', (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { import: { default: string }; require: { default: string } }> };
  const req = createRequire(join(root, 'package.json'));
  for (const sub of ['.', './tfjs']) {
    const cjs = pkg.exports[sub]!.require.default;
    t.regex(cjs, /^\.\/dist\/cjs\//);
    t.is(JSON.parse(readFileSync(join(root, 'dist', 'cjs', 'package.json'), 'utf8')).type, 'commonjs');
    t.notRegex(readFileSync(join(root, cjs), 'utf8'), /\bimport\.meta\b|^\s*(import|export)\s/m, `${cjs} has no ES module syntax`);
    t.is(req.resolve(sub === '.' ? 'stochastic-smoothing' : 'stochastic-smoothing/tfjs'), join(root, cjs));
  }
});

test('TypeScript resolves the declarations for import (.mts) and require (.cts), root and ./tfjs', async (t) => {
  // --module node16: a .cts file may not import an ES-module declaration (TS1479), so this fails if the
  // require condition's types were the ES ones. Checks the fixtures only (skipLibCheck: dependencies' own typings).
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await run(process.execPath, [tsc, '-p', join(fixtures, 'tsconfig.json')], { cwd: root }).then(
    (ok) => ({ code: 0, out: ok.stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
  );
  t.is(r.code, 0, r.out);
});
