/**
 * Adaptive sampling vs a fixed S reaching the same precision, on a training-like step: permutation(5), B = 100
 * seeded score vectors (x ~ N(0, 1)), Laplace noise, rqmc-latin + fx, the VJP of a cross-entropy-like upstream
 * gradient v ~ N(0, 1) as the target (stderr 0.01). The fixed-S alternative must give every row that
 * precision, so it needs the largest per-row sample count adaptive sampling found necessary.
 *   npx tsx bench/adaptive.ts [backend]
 */
import { blackboxes, smooth, type BackendName } from '../lib/index.js';
import { makeDirections, makeInputs, SETTINGS } from '../lib/experiments/variance-config.js';

const backend = (process.argv[2] ?? 'auto') as BackendName | 'auto';
const B = 100;
const setting = SETTINGS.find((s) => s.id === 'permutation5')!;
const x = makeInputs(setting, B);
const v = makeDirections(25, B);
const opts = { distribution: 'laplace', scale: 0.5, samples: 256, sampler: 'rqmc-latin', covariate: 'fx', backend } as const;
const s = smooth(blackboxes.permutation(5), opts);

let t0 = performance.now();
const adaptive = await s.forward(x, { seed: 1, precision: { stderr: 0.01, maxSamples: 1 << 18, vjp: v } });
const tAdaptive = performance.now() - t0;
const used = adaptive.precision!.samplesUsed;
const total = used.reduce((a, b) => a + b, 0);
const worst = Math.max(...used);

// The fixed alternative: every row gets `worst` samples (as replicates, so its error bar is valid too).
t0 = performance.now();
const fixed = await s.forward(x, { seed: 1, precision: { stderr: 1e-12, maxSamples: worst, minReplicates: worst / 256, vjp: v } });
const tFixed = performance.now() - t0;
const fixedWorst = Math.max(...fixed.precision!.achievedStderr);
console.log(JSON.stringify({
  backend: adaptive.backend,
  adaptive: { ms: Math.round(tAdaptive), samplesTotal: total, samplesPerRow: { min: Math.min(...used), max: worst, mean: total / B }, met: adaptive.precision!.met.filter(Boolean).length },
  fixed: { ms: Math.round(tFixed), samplesPerRow: worst, worstStderr: +fixedWorst.toFixed(4) },
  speedup: { samples: +((worst * B) / total).toFixed(2), time: +(tFixed / tAdaptive).toFixed(2) },
}));
