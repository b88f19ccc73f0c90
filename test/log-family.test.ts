/**
 * The cpu engine's logistic and Gumbel noise against the js backend's (issue 14 item 3): the engine evaluates
 * log, log1p and atanh with its own fdlibm-algorithm family (native/cpu/fdlibm_log.h), in vector lanes at the
 * avx2 and avx512 levels, and V8's Math.log / log1p / atanh are fdlibm ports too. Over more than 10⁶ uniforms
 * (sampler-like values and every switch point: the clip bounds, ½, ¼ and ¾, u near 1, 1 − u near √2/2), at each
 * SIMD level (one child process per level: the level is chosen when the addon loads), every ε and score is
 * V8's double bit for bit, and so is every perturbed float x + σε a black box receives. A user black box on
 * the cpu backend (the per-sample path) receives exactly the floats the js backend gives it.
 */
import { execFileSync } from 'node:child_process';
import { smooth, type BlackBox, type DistributionName } from '../lib/index.js';
import { cpuAddon, nativeTest } from './helpers/native.js';

const test = nativeTest('cpu');
const child = new URL('./helpers/log-family-child.ts', import.meta.url).pathname;

type Report = { name: string; count: number; epsDiffer: number; scoreDiffer: number; worstUlps: number; floatsDiffer: number };

for (const level of ['scalar', 'avx2', 'avx512']) {
  test(`logistic and Gumbel noise of the cpu engine equal V8's doubles bit for bit with STOCHASTIC_SMOOTHING_SIMD=${level} (> 10^6 uniforms; a level the processor lacks falls back)`, (t) => {
    const env = { ...process.env, STOCHASTIC_SMOOTHING_SIMD: level };
    const lines = execFileSync(process.execPath, ['--import=tsx', child], { env, encoding: 'utf8' }).trim().split('\n');
    const reports = lines.map((l) => JSON.parse(l) as Report);
    t.deepEqual(reports.map((r) => r.name), ['logistic', 'gumbel']);
    for (const r of reports) {
      t.log(`${level} ${r.name}: ${r.count} uniforms, ${r.epsDiffer} ε and ${r.scoreDiffer} scores differ from V8 (worst ${r.worstUlps} ulp), ${r.floatsDiffer} perturbed floats differ`);
      t.true(r.count > 1_000_000);
      t.is(r.epsDiffer, 0, `${r.name}: ε differing from V8`);
      t.is(r.scoreDiffer, 0, `${r.name}: scores differing from V8`);
      t.is(r.floatsDiffer, 0, `${r.name}: perturbed floats differing`);
    }
  });
}

test('a user black box receives the same perturbed floats on the cpu backend as on js (logistic and Gumbel, 2^20 values each)', async (t) => {
  for (const distribution of ['logistic', 'gumbel'] as DistributionName[]) {
    const seen: Record<string, Float32Array[]> = { js: [], cpu: [] };
    for (const backend of ['js', 'cpu'] as const) {
      const f: BlackBox = {
        name: 'recorder',
        inputSize: 8,
        outputSize: 1,
        evaluate(inputs, count, outputs) {
          seen[backend].push(inputs.slice(0, count * 8));
          for (let i = 0; i < count; i++) outputs[i] = inputs[8 * i];
        },
      };
      await smooth(f, { distribution, scale: 0.7, samples: 1 << 17, sampler: 'mc', covariate: 'none', seed: 5, backend, chunkSize: 4096 })
        .forward(new Float32Array(8).map((_, k) => Math.sin(k)));
    }
    // Chunks may be cut differently: compare the concatenations.
    const join = (parts: Float32Array[]) => {
      const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      return all;
    };
    const js = join(seen.js);
    const cpu = join(seen.cpu);
    t.is(cpu.length, 1 << 20);
    t.is(js.length, cpu.length);
    let differ = 0;
    for (let k = 0; k < js.length; k++) if (!Object.is(js[k], cpu[k])) differ++;
    t.is(differ, 0, `${distribution}: ${differ} perturbed floats differ`);
  }
});

test('noiseOfU (the test hook) refuses a bad distribution index or a non-Float64Array', (t) => {
  const hook = (cpuAddon() as unknown as { noiseOfU: (dist: unknown, u: unknown) => Float64Array }).noiseOfU;
  t.throws(() => hook(6, new Float64Array(2)), { instanceOf: RangeError });
  t.throws(() => hook(-1, new Float64Array(2)), { instanceOf: RangeError });
  t.throws(() => hook(1, new Float32Array(2)), { instanceOf: TypeError });
  t.throws(() => hook('logistic', new Float64Array(2)), { instanceOf: TypeError });
  t.is(hook(1, new Float64Array(0)).length, 0);
  // Gaussian: the kernels store ε only; the hook returns it as the score too (the Gaussian score is ε).
  const g = hook(0, new Float64Array([0.1, 0.5, 0.975]));
  t.deepEqual([...g.slice(3)], [...g.slice(0, 3)]);
  t.is(g[1], 0);
  t.true(Math.abs(g[2] - 1.959963984540054) < 1e-15);
});
