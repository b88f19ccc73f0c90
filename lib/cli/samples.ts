/** `stochastic-smoothing samples`: flags and help; the run is lib/experiments/samples.ts, the shared plumbing study.ts. */
import { invalid } from '../errors.js';
import { writeSamplesReport } from '../experiments/samples-report.js';
import { DEFAULT_CAPS, DEFAULT_STRATEGIES, SAMPLE_SETTINGS, runSamples, type SamplesOptions } from '../experiments/samples.js';
import { intFlag, nameList } from './flags.js';
import { SAMPLES_OUT } from './help.js';
import { parseStudy, runStudy } from './study.js';

const FLAGS = {
  strategies: { type: 'string' },
  'min-exp': { type: 'string' },
  'max-exp': { type: 'string' },
  cap: { type: 'string' },
  'reference-exp': { type: 'string' },
} as const;

function parseCaps(text: string | undefined, fallback: Readonly<Record<string, number>>): Record<string, number> {
  if (text === undefined) return { ...fallback };
  const exp = (v: string) => intFlag('--cap', v, 16, 1, 30);
  if (!text.includes('=')) return Object.fromEntries(SAMPLE_SETTINGS.map((s) => [s.id, exp(text)]));
  const caps: Record<string, number> = { ...fallback };
  for (const part of nameList('--cap', text)) {
    const [id, v] = part.split('=');
    if (!SAMPLE_SETTINGS.some((s) => s.id === id)) throw invalid('--cap', text, `unknown setting '${id}'.`, `use some of ${SAMPLE_SETTINGS.map((s) => s.id).join(', ')}`);
    caps[id] = exp(v ?? '');
  }
  return caps;
}

export async function samplesCommand(args: string[]): Promise<number> {
  const base = parseStudy('samples', args, FLAGS, SAMPLES_OUT);
  const { values: v, quick: q } = base;
  const str = (name: string) => v[name] as string | undefined;
  const options: SamplesOptions = {
    settings: base.settings ?? SAMPLE_SETTINGS.map((s) => s.id),
    strategies: str('strategies') === undefined ? [...DEFAULT_STRATEGIES] : nameList('--strategies', str('strategies')!),
    minExp: intFlag('--min-exp', str('min-exp'), 4, 1, 30),
    maxExp: intFlag('--max-exp', str('max-exp'), q ? 10 : 20, 1, 30),
    caps: parseCaps(str('cap'), q ? {} : DEFAULT_CAPS),
    repeats: base.repeats(q ? 2 : 4),
    inputs: base.inputs(q ? 1 : 2),
    scale: base.scale,
    referenceExp: str('reference-exp') === undefined ? (q ? 14 : undefined) : intFlag('--reference-exp', str('reference-exp'), 14, 1, 30),
    seed: base.seed,
    backend: base.backend,
    out: base.out,
    resume: base.resume,
    shard: base.shard,
  };
  return runStudy('samples', base, (signal, onProgress) => runSamples({ ...options, signal, onProgress }), (run) => writeSamplesReport(options.out, run));
}
