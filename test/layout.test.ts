/**
 * The shape of lib/ that users and readers rely on: the public export names of `stochastic-smoothing` and
 * `stochastic-smoothing/tfjs` (values and types) stay exactly the lists written here, whatever moves inside
 * lib/; and no module of lib/ imports itself back through a chain of imports (type imports included), so
 * that each folder (core, backends/, cli/) can be read bottom-up.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;

// The values each entry point exports (functions, classes, constants), sorted.
const INDEX_VALUES = [
  'MAX_MEDIAN_OF', 'Smoothed', 'Smoother', 'SmoothingError', 'U_CLIP', 'algorithmSmoothing', 'backends', 'blackboxes', 'distributions',
  'fenchelYoungLoss', 'fenchelYoungLossSync', 'lossSmoothing', 'maximizers', 'medianOfDistribution', 'perturbedMax', 'perturbedMaxSync',
  'samplePoints', 'smooth', 'withLoss',
];
const TFJS_VALUES = ['fenchelYoungLossOp', 'smoothedLossOp', 'smoothedOp', 'smoothedScaleOp'];
// The type-only exports (interfaces and type aliases), sorted.
const INDEX_TYPES = [
  'AlgorithmResult', 'BackendInfo', 'BackendName', 'BackwardOptions', 'BlackBox', 'CallOptions', 'CovariateName', 'CustomDistribution', 'Distribution',
  'DistributionName', 'ErrorCode', 'FenchelYoungResult', 'ForwardOptions', 'FromFunctionOptions', 'JacobianWithStderr', 'JvpWithStderr', 'LinearMaximizer', 'LossResult',
  'PerturbedMaxResult', 'PrecisionOptions', 'PrecisionReport', 'Progress', 'RowFunction', 'RowResult', 'RowsInput', 'SamplerName',
  'ScaleGradientWithStderr', 'ScaleOption', 'SmoothOptions', 'VjpWithStderr',
];
const TFJS_TYPES = ['FenchelYoungLossOp', 'RowLoss', 'SmoothedLossOp', 'SmoothedOp', 'SmoothedOpOptions', 'SmoothedScaleOp'];

test('the public export values of both entry points are the listed ones (ES modules and the CommonJS build)', async (t) => {
  const esm = await import('../lib/index.js');
  const tfjs = await import('../lib/tfjs.js');
  t.deepEqual(Object.keys(esm).sort(), INDEX_VALUES);
  t.deepEqual(Object.keys(tfjs).sort(), TFJS_VALUES);
  const require = createRequire(import.meta.url);
  t.deepEqual(Object.keys(require(join(root, 'dist', 'cjs', 'index.js')) as object).filter((k) => k !== '__esModule').sort(), INDEX_VALUES);
  t.deepEqual(Object.keys(require(join(root, 'dist', 'cjs', 'tfjs.js')) as object).filter((k) => k !== '__esModule').sort(), TFJS_VALUES);
});

/** Every name (value or type) that a TypeScript user can import from the entry point, sorted. */
function declaredExports(program: ts.Program, file: string): string[] {
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  return checker.getExportsOfModule(symbol).map((s) => s.getName()).sort();
}

test('the declared exports (values and types) of both entry points are unchanged', (t) => {
  const index = join(root, 'lib', 'index.ts');
  const tfjs = join(root, 'lib', 'tfjs.ts');
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const program = ts.createProgram([index, tfjs], { ...config.options, noEmit: true });
  const indexNames = declaredExports(program, index);
  const tfjsNames = declaredExports(program, tfjs);
  // The values above, plus these types (type-only exports).
  const indexTypes = indexNames.filter((n) => !INDEX_VALUES.includes(n));
  const tfjsTypes = tfjsNames.filter((n) => !TFJS_VALUES.includes(n));
  t.deepEqual(indexNames.filter((n) => INDEX_VALUES.includes(n)), INDEX_VALUES);
  t.deepEqual(indexTypes, INDEX_TYPES);
  t.deepEqual(tfjsNames.filter((n) => TFJS_VALUES.includes(n)), TFJS_VALUES);
  t.deepEqual(tfjsTypes, TFJS_TYPES);
});

function libFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) libFiles(path, out);
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

test('no import cycle in lib/ (static imports and re-exports, type-only ones included)', (t) => {
  const edges = new Map<string, string[]>();
  for (const file of libFiles(join(root, 'lib'))) {
    const deps: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gm)) deps.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
    edges.set(file, deps);
  }
  t.true(edges.size > 50, `read ${edges.size} files`);
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, stack: string[]) => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of edges.get(file) ?? []) {
      if (!edges.has(dep)) cycles.push(`${relative(root, file)} imports ${relative(root, dep)}, which does not exist`);
      else if (state.get(dep) === 'open') cycles.push(stack.slice(stack.indexOf(dep)).concat(dep).map((f) => relative(root, f)).join(' → '));
      else if (state.get(dep) === undefined) visit(dep, stack);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of edges.keys()) if (!state.has(file)) visit(file, []);
  t.deepEqual(cycles, []);
});
