#!/usr/bin/env node
// The package's install script. Nothing is downloaded; it never fails the install.
//   - An installed copy (no .git) with a usable prebuilt platform package (@stochastic-smoothing/<platform>-…,
//     an optional dependency): nothing to do, and nothing printed.
//   - A git checkout, or no usable prebuilt: build the native backends from source, cmake-js first
//     (build-cmake/: cpu addon, and the CUDA addon when nvcc is found), then node-gyp (build/, cpu addon only).
//     If neither works the library runs on the js backend; one notice says why.
// npm 11 and pnpm 10 skip dependencies' install scripts unless the user approves them; the prebuilt package
// needs none, so that only matters for a build from source (`npm rebuild stochastic-smoothing`).
//   STOCHASTIC_SMOOTHING_SKIP_NATIVE=1   skip the native build
//   --force                              rebuild even when an addon exists (npm run build:native)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const force = process.argv.includes('--force');
const log = (msg) => console.log(`[stochastic-smoothing] ${msg}`);

if (process.env.STOCHASTIC_SMOOTHING_SKIP_NATIVE === '1') {
  log('STOCHASTIC_SMOOTHING_SKIP_NATIVE=1: native build skipped; the js backend will be used.');
  process.exit(0);
}

/** The prebuilt cpu addon, when one is installed and loads here (the loader's own candidate list). */
async function usablePrebuilt() {
  const loader = join(root, 'dist', 'backends', 'native', 'addon.js');
  if (!existsSync(loader)) return undefined;
  const { addonCandidates } = await import(pathToFileURL(loader).href);
  for (const { path, source } of addonCandidates('stochastic_smoothing_cpu.node')) {
    if (source !== 'prebuilt' || !existsSync(path)) continue;
    try {
      require(path);
      return path;
    } catch {
      // present but not loadable here (e.g. an older glibc than it needs): build from source instead
    }
  }
  return undefined;
}

const gitCheckout = existsSync(join(root, '.git'));
if (!force && !gitCheckout && (await usablePrebuilt())) process.exit(0);

const cpuAddon = ['build-cmake/Release/stochastic_smoothing_cpu.node', 'build/Release/stochastic_smoothing_cpu.node'].find((p) => existsSync(join(root, p)));
if (cpuAddon && !force) {
  log(`native addon present (${cpuAddon}); run \`npm run build:native\` to rebuild.`);
  process.exit(0);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  return r.status === 0;
}

const failures = [];
let cmakeJs;
try {
  cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
} catch {
  failures.push('cmake-js is not installed');
}
if (cmakeJs) {
  const hasCmake = spawnSync('cmake', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasCmake) failures.push('cmake not found');
  else if (run(process.execPath, [cmakeJs, 'build', '--out', 'build-cmake', '--log-level', 'warn', '--parallel', '2'])) {
    log('native backends built with cmake-js into build-cmake/Release.');
    process.exit(0);
  } else failures.push('cmake-js build failed (see above)');
}

// node-gyp: the copy bundled with npm (npm_config_node_gyp), else one on the PATH. binding.gyp needs node-addon-api.
let hasAddonApi = true;
try {
  require.resolve('node-addon-api');
} catch {
  hasAddonApi = false;
}
if (!hasAddonApi) {
  log(
    `no native addon could be built (${[...failures, 'node-addon-api is not installed'].join('; ')}). The library works on the js backend. ` +
      'To build from source: `npm install cmake-js node-addon-api node-api-headers` (and cmake, a C++17 compiler; nvcc for CUDA), then `npm rebuild stochastic-smoothing`.',
  );
  process.exit(0);
}
const nodeGyp = process.env.npm_config_node_gyp;
const gypOk = nodeGyp ? run(process.execPath, [nodeGyp, 'rebuild']) : run('node-gyp', ['rebuild']);
if (gypOk) {
  log('CPU addon built with node-gyp into build/Release (the CUDA addon needs cmake).');
  process.exit(0);
}
failures.push('node-gyp rebuild failed');
log(`no native addon could be built (${failures.join('; ')}). The library works on the js backend; see \`npx stochastic-smoothing info\`.`);
process.exit(0);
