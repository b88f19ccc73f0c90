/** `stochastic-smoothing estimate <box>`: smooth a built-in black box at x and print value, stderr and on request more. */
import { blackboxes } from '../blackboxes/index.js';
import { SmoothingError } from '../errors.js';
import { DEFAULTS, smooth, type SmoothOptions } from '../smooth.js';
import { SOBOL_MAX_DIMS } from '../random/sobol.js';
import type { BlackBox } from '../types.js';
import { intFlag, numberList, numbersFromFile, parseFlags } from './flags.js';


const FLAGS = {
  n: { type: 'string' },
  k: { type: 'string' },
  rows: { type: 'string' },
  cols: { type: 'string' },
  x: { type: 'string' },
  'x-file': { type: 'string' },
  // No defaults here for the estimator options: absent flags take the library's defaults (smooth.ts DEFAULTS),
  // so the CLI and smooth(box, { scale }) give the same numbers.
  distribution: { type: 'string' },
  'median-of': { type: 'string' },
  scale: { type: 'string', default: '1' },
  samples: { type: 'string' },
  sampler: { type: 'string' },
  covariate: { type: 'string' },
  antithetic: { type: 'boolean', default: false },
  seed: { type: 'string', default: '0' },
  backend: { type: 'string', default: 'auto' },
  jacobian: { type: 'boolean', default: false },
  vjp: { type: 'string' },
  'scale-gradient': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function makeBox(name: string | undefined, values: Record<string, string | boolean | undefined>): BlackBox {
  const size = (flag: string) => intFlag(`--${flag}`, (values[flag] as string | undefined) ?? '', 5);
  switch (name) {
    case 'permutation':
      return blackboxes.permutation(size('n'));
    case 'ranks':
      return blackboxes.ranks(size('n'));
    case 'argmax':
      return blackboxes.argmax(size('n'));
    case 'topk':
      return blackboxes.topk(size('n'), size('k'));
    case 'shortest-path':
    case 'shortestPath':
      return blackboxes.shortestPath(size('rows'), size('cols'));
    default:
      throw new SmoothingError('ERR_INVALID_ARGUMENT', `unknown black box ${JSON.stringify(name)}.`, {
        argument: '<box>',
        value: name,
        fix: 'use one of permutation, ranks, argmax, topk, shortest-path',
      });
  }
}

function matrix(label: string, data: Float32Array, cols: number): string {
  const rows: string[] = [];
  for (let r = 0; r < data.length / cols; r++) {
    rows.push(Array.from(data.subarray(r * cols, (r + 1) * cols), (v) => v.toFixed(5).padStart(10)).join(' '));
  }
  return `${label}:\n${rows.join('\n')}`;
}

export async function estimateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('estimate', args, FLAGS, true);
  if (positionals.length > 1) throw new SmoothingError('ERR_INVALID_ARGUMENT', `estimate takes one black box, not ${positionals.length}.`, { argument: '<box>', value: positionals.join(' '), fix: 'for example stochastic-smoothing estimate permutation --n 3 --x 1,2,3' });
  const box = makeBox(positionals[0], values);
  let x: Float32Array;
  if (values['x-file'] !== undefined && values.x !== undefined) throw new SmoothingError('ERR_INVALID_ARGUMENT', 'pass --x or --x-file, not both.', { argument: '--x-file', value: values['x-file'], fix: 'drop one of them' });
  if (values['x-file'] !== undefined) x = numbersFromFile(values['x-file'], '--x-file');
  else if (values.x !== undefined) x = numberList(values.x, '--x');
  else throw new SmoothingError('ERR_INVALID_ARGUMENT', 'estimate needs an input.', { argument: '--x', value: undefined, fix: `pass --x with ${box.inputSize} numbers per row, or --x-file` });
  const scaleList = numberList(values.scale, '--scale');
  const options: SmoothOptions = {
    distribution: values.distribution as SmoothOptions['distribution'],
    scale: scaleList.length === 1 ? scaleList[0] : scaleList,
    samples: values.samples === undefined ? undefined : intFlag('--samples', values.samples, 1024),
    sampler: values.sampler as SmoothOptions['sampler'],
    covariate: values.covariate as SmoothOptions['covariate'],
    antithetic: values.antithetic,
    seed: Number.isSafeInteger(Number(values.seed)) && values.seed.trim() !== '' ? Number(values.seed) : (values.seed as unknown as number),
    backend: values.backend as SmoothOptions['backend'],
    // Odd, 1..99: smooth() checks it (options.medianOf) and says what to pass.
    medianOf: values['median-of'] === undefined ? undefined : intFlag('--median-of', values['median-of'], 3),
  };
  const smoothed = await smooth(box, options).forward(x);
  const m = box.outputSize;
  const report: Record<string, unknown> = {
    blackBox: box.name,
    backend: smoothed.backend,
    batch: smoothed.batch,
    inputSize: box.inputSize,
    outputSize: m,
    options: {
      ...options,
      distribution: options.distribution ?? DEFAULTS.distribution,
      medianOf: options.medianOf ?? 1,
      samples: options.samples ?? DEFAULTS.samples,
      sampler: options.sampler ?? (box.inputSize > SOBOL_MAX_DIMS ? DEFAULTS.samplerHighDimensional : DEFAULTS.sampler),
      covariate: options.covariate ?? DEFAULTS.covariate,
      scale: Array.from(scaleList),
    },
    value: Array.from(smoothed.value),
    stderr: Array.from(smoothed.stderr),
  };
  if (values.jacobian) report.jacobian = Array.from(await smoothed.jacobian());
  if (values.vjp !== undefined) report.vjp = Array.from(await smoothed.vjp(numberList(values.vjp, '--vjp')));
  if (values['scale-gradient'] !== undefined) report.scaleGradient = Array.from(await smoothed.scaleGradient(numberList(values['scale-gradient'], '--scale-gradient')));
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  const cols = box.name.startsWith('permutation') ? box.inputSize : box.name.startsWith('shortestPath') ? Number(values.cols) : m;
  console.log(`${box.name} smoothed with ${options.distribution}${options.medianOf && options.medianOf > 1 ? ` median-of-${options.medianOf}` : ''} noise, scale ${values.scale}, ${options.samples} samples (${options.sampler}, covariate ${options.covariate}) on the ${smoothed.backend} backend`);
  console.log(matrix('value', smoothed.value, cols));
  console.log(matrix('stderr', smoothed.stderr, cols));
  if (report.jacobian) console.log(matrix('jacobian (rows: outputs, columns: inputs)', Float32Array.from(report.jacobian as number[]), box.inputSize));
  if (report.vjp) console.log(matrix('vjp', Float32Array.from(report.vjp as number[]), box.inputSize));
  if (report.scaleGradient) console.log(matrix('scale gradient', Float32Array.from(report.scaleGradient as number[]), (report.scaleGradient as number[]).length / smoothed.batch));
  return 0;
}
