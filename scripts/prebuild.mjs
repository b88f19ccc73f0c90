#!/usr/bin/env node
// `npm run prebuild`: the packages a user installs without a compiler, written as tarballs to dist-packages/.
//
//   @stochastic-smoothing/<platform>-<arch>-<libc>   the prebuilt addons (cpu; cuda when nvcc is here), no install
//                                                   script; npm picks it by its os/cpu/libc fields
//   stochastic-smoothing                            the main package, listing the platform package as an optional
//                                                   dependency (added here, at pack time: it is not on the registry
//                                                   yet, so the repository's own package.json cannot name it)
//
// The addons are built into build-prebuild/ (incrementally when it exists; cmake-js configure, then only the two addon targets) with:
//   - CUDA for sm_80 and sm_90 machine code plus compute_90 PTX, which newer GPUs compile at load time;
//     the CUDA runtime linked statically (CMakeLists.txt), cuRAND's header-only device API where
//     CURAND_INCLUDE_DIR (or the toolkit) has it, else the core's generators (both recorded);
//   - scripts/prebuild-compat/: avoid symbols of recent glibc versions where that is cheap (see the headers).
// The glibc the result needs is then read from the addons themselves (objdump -T: the highest GLIBC_x.y they
// ask for) and written into the platform package's package.json and README, never assumed.
//
// Options:
//   --from DIR   package the addons already built in DIR/Release instead of building (CI uses build-cmake,
//                which `npm ci` has just built: the packaging and install test without a second CUDA build)
//   --out DIR    where the tarballs go (default dist-packages)
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const outDir = resolve(root, option('--out') ?? 'dist-packages');
const from = option('--from');
const log = (msg) => console.log(`[prebuild] ${msg}`);
const fail = (msg) => {
  console.error(`[prebuild] ${msg}`);
  process.exit(1);
};

const ADDONS = { cpu: 'stochastic_smoothing_cpu.node', cuda: 'stochastic_smoothing_cuda.node' };
/** sm_80 and sm_90 machine code, compute_90 PTX for newer GPUs (CMake: "90" = 90-real + 90-virtual). */
const CUDA_ARCHITECTURES = '80-real;90';
/**
 * The NVIDIA driver a CUDA 13.x runtime needs on Linux x86-64: 580.65.06, the driver of the CUDA 13.0 release
 * (NVIDIA's CUDA 13.0 release notes, "CUDA Toolkit and Corresponding Driver Versions"); within major version 13
 * minor-version compatibility lets any later 13.x runtime run on it.
 */
const CUDA_DRIVERS = { 13: '580.65.06' };

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// --- which platform package ----------------------------------------------------------------------------------
const glibcRuntime = process.platform === 'linux' ? process.report.getReport().header.glibcVersionRuntime : undefined;
if (process.platform === 'linux' && !glibcRuntime) fail('only glibc Linux builds are set up (this looks like musl).');
const libc = process.platform === 'linux' ? 'gnu' : undefined;
const platformName = `@stochastic-smoothing/${process.platform}-${process.arch}${libc ? `-${libc}` : ''}`;

// --- build (or reuse) the addons ------------------------------------------------------------------------------
let releaseDir;
if (from) {
  releaseDir = resolve(root, from, 'Release');
  log(`packaging the addons already built in ${releaseDir} (--from)`);
} else {
  const buildDir = join(root, 'build-prebuild');
  const compat = join(root, 'scripts', 'prebuild-compat');
  const symver = join(compat, 'glibc-symver.h');
  // cmake-js sets CMAKE_CXX_FLAGS itself, so the C++ flags go into the Release flags (which start from CMake's).
  const cxxFlags = `-O3 -DNDEBUG -I${compat} -include ${symver}`;
  // nvcc: the same include folder and forced include for both its host and its device passes.
  const cudaFlags = `-I${compat} -include ${symver}`;
  const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  const configure = spawnSync(
    process.execPath,
    [
      cmakeJs, 'configure', '--out', 'build-prebuild', '--log-level', 'warn',
      '--CDCMAKE_BUILD_TYPE=Release',
      `--CDCMAKE_CXX_FLAGS_RELEASE=${cxxFlags}`,
      `--CDCMAKE_CUDA_FLAGS=${cudaFlags}`,
      `--CDCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHITECTURES}`,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (configure.status !== 0) fail('cmake-js configure failed (see above)');
  const targets = ['stochastic_smoothing_cpu'];
  const cache = readFileSync(join(buildDir, 'CMakeCache.txt'), 'utf8');
  if (/^CMAKE_CUDA_COMPILER:[A-Z]+=.+nvcc/m.test(cache)) targets.push('stochastic_smoothing_cuda');
  else log('no nvcc: the platform package will hold the cpu addon only');
  const jobs = String(Math.max(1, Math.min(4, (await import('node:os')).availableParallelism())));
  const make = spawnSync('cmake', ['--build', buildDir, '--config', 'Release', '--parallel', jobs, '--target', ...targets], { cwd: root, stdio: 'inherit' });
  if (make.status !== 0) fail('the addon build failed (see above)');
  releaseDir = join(buildDir, 'Release');
}
const addons = Object.entries(ADDONS).filter(([, file]) => existsSync(join(releaseDir, file)));
if (!addons.some(([name]) => name === 'cpu')) fail(`no ${ADDONS.cpu} in ${releaseDir}`);

// --- what the addons need from the system -----------------------------------------------------------------------
function elfNeeds(file) {
  const symbols = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const versions = [...symbols.matchAll(/\(GLIBC_(\d+)\.(\d+)(?:\.\d+)?\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  const [major, minor] = versions.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a), [2, 0]);
  const dynamic = execFileSync('objdump', ['-p', file], { encoding: 'utf8' });
  const needed = [...dynamic.matchAll(/^\s*NEEDED\s+(\S+)/gm)].map((m) => m[1]);
  return { glibc: `${major}.${minor}`, needed };
}
const needs = Object.fromEntries(addons.map(([name, file]) => [name, elfNeeds(join(releaseDir, file))]));
const newer = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  return y[0] > x[0] || (y[0] === x[0] && y[1] > x[1]) ? b : a;
};
const glibc = Object.values(needs)
  .map((n) => n.glibc)
  .reduce(newer);
for (const [name, n] of Object.entries(needs)) {
  const cudaLib = n.needed.find((l) => /^libcuda(rt)?\.so|^libcurand/.test(l));
  if (cudaLib) fail(`the ${name} addon needs ${cudaLib} at run time: the CUDA runtime must be linked statically`);
  log(`${ADDONS[name]}: glibc >= ${n.glibc}; needs ${n.needed.join(', ')}`);
}

// CUDA facts for the README, from the addon itself (deviceInfo() answers without a GPU or driver): the CUDA
// runtime it carries, the architectures it was built for, and where its noise comes from.
let cuda;
if (needs.cuda) {
  const info = require(join(releaseDir, ADDONS.cuda)).deviceInfo();
  const major = Number(String(info.runtimeVersion).split('.')[0]);
  cuda = {
    runtime: info.runtimeVersion,
    driver: CUDA_DRIVERS[major],
    architectures: info.architectures,
    noise: info.curand ? "cuRAND's device API (header-only)" : "the core's generators (built without cuRAND headers)",
  };
  if (!cuda.driver) fail(`no known minimum driver for CUDA ${cuda.runtime}: add it to CUDA_DRIVERS in scripts/prebuild.mjs`);
}

// --- stage and pack --------------------------------------------------------------------------------------------
const stage = join(outDir, '.stage');
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

const platformDir = join(stage, 'platform');
mkdirSync(platformDir, { recursive: true });
for (const [, file] of addons) copyFileSync(join(releaseDir, file), join(platformDir, file));
copyFileSync(join(root, 'LICENSE'), join(platformDir, 'LICENSE'));
const platformPkg = {
  name: platformName,
  version: pkg.version,
  description: `Prebuilt native addons of stochastic-smoothing for ${process.platform} ${process.arch}${libc ? ` (glibc >= ${glibc})` : ''}: ${addons.map(([n]) => n).join(' and ')}.`,
  license: pkg.license,
  os: [process.platform],
  cpu: [process.arch],
  ...(libc ? { libc: ['glibc'] } : {}),
  files: [...addons.map(([, f]) => f), 'README.md'],
  engines: pkg.engines,
  stochasticSmoothing: {
    glibc: libc ? `>=${glibc}` : undefined,
    addons: Object.fromEntries(addons.map(([n, f]) => [n, { file: f, needs: needs[n].needed }])),
    ...(cuda ? { cuda: { runtime: `${cuda.runtime} (static)`, driver: `>=${cuda.driver}`, architectures: cuda.architectures, noise: cuda.noise } } : {}),
  },
};
writeFileSync(join(platformDir, 'package.json'), `${JSON.stringify(platformPkg, null, 2)}\n`);
writeFileSync(
  join(platformDir, 'README.md'),
  [
    `# ${platformName}`,
    '',
    `The prebuilt native addons of [stochastic-smoothing](https://www.npmjs.com/package/stochastic-smoothing) ${pkg.version}`,
    `for ${process.platform} ${process.arch}. Install \`stochastic-smoothing\`, not this package: it lists this one as an`,
    'optional dependency, npm installs it where the `os`/`cpu`/`libc` fields match, and the loader finds it',
    "(`backends()` reports the file with `source: 'prebuilt'`). No compiler, cmake or nvcc is needed.",
    '',
    '## Requirements',
    '',
    ...(libc ? [`- glibc ${glibc} or newer (the highest GLIBC_ symbol version the addons ask for, read with \`objdump -T\`).`] : []),
    `- Node.js ${pkg.engines.node} (Node-API 8).`,
    ...addons.map(([n, f]) => `- \`${f}\` (${n}) links only ${needs[n].needed.join(', ')}.`),
    ...(cuda
      ? [
          `- CUDA: runtime ${cuda.runtime}, linked statically; the machine needs only the NVIDIA driver, **${cuda.driver} or newer**`,
          `  (the CUDA ${cuda.runtime.split('.')[0]}.0 driver). Machine code for compute capability 8.0 and 9.0 (A100, H100/H200),`,
          `  PTX for 9.0 that newer GPUs compile when the addon loads (CMAKE_CUDA_ARCHITECTURES ${cuda.architectures}).`,
          `  Noise on the GPU: ${cuda.noise}. Without a driver or GPU the cuda addon still loads and \`backends()\` says why`,
          '  the cuda backend is unavailable; the cpu backend runs.',
        ]
      : ['- No CUDA addon in this build (it was made without nvcc).']),
    '',
    'To build the addons from source instead, see the main package README ("Building from source").',
    '',
  ].join('\n'),
);

// The main package: its own `files`, with the platform package added as an optional dependency.
const mainDir = join(stage, 'main');
mkdirSync(mainDir, { recursive: true });
const listing = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
for (const { path } of listing[0].files) {
  mkdirSync(dirname(join(mainDir, path)), { recursive: true });
  copyFileSync(join(root, path), join(mainDir, path));
}
const mainPkg = { ...pkg, optionalDependencies: { ...(pkg.optionalDependencies ?? {}), [platformName]: pkg.version } };
writeFileSync(join(mainDir, 'package.json'), `${JSON.stringify(mainPkg, null, 2)}\n`);

mkdirSync(outDir, { recursive: true });
for (const dir of [platformDir, mainDir]) {
  const out = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', outDir], { cwd: dir, encoding: 'utf8' }));
  log(`${join(outDir, out[0].filename)}: ${out[0].name}@${out[0].version}, ${out[0].entryCount} files, ${(out[0].size / 2 ** 20).toFixed(2)} MiB packed`);
}
rmSync(stage, { recursive: true, force: true });
log(`done: glibc >= ${glibc}${cuda ? `, NVIDIA driver >= ${cuda.driver}` : ''}`);
