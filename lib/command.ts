/**
 * The commands of the `stochastic-smoothing` CLI (the bin is cli.ts):
 *   info      version, backends and why each is or is not available (--json)
 *   estimate  smooth a built-in black box at x and print value, stderr and on request jacobian / vjp
 *   demo      a short tour (what `npm start` runs)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { backends } from './backends.js';
import { blackboxes } from './blackboxes/index.js';
import { SmoothingError } from './errors.js';
import { smooth, type SmoothOptions } from './smooth.js';
import { varianceCommand } from './variance-command.js';
import type { BlackBox } from './types.js';

const HELP = `Usage: stochastic-smoothing <command> [options]

Commands:
  info [--json]                 version, backends, and why each is or is not available
  estimate <box> [options]      smooth a built-in black box at x
  variance [options]            the paper's estimator benchmark (what \`npm start\` runs); variance --help
  samples [options]             error vs sample count S per distribution (slopes, crossovers); samples --help
  train ranking|paths [options] training demos in TensorFlow.js: 4-digit MNIST ranking, terrain shortest paths; train --help
  demo                          a short tour of the library
  help                          this text

estimate boxes:  permutation --n N | ranks --n N | argmax --n N | topk --n N --k K | shortest-path --rows R --cols C
estimate options:
  --x 1,2,3            the input (B×n numbers, comma or space separated)   or  --x-file FILE (JSON array or numbers)
  --distribution NAME  gaussian | logistic | gumbel | cauchy | laplace | triangular   (default gaussian)
  --scale S            γ (a number) or σ per coordinate (comma list)                  (default 1)
  --samples S          noise samples per input                                        (default 1024)
  --sampler NAME       mc | qmc-latin | rqmc-latin | rqmc-cartesian | sobol | rqmc-sobol (default rqmc-latin)
  --covariate NAME     none | fx | loo                                                (default loo)
  --antithetic         pair every sample with its mirror
  --seed N             non-negative integer                                           (default 0)
  --backend NAME       auto | js | cpu | cuda                                         (default auto)
  --jacobian           also print the B×m×n Jacobian
  --vjp 1,0,...        also print vᵀJ for this v (B×m numbers)
  --scale-gradient 1,0 also print the scale gradient of ⟨v, value⟩
  --json               print JSON
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function numbers(text: string, flag: string): Float32Array {
  const parts = text.trim().replace(/^\[|\]$/g, '').split(/[\s,]+/).filter((p) => p.length > 0);
  const values = parts.map(Number);
  const bad = parts.findIndex((p, i) => p === '' || Number.isNaN(values[i]));
  if (bad >= 0 || values.length === 0) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `${flag} must be a list of numbers.`, { argument: flag, value: text, fix: `for example ${flag} 0.3,1.2,-0.5` });
  }
  return Float32Array.from(values);
}

function positive(value: string | undefined, flag: string): number {
  const v = Number(value);
  if (value === undefined || !Number.isSafeInteger(v) || v <= 0) {
    throw new SmoothingError('ERR_INVALID_ARGUMENT', `${flag} must be a positive integer.`, { argument: flag, value, fix: `pass ${flag} 5` });
  }
  return v;
}

function makeBox(name: string | undefined, values: Record<string, string | boolean | undefined>): BlackBox {
  const n = () => positive(values.n as string | undefined, '--n');
  switch (name) {
    case 'permutation':
      return blackboxes.permutation(n());
    case 'ranks':
      return blackboxes.ranks(n());
    case 'argmax':
      return blackboxes.argmax(n());
    case 'topk':
      return blackboxes.topk(n(), positive(values.k as string | undefined, '--k'));
    case 'shortest-path':
    case 'shortestPath':
      return blackboxes.shortestPath(positive(values.rows as string | undefined, '--rows'), positive(values.cols as string | undefined, '--cols'));
    default:
      throw new SmoothingError('ERR_INVALID_ARGUMENT', `unknown black box ${JSON.stringify(name)}.`, {
        argument: '<box>',
        value: name,
        fix: 'use one of permutation, ranks, argmax, topk, shortest-path',
      });
  }
}

function info(json: boolean): void {
  const list = backends();
  if (json) {
    console.log(JSON.stringify({ name: 'stochastic-smoothing', version: version(), node: process.version, backends: list }, null, 2));
    return;
  }
  console.log(`stochastic-smoothing ${version()} (Node ${process.version})`);
  for (const b of list) {
    console.log(`  ${b.name.padEnd(5)} ${b.available ? 'available  ' : 'unavailable'} ${b.device ?? ''}${b.reason ? b.reason : ''}`);
  }
}

function matrix(label: string, data: Float32Array, cols: number): string {
  const rows: string[] = [];
  for (let r = 0; r < data.length / cols; r++) {
    rows.push(Array.from(data.subarray(r * cols, (r + 1) * cols), (v) => v.toFixed(5).padStart(10)).join(' '));
  }
  return `${label}:\n${rows.join('\n')}`;
}

async function estimate(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      n: { type: 'string' },
      k: { type: 'string' },
      rows: { type: 'string' },
      cols: { type: 'string' },
      x: { type: 'string' },
      'x-file': { type: 'string' },
      distribution: { type: 'string', default: 'gaussian' },
      scale: { type: 'string', default: '1' },
      samples: { type: 'string', default: '1024' },
      sampler: { type: 'string', default: 'rqmc-latin' },
      covariate: { type: 'string', default: 'loo' },
      antithetic: { type: 'boolean', default: false },
      seed: { type: 'string', default: '0' },
      backend: { type: 'string', default: 'auto' },
      jacobian: { type: 'boolean', default: false },
      vjp: { type: 'string' },
      'scale-gradient': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const box = makeBox(positionals[0], values);
  let x: Float32Array;
  if (values['x-file'] !== undefined) x = numbers(readFileSync(values['x-file'], 'utf8'), '--x-file');
  else if (values.x !== undefined) x = numbers(values.x, '--x');
  else throw new SmoothingError('ERR_INVALID_ARGUMENT', 'estimate needs an input.', { argument: '--x', value: undefined, fix: `pass --x with ${box.inputSize} numbers per row, or --x-file` });
  const scaleList = numbers(values.scale, '--scale');
  const options: SmoothOptions = {
    distribution: values.distribution as SmoothOptions['distribution'],
    scale: scaleList.length === 1 ? scaleList[0] : scaleList,
    samples: positive(values.samples, '--samples'),
    sampler: values.sampler as SmoothOptions['sampler'],
    covariate: values.covariate as SmoothOptions['covariate'],
    antithetic: values.antithetic,
    seed: Number.isSafeInteger(Number(values.seed)) ? Number(values.seed) : (values.seed as unknown as number),
    backend: values.backend as SmoothOptions['backend'],
  };
  const smoothed = await smooth(box, options).forward(x);
  const m = box.outputSize;
  const report: Record<string, unknown> = {
    blackBox: box.name,
    backend: smoothed.backend,
    batch: smoothed.batch,
    inputSize: box.inputSize,
    outputSize: m,
    options: { ...options, scale: Array.from(scaleList) },
    value: Array.from(smoothed.value),
    stderr: Array.from(smoothed.stderr),
  };
  if (values.jacobian) report.jacobian = Array.from(await smoothed.jacobian());
  if (values.vjp !== undefined) report.vjp = Array.from(await smoothed.vjp(numbers(values.vjp, '--vjp')));
  if (values['scale-gradient'] !== undefined) report.scaleGradient = Array.from(await smoothed.scaleGradient(numbers(values['scale-gradient'], '--scale-gradient')));
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const cols = box.name.startsWith('permutation') ? box.inputSize : box.name.startsWith('shortestPath') ? Number(values.cols) : m;
  console.log(`${box.name} smoothed with ${options.distribution} noise, scale ${values.scale}, ${options.samples} samples (${options.sampler}, covariate ${options.covariate}) on the ${smoothed.backend} backend`);
  console.log(matrix('value', smoothed.value, cols));
  console.log(matrix('stderr', smoothed.stderr, cols));
  if (report.jacobian) console.log(matrix('jacobian (rows: outputs, columns: inputs)', Float32Array.from(report.jacobian as number[]), box.inputSize));
  if (report.vjp) console.log(matrix('vjp', Float32Array.from(report.vjp as number[]), box.inputSize));
  if (report.scaleGradient) console.log(matrix('scale gradient', Float32Array.from(report.scaleGradient as number[]), (report.scaleGradient as number[]).length / smoothed.batch));
}

async function demo(): Promise<void> {
  info(false);
  console.log('\nThe expected permutation matrix of 5 scores under Laplace noise (rows: items, columns: positions):');
  await estimate(['permutation', '--n', '5', '--x', '0.1,1.3,0.4,2.0,0.35', '--distribution', 'laplace', '--scale', '0.5', '--samples', '4096', '--vjp', '1,0,0,0,0,0,1,0,0,0,0,0,1,0,0,0,0,0,1,0,0,0,0,0,1']);
  console.log('\nMore: stochastic-smoothing help');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'info': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } }, strict: true });
        info(values.json ?? false);
        return 0;
      }
      case 'estimate':
        await estimate(rest);
        return 0;
      case 'demo':
        await demo();
        return 0;
      case 'variance':
        return await varianceCommand(rest);
      case 'samples': return await (await import('./samples-command.js')).samplesCommand(rest);
      case 'train':
        return await (await import('./train-command.js')).trainCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(HELP);
        return 0;
      default:
        console.error(`unknown command ${JSON.stringify(command)}\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof SmoothingError) {
      console.error(`error ${err.code}: ${err.message}`);
      return 1;
    }
    if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${err.message}\n\n${HELP}`);
      return 2;
    }
    throw err;
  }
}
