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
// package.json runs this as "postprebuild", with "prebuild" itself a no-op: npm runs a script named prebuild
// before every `npm run build` (a pre-hook), while postprebuild runs only after an explicit `npm run prebuild`.
// Options are for direct calls (`node scripts/prebuild.mjs --from build-cmake`):
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

/** The later of two x.y versions. */
const newer = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  return y[0] > x[0] || (y[0] === x[0] && y[1] > x[1]) ? b : a;
};

// --- which platform package ----------------------------------------------------------------------------------
const glibcRuntime = process.platform === 'linux' ? process.report.getReport().header.glibcVersionRuntime : undefined;
if (process.platform === 'linux' && !glibcRuntime) fail('only glibc Linux builds are set up (this looks like musl).');
const libc = process.platform === 'linux' ? 'gnu' : undefined;
const platformName = `@stochastic-smoothing/${process.platform}-${process.arch}${libc ? `-${libc}` : ''}`;

// --- build (or reuse) the addons ------------------------------------------------------------------------------
/**
 * Link inputs that keep the addons loadable on older systems, as { flags, libraries }: `flags` go into
 * CMAKE_SHARED_LINKER_FLAGS, `libraries` (an archive, then three system libraries) into
 * CMAKE_CXX_STANDARD_LIBRARIES, which CMake puts at the end of the link line, so that the archive lends only
 * the members the addon actually calls.
 *  - glibc 2.34 moved libpthread, libdl and librt into libc and gave their functions a new version
 *    (GLIBC_2.34) while keeping the old ones. The statically linked CUDA runtime calls dozens of them
 *    (pthread_*, sem_*, dlopen, shm_open, ...), so the CUDA addon asked for glibc 2.34. Each such call is
 *    redirected (-Wl,--wrap) to a one-jump trampoline to the function's previous version, which older glibc
 *    versions export too (2.34+: the same code under its old name; before: from libpthread, libdl or librt,
 *    hence those three as NEEDED, empty stubs on 2.34+). The list is read from this machine's libc.so.6: every
 *    function whose default version is GLIBC_2.34 and that also has an older one.
 *  - libstdcxx-compat.cc: std::__throw_bad_array_new_length (libstdc++ of GCC 11+).
 */
function compatLinkInputs(buildDir, compat) {
  const dir = join(buildDir, 'compat');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cc = process.env.CC || 'cc';
  const cxx = process.env.CXX || 'c++';
  const flags = ['-Wl,--wrap=_ZSt28__throw_bad_array_new_lengthv'];
  const members = [join(dir, 'libstdcxx-compat.o')];
  execFileSync(cxx, ['-fPIC', '-O2', '-c', join(compat, 'libstdcxx-compat.cc'), '-o', members[0]]);
  let system = [];
  if (process.arch === 'x64' && glibcRuntime && newer(glibcRuntime, '2.34') === glibcRuntime) {
    const libc = execFileSync(cc, ['-print-file-name=libc.so.6'], { encoding: 'utf8' }).trim();
    const table = execFileSync('objdump', ['-T', libc], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const versions = new Map(); // function -> { current: default version is 2.34, older: its other versions }
    for (const m of table.matchAll(/\sDF\s+\.text\s+\S+\s+(\(?)GLIBC_([\d.]+)\)?\s+(\S+)$/gm)) {
      const [, hidden, version, name] = m;
      const v = versions.get(name) ?? { current: false, older: [] };
      if (version === '2.34' && hidden === '') v.current = true;
      else if (version !== '2.34') v.older.push(version);
      versions.set(name, v);
    }
    const oldest = (list) => list.reduce((a, b) => (newer(a, b) === a ? b : a));
    const moved = [...versions].filter(([, v]) => v.current && v.older.length > 0).map(([name, v]) => [name, oldest(v.older)]);
    for (const [name, version] of moved) {
      const source = join(dir, `${name}.S`);
      writeFileSync(
        source,
        [
          '  .text',
          `  .symver ss_old_${name}, ${name}@GLIBC_${version}`,
          `  .globl __wrap_${name}`,
          `  .hidden __wrap_${name}`,
          `  .type __wrap_${name}, @function`,
          `__wrap_${name}:`,
          `  jmp ss_old_${name}@PLT`,
          `  .size __wrap_${name}, .-__wrap_${name}`,
          '  .section .note.GNU-stack,"",@progbits',
          '',
        ].join('\n'),
      );
      execFileSync(cc, ['-c', source, '-o', join(dir, `${name}.o`)]);
      members.push(join(dir, `${name}.o`));
      flags.push(`-Wl,--wrap=${name}`);
    }
    system = ['-Wl,--no-as-needed', '-l:libpthread.so.0', '-l:libdl.so.2', '-l:librt.so.1'];
    log(`glibc 2.34 re-versioned ${moved.length} functions: calls to them go to their earlier versions`);
  }
  const archive = join(dir, 'libss_prebuild_compat.a');
  execFileSync('ar', ['rcs', archive, ...members]);
  return { flags: flags.join(' '), libraries: [archive, ...system].join(' ') };
}

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
  const link = compatLinkInputs(buildDir, compat);
  const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  const configure = spawnSync(
    process.execPath,
    [
      cmakeJs, 'configure', '--out', 'build-prebuild', '--log-level', 'warn',
      '--CDCMAKE_BUILD_TYPE=Release',
      `--CDCMAKE_CXX_FLAGS_RELEASE=${cxxFlags}`,
      `--CDCMAKE_CUDA_FLAGS=${cudaFlags}`,
      `--CDCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHITECTURES}`,
      `--CDCMAKE_SHARED_LINKER_FLAGS=${link.flags}`,
      `--CDCMAKE_CXX_STANDARD_LIBRARIES=${link.libraries}`,
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
  const cxx = [...symbols.matchAll(/\(GLIBCXX_3\.4(?:\.(\d+))?\)/g)].map((m) => Number(m[1] ?? 0));
  const dynamic = execFileSync('objdump', ['-p', file], { encoding: 'utf8' });
  const needed = [...dynamic.matchAll(/^\s*NEEDED\s+(\S+)/gm)].map((m) => m[1]);
  return { glibc: `${major}.${minor}`, glibcxx: cxx.length ? `3.4.${Math.max(...cxx)}` : undefined, needed };
}
const needs = Object.fromEntries(addons.map(([name, file]) => [name, elfNeeds(join(releaseDir, file))]));
const glibc = Object.values(needs)
  .map((n) => n.glibc)
  .reduce(newer);
for (const [name, n] of Object.entries(needs)) {
  const cudaLib = n.needed.find((l) => /^libcuda(rt)?\.so|^libcurand/.test(l));
  if (cudaLib) fail(`the ${name} addon needs ${cudaLib} at run time: the CUDA runtime must be linked statically`);
  log(`${ADDONS[name]}: glibc >= ${n.glibc}, libstdc++ GLIBCXX_${n.glibcxx ?? '-'}; needs ${n.needed.join(', ')}`);
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

/** CMake's architecture list in words: "80-real,90" = sm_80 code; sm_90 code and compute_90 PTX. */
function describeArchitectures(list) {
  const code = [];
  const ptx = [];
  for (const a of list.split(/[,;]/)) {
    const [n, kind] = a.split('-');
    const cc = `${n.slice(0, -1)}.${n.slice(-1)}`;
    if (kind !== 'virtual') code.push(cc);
    if (kind !== 'real') ptx.push(cc);
  }
  return (
    `Machine code for compute capability ${code.join(' and ')}` +
    (ptx.length ? `, PTX for ${ptx.join(' and ')} that newer GPUs compile when the addon first loads` : '') +
    ` (CMake CUDA architectures ${list}).`
  );
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
    addons: Object.fromEntries(addons.map(([n, f]) => [n, { file: f, glibc: `>=${needs[n].glibc}`, libstdcxx: needs[n].glibcxx && `GLIBCXX_${needs[n].glibcxx}`, needs: needs[n].needed }])),
    ...(cuda ? { cuda: { runtime: `${cuda.runtime} (static)`, driver: `>=${cuda.driver}`, architectures: cuda.architectures, noise: cuda.noise } } : {}),
  },
};
writeFileSync(join(platformDir, 'package.json'), `${JSON.stringify(platformPkg, null, 2)}\n`);
writeFileSync(
  join(platformDir, 'README.md'),
  [
    `# ${platformName}`,
    '',
    `The prebuilt native addons of stochastic-smoothing ${pkg.version}`,
    `for ${process.platform} ${process.arch}. Install \`stochastic-smoothing\`, not this package: it lists this one as an`,
    'optional dependency, npm installs it where the `os`/`cpu`/`libc` fields match, and the loader finds it',
    "(`backends()` reports the file with `source: 'prebuilt'`). No compiler, cmake or nvcc is needed.",
    '',
    '## Requirements',
    '',
    ...(libc ? [`- glibc ${glibc} or newer (the highest GLIBC_ symbol version the addons ask for, read with \`objdump -T\`).`] : []),
    `- Node.js ${pkg.engines.node} (Node-API 8).`,
    ...addons.map(([n, f]) => `- \`${f}\` (${n}): glibc ${needs[n].glibc}+, libstdc++ with GLIBCXX_${needs[n].glibcxx}; links only ${needs[n].needed.join(', ')}.`),
    ...(cuda
      ? [
          `- CUDA: runtime ${cuda.runtime}, linked statically; the machine needs only the NVIDIA driver, **${cuda.driver} or newer**`,
          `  (the CUDA ${cuda.runtime.split('.')[0]}.0 driver). ${describeArchitectures(cuda.architectures)}`,
          `  Noise on the GPU: ${cuda.noise}. Without a driver or GPU the cuda addon still loads and \`backends()\` says why`,
          '  the cuda backend is unavailable; the cpu backend runs.',
        ]
      : ['- No CUDA addon in this build (it was made without nvcc).']),
    '',
    'To build the addons from source instead, see the main package README ("Install").',
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
