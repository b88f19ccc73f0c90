/** `stochastic-smoothing samples`: flags, progress bar, Ctrl-C, resume; the work is in experiments/samples.ts. */
import { intFlag, runInterruptible, scaleFlag } from './experiments/interruptible.js';
import { SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';
import { invalid } from './errors.js';
import { writeSamplesReport } from './experiments/samples-report.js';
import { DEFAULT_CAPS, DEFAULT_STRATEGIES, SAMPLE_SETTINGS, runSamples, type SamplesOptions } from './experiments/samples.js';
import type { BackendName } from './types.js';

const HELP = `Usage: stochastic-smoothing samples [options]

The error-vs-S study of the large-S regime: for permutation(5), ranks(100) and shortestPath(12, 12), every
distribution and a few strategies, the RMSE of the Jacobian and of a fixed-v VJP against an rqmc-sobol + loo
reference (4× the largest S, cached in the results folder) for S = 2^min-exp … 2^max-exp, over repeats; the
fitted convergence rate (slope of log2 RMSE vs log2 S) and the crossovers between distributions.

Options:
  --settings a,b        subset of ${SAMPLE_SETTINGS.map((s) => s.id).join(', ')}   (default: all)
  --strategies a,b      sampler/covariate[/anti] ids of the variance study  (default ${DEFAULT_STRATEGIES.join(',')})
  --min-exp E           smallest S = 2^E                                            (default 4)
  --max-exp E           largest S = 2^E                                             (default 20)
  --cap E | id=E,...    largest exponent per setting (one number: all settings)
                        (default ${Object.entries(DEFAULT_CAPS).map(([k, v]) => `${k}=${v}`).join(',')})
  --repeats R           independent repeats per input                               (default 4)
  --inputs I            seeded inputs per setting                                   (default 2)
  --scale γ             noise scale                                                 (default 0.5)
  --reference-exp E     reference samples 2^E for every setting   (default: 2 + the setting's largest exponent)
  --seed N              base seed                                                   (default 1)
  --backend NAME        auto | js | cpu | cuda                                      (default auto)
  --out DIR             results folder                                              (default results/samples)
  --resume              keep the finished cells in DIR and run the rest
  --quick               a small run: S = 2^4 … 2^10, R = 2, I = 1, reference 2^14 samples
`;

function parseCaps(text: string | undefined, fallback: Readonly<Record<string, number>>): Record<string, number> {
  if (text === undefined) return { ...fallback };
  const exp = (v: string) => {
    const e = Number(v);
    if (!Number.isSafeInteger(e) || e < 1 || e > 30) throw invalid('--cap', text, '--cap takes exponents between 1 and 30.', 'for example --cap 16 or --cap ranks100=16,shortestPath12=14');
    return e;
  };
  if (!text.includes('=')) return Object.fromEntries(SAMPLE_SETTINGS.map((s) => [s.id, exp(text)]));
  const caps: Record<string, number> = { ...fallback };
  for (const part of text.split(',')) {
    const [id, v] = part.split('=');
    if (!SAMPLE_SETTINGS.some((s) => s.id === id)) throw invalid('--cap', text, `unknown setting '${id}'.`, `use some of ${SAMPLE_SETTINGS.map((s) => s.id).join(', ')}`);
    caps[id] = exp(v ?? '');
  }
  return caps;
}

export async function samplesCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      settings: { type: 'string' },
      strategies: { type: 'string' },
      'min-exp': { type: 'string' },
      'max-exp': { type: 'string' },
      cap: { type: 'string' },
      repeats: { type: 'string' },
      inputs: { type: 'string' },
      scale: { type: 'string' },
      'reference-exp': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      out: { type: 'string', default: 'results/samples' },
      resume: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const q = values.quick;
  const int = intFlag;
  const scale = scaleFlag(values.scale);
  const controller = new AbortController();
  const options: SamplesOptions = {
    settings: values.settings ? values.settings.split(',') : SAMPLE_SETTINGS.map((s) => s.id),
    strategies: values.strategies ? values.strategies.split(',') : [...DEFAULT_STRATEGIES],
    minExp: int('--min-exp', values['min-exp'], 4, 1, 30),
    maxExp: int('--max-exp', values['max-exp'], q ? 10 : 20, 1, 30),
    caps: parseCaps(values.cap, q ? {} : DEFAULT_CAPS),
    repeats: int('--repeats', values.repeats, q ? 2 : 4),
    inputs: int('--inputs', values.inputs, q ? 1 : 2),
    scale,
    referenceExp: values['reference-exp'] === undefined ? (q ? 14 : undefined) : int('--reference-exp', values['reference-exp'], 14, 1, 30),
    seed: values.seed === undefined ? 1 : int('--seed', values.seed, 1),
    backend: values.backend as 'auto' | BackendName,
    out: values.out!,
    resume: values.resume!,
    signal: controller.signal,
  };

  const bar = new SingleBar({
    format: 'samples |{bar}| {percentage}% · {cells}/{totalCells} cells · ETA {eta_formatted} · {label}',
    etaBuffer: 200,
    hideCursor: true,
    stream: process.stderr,
  });
  let barStarted = false;
  options.onProgress = ({ cells, totalCells, work, totalWork, label }) => {
    // The bar counts work (rows × S × (m·n + n)), so that the ETA is not fooled by S doubling cell to cell.
    const value = Math.round((1000 * work) / totalWork);
    if (!barStarted) {
      bar.start(1000, value, { label, cells, totalCells });
      barStarted = true;
    } else bar.update(value, { label, cells, totalCells });
  };
  const stopBar = () => {
    if (barStarted) bar.stop();
  };
  return runInterruptible(controller, stopBar, options.out, () => runSamples(options), (run) => writeSamplesReport(options.out, run));
}
