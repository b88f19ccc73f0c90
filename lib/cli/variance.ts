/** `stochastic-smoothing variance`: flags and help; the run is lib/experiments/variance.ts, the shared plumbing study.ts. */
import { intFlag } from './flags.js';
import { SETTINGS } from '../experiments/variance-config.js';
import { writeReport } from '../experiments/variance-report.js';
import { runVariance, type VarianceOptions } from '../experiments/variance.js';
import { VARIANCE_OUT } from './help.js';
import { parseStudy, runStudy } from './study.js';

const FLAGS = {
  samples: { type: 'string' },
  'reference-samples': { type: 'string' },
} as const;

export async function varianceCommand(args: string[]): Promise<number> {
  const base = parseStudy('variance', args, FLAGS, VARIANCE_OUT);
  const { values: v, quick: q } = base;
  const options: VarianceOptions = {
    settings: base.settings ?? SETTINGS.map((s) => s.id),
    samples: intFlag('--samples', v.samples as string | undefined, q ? 256 : 1024),
    repeats: base.repeats(q ? 2 : 8),
    inputs: base.inputs(q ? 1 : 2),
    scale: base.scale,
    referenceSamples: intFlag('--reference-samples', v['reference-samples'] as string | undefined, q ? 1 << 14 : 1 << 18),
    seed: base.seed,
    backend: base.backend,
    out: base.out,
    resume: base.resume,
    shard: base.shard,
  };
  return runStudy('variance', base, (signal, onProgress) => runVariance({ ...options, signal, onProgress }), (run) => writeReport(options.out, run));
}
