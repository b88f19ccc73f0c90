#!/usr/bin/env node
// The prebuilt packages installed as a user would, on a machine with no compiler: run by .ci/run, and by hand
// with `npm run check:prebuilt` (after `npm run build` and a native build in build-cmake/).
//
//   1. scripts/prebuild.mjs --from build-cmake (or the --from given) packs the main and platform packages into a temporary folder
//      (the addons that `npm ci` just built; `npm run prebuild` builds its own, see README "Prebuilt packages").
//   2. A fresh project installs the two tarballs from the local files and npm's cache only (--offline), with a
//      PATH that holds node, npm and sh and nothing else (no cc, c++, g++, cmake, nvcc, make), and with the
//      package's install script allowed to run: it must stay quiet and build nothing.
//   3. In that project: the cpu backend is available from the prebuilt package (backends() says so, with its
//      path) and agrees with the js backend; the cuda addon loads from the prebuilt package and either finds a
//      device or says why not; require() works; the CLI names the optional packages it needs.
//   4. Without the platform package (--omit=optional) the install still succeeds and the library runs on js.
// Prints one line per check ("ok …" / "FAIL …"), the time taken and the install size; exits 1 on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The build whose addons are packed: build-cmake by default, `--from build-prebuild` after `npm run prebuild`. */
const from = process.argv.includes('--from') ? process.argv[process.argv.indexOf('--from') + 1] : 'build-cmake';
const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'ss-prebuilt-'));
let failures = 0;
const check = (ok, what, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures += 1;
};

try {
  // 1. The tarballs.
  const packs = join(work, 'packages');
  const pack = spawnSync(process.execPath, [join(root, 'scripts', 'prebuild.mjs'), '--from', from, '--out', packs], { cwd: root, encoding: 'utf8' });
  process.stdout.write(pack.stdout);
  process.stderr.write(pack.stderr);
  if (pack.status !== 0) throw new Error('scripts/prebuild.mjs failed');
  const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz')).map((f) => join(packs, f));
  check(tarballs.length === 2, 'prebuild wrote the main and the platform tarball', tarballs.map((t) => t.slice(packs.length + 1)).join(', '));

  // 2. A PATH with node, npm and sh only.
  const bin = join(work, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync('/bin/sh', join(bin, 'sh')); // npm runs lifecycle scripts through sh
  // npm's own script (the npm on the PATH is a link to it, or npm tells us through npm_execpath).
  const npmCli = process.env.npm_execpath || realpathSync(execFileSync('/bin/sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  writeFileSync(join(bin, 'npm'), `#!/bin/sh\nexec "${join(bin, 'node')}" "${npmCli}" "$@"\n`, { mode: 0o755 });
  const env = { ...process.env, PATH: bin };
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key]; // not the parent npm's settings
  delete env.CURAND_INCLUDE_DIR;
  const tools = ['cc', 'c++', 'gcc', 'g++', 'cmake', 'nvcc', 'make', 'node-gyp'];
  const found = tools.filter((t) => spawnSync('/bin/sh', ['-c', `command -v ${t}`], { env }).status === 0);
  check(found.length === 0, 'the install PATH has no compiler or build tool', found.length ? `found ${found.join(', ')}` : tools.join(', ') + ' absent');

  const project = join(work, 'project');
  mkdirSync(project);
  // allowScripts: npm 11 runs a dependency's install script only when the project approves it; approve ours so
  // that the check covers it (it must notice the prebuilt and do nothing).
  writeFileSync(join(project, 'package.json'), '{ "name": "probe", "version": "1.0.0", "private": true, "allowScripts": { "stochastic-smoothing": true } }\n');
  const installStart = Date.now();
  const install = spawnSync(
    join(bin, 'npm'),
    ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', ...tarballs],
    { cwd: project, env, encoding: 'utf8' },
  );
  const installLog = `${install.stdout}${install.stderr}`;
  check(install.status === 0, 'npm install --offline of the two tarballs', install.status === 0 ? `${((Date.now() - installStart) / 1000).toFixed(1)} s` : installLog);
  check(/install-native\.mjs/.test(installLog), 'npm ran the install script (approved in allowScripts)', installLog.includes('install-native') ? '' : installLog);
  check(!/\[stochastic-smoothing\]/.test(installLog), 'the install script stays quiet with a usable prebuilt', installLog.trim().split('\n').filter((l) => l.includes('[stochastic-smoothing]')).join(' | '));
  const size = execFileSync('du', ['-sh', join(project, 'node_modules')], { encoding: 'utf8' }).split('\t')[0];
  const count = execFileSync(join(bin, 'npm'), ['ls', '--all', '--parseable'], { cwd: project, env, encoding: 'utf8' }).trim().split('\n').length - 1;
  console.log(`     library install: ${count} packages, ${size} (du -sh node_modules)`);

  // 3. The installed package, as a user's code sees it.
  writeFileSync(
    join(project, 'probe.mjs'),
    `import { backends, blackboxes, smooth } from 'stochastic-smoothing';
const x = new Float32Array([0.3, -1.2, 0.9, 0.1]);
const values = { js: [], cpu: [] };
for (const backend of ['js', 'cpu']) {
  for (const distribution of ['gaussian', 'logistic', 'gumbel']) {
    const s = smooth(blackboxes.ranks(4), { distribution, scale: 0.5, samples: 4096, sampler: 'mc', covariate: 'loo', seed: 11, backend });
    const r = await s.forward(x);
    values[backend].push(...r.value, ...(await r.vjp(new Float32Array([1, -1, 0.5, 2]))));
  }
}
console.log(JSON.stringify({ backends: backends(), values }));
`,
  );
  const probe = spawnSync(join(bin, 'node'), ['probe.mjs'], { cwd: project, env, encoding: 'utf8' });
  check(probe.status === 0, 'import the installed package and smooth on js and cpu', probe.status === 0 ? '' : probe.stderr);
  if (probe.status === 0) {
    const { backends, values } = JSON.parse(probe.stdout);
    const prebuiltDir = join(project, 'node_modules', '@stochastic-smoothing', `${process.platform}-${process.arch}-gnu`);
    const cpu = backends.find((b) => b.name === 'cpu');
    check(cpu.available && cpu.source === 'prebuilt' && cpu.path.startsWith(prebuiltDir), 'cpu backend available from the prebuilt package', `${cpu.source} ${cpu.path ?? cpu.reason}`);
    const worst = Math.max(...values.cpu.map((v, i) => Math.abs(v - values.js[i])));
    check(worst <= 1e-4, 'cpu (prebuilt) and js agree on the same seed (value and vjp; gaussian, logistic, gumbel)', `max |difference| ${worst}`);
    const cuda = backends.find((b) => b.name === 'cuda');
    const hasCudaAddon = readdirSync(prebuiltDir).includes('stochastic_smoothing_cuda.node');
    if (hasCudaAddon) {
      const loaded = cuda.source === 'prebuilt' && typeof cuda.path === 'string' && cuda.path.startsWith(prebuiltDir);
      const explained = cuda.available || /found no usable CUDA device: \S/.test(cuda.reason ?? '');
      check(loaded && explained, 'cuda addon loads from the prebuilt package and reports its device or why there is none', cuda.available ? cuda.device : cuda.reason);
    } else {
      console.log('     (this build has no cuda addon: made without nvcc)');
    }
  }
  writeFileSync(join(project, 'probe.cjs'), "const { backends } = require('stochastic-smoothing');\nconsole.log(backends().find((b) => b.name === 'cpu').source);\n");
  const cjs = spawnSync(join(bin, 'node'), ['probe.cjs'], { cwd: project, env, encoding: 'utf8' });
  check(cjs.status === 0 && cjs.stdout.trim() === 'prebuilt', "require('stochastic-smoothing') in the installed package", (cjs.stdout + cjs.stderr).trim());
  const cli = spawnSync(join(project, 'node_modules', '.bin', 'stochastic-smoothing'), ['info'], { cwd: project, env, encoding: 'utf8' });
  check(cli.status === 1 && /npm install vega vega-lite cli-progress/.test(cli.stderr), 'the CLI without its optional packages says what to install', cli.stderr.trim().split('\n').pop());

  // 4. Without the platform package (--omit=optional, as on a platform with no prebuilt) and without build
  //    tools: the install still succeeds, the install script says once why there is no native addon and how to
  //    build one, and the library runs on js.
  const bare = join(work, 'bare');
  mkdirSync(bare);
  writeFileSync(join(bare, 'package.json'), '{ "name": "bare", "version": "1.0.0", "private": true, "allowScripts": { "stochastic-smoothing": true } }\n');
  const main = tarballs.find((t) => /[\\/]stochastic-smoothing-\d[^/\\]*\.tgz$/.test(t));
  const bareInstall = spawnSync(join(bin, 'npm'), ['install', '--offline', '--no-audit', '--no-fund', '--omit=optional', '--foreground-scripts', main], { cwd: bare, env, encoding: 'utf8' });
  const bareLog = `${bareInstall.stdout}${bareInstall.stderr}`;
  const notices = bareLog.split('\n').filter((l) => l.includes('[stochastic-smoothing]'));
  check(
    bareInstall.status === 0 && notices.length === 1 && /js backend/.test(notices[0]) && /npm rebuild stochastic-smoothing/.test(notices[0]),
    'without the prebuilt and build tools the install succeeds with one notice',
    bareInstall.status === 0 ? notices.join(' | ') : bareLog,
  );
  writeFileSync(
    join(bare, 'probe.mjs'),
    `import { backends, blackboxes, smooth } from 'stochastic-smoothing';
const s = smooth(blackboxes.ranks(3), { distribution: 'gaussian', scale: 0.5, samples: 64, sampler: 'mc', covariate: 'none' });
const r = await s.forward(new Float32Array([0.2, 0.1, 0.3]));
console.log(JSON.stringify({ ran: r.backend, cpu: backends().find((b) => b.name === 'cpu') }));
`,
  );
  const bareProbe = spawnSync(join(bin, 'node'), ['probe.mjs'], { cwd: bare, env, encoding: 'utf8' });
  const bareOut = bareProbe.status === 0 ? JSON.parse(bareProbe.stdout) : undefined;
  check(bareOut?.ran === 'js' && bareOut.cpu.available === false, 'and the library runs on the js backend', bareOut ? `cpu: ${bareOut.cpu.reason}` : bareProbe.stderr);
} catch (err) {
  check(false, 'prebuilt install check', err instanceof Error ? err.message : String(err));
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`prebuilt install check: ${failures === 0 ? 'passed' : `${failures} failed`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failures === 0 ? 0 : 1);
