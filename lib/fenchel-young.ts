/**
 * The perturbed maximum and the Fenchel–Young loss of a black box that is a linear maximiser
 * (README "Fenchel–Young loss and perturbed maximum").
 *
 * A linear maximiser returns y*(θ) ∈ argmax_{y ∈ C} ⟨φ(y), θ⟩ over a finite set C, with φ linear. With noise
 * z = θ + Lε (L = γ for a scalar scale):
 *
 *   perturbed max      F(θ) = E[ max_y ⟨φ(y), z⟩ ] = E[ ⟨φ(y*(z)), z⟩ ],     ∇F(θ) = E[ φ(y*(z)) ]
 *   Fenchel–Young loss ℓ(θ; t) = F(θ) − ⟨θ, φ(t)⟩  (the regulariser Ω(t) is dropped: it does not depend on θ),
 *                      ∇ℓ = E[ φ(y*(z)) ] − φ(t).
 *
 * How the max value is computed: the objective must be read at the perturbed point z, and a black box sees z.
 * So the smoother runs a wrapper box z ↦ [φ(y*(z)), ⟨φ(y*(z)), z⟩] (n + 1 outputs) with the caller's options,
 * seed and backend: its smoothed value is [∇F, F] from one set of samples, and its stderr is theirs. No score
 * is involved (the gradient is a plain mean of φ(y*), which has a lower variance than a score estimate), and
 * the result is exact in expectation for every distribution, sampler and scale kind. On the cpu and cuda
 * backends the wrapper runs as a user box (noise and sums stay native, the box is evaluated in JavaScript).
 *
 * The built-in boxes and their objectives (φ maps the box's output layout to the n-vector paired with θ):
 *   argmax(n), topk(n, k), ranks(n)  φ(y) = y: maximise ⟨y, θ⟩ (ranks: Σ_i θ_i·rank_i, by the rearrangement
 *                                    inequality the ascending positions maximise it over all permutations);
 *   permutation(n)                   φ(P)_i = Σ_r P[i·n + r]·r = the position of item i, so ⟨φ(P), θ⟩ = ⟨P, θ wᵀ⟩
 *                                    with w = (0, 1, …, n − 1);
 *   shortestPath(rows, cols)         φ(y) = −y: the path minimises the cost ⟨y, θ⟩, i.e. maximises ⟨y, −θ⟩. The box
 *                                    treats costs ≤ 0 as 0, so this is exact while the perturbed costs stay > 0.
 * A user box declares its objective with a `maximizer` (see `maximizers` below, or write your own statistic).
 */
import { composeBox } from './blackboxes/compose.js';
import { builtinSpec } from './blackboxes/index.js';
import { invalid, SmoothingError } from './errors.js';
import { flattenRows, type RowsInput } from './nested.js';
import type { ForwardOptions, Smoothed, Smoother } from './smooth.js';
import type { BlackBox, LinearMaximizer } from './types.js';
import { requireFiniteVector } from './validate.js';

/** Ready-made objectives for user boxes (`fromFunction(fn, { …, maximizer })` or a `maximizer` field). */
export const maximizers = {
  /** The output y (m = n) maximises ⟨y, θ⟩. */
  innerProduct: {
    statistic(output: Float32Array, out: Float32Array): void {
      requireSameLength(output, out, 'innerProduct');
      out.set(output);
    },
  } as LinearMaximizer,
  /** The output y (m = n) minimises ⟨y, θ⟩ (a cost), i.e. maximises ⟨y, −θ⟩. */
  costMinimizer: {
    statistic(output: Float32Array, out: Float32Array): void {
      requireSameLength(output, out, 'costMinimizer');
      for (let j = 0; j < out.length; j++) out[j] = -output[j];
    },
  } as LinearMaximizer,
} as const;

function requireSameLength(output: Float32Array, out: Float32Array, which: string): void {
  if (output.length !== out.length) {
    throw new SmoothingError('ERR_UNSUPPORTED', `maximizers.${which} pairs the output with θ entry by entry, so it needs outputSize = inputSize; here outputSize = ${output.length}, inputSize = ${out.length}.`, {
      fix: 'write your own maximizer { statistic(output, out) } that maps the output to the n numbers paired with θ',
    });
  }
}

const positionsOfPermutation = (n: number): LinearMaximizer => ({
  statistic(output, out) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let r = 1; r < n; r++) s += output[i * n + r] * r;
      out[i] = s;
    }
  },
});

/** The box's linear objective, or ERR_UNSUPPORTED saying why there is none. */
export function maximizerOf(box: BlackBox, what: string): LinearMaximizer {
  const spec = builtinSpec(box);
  if (spec) {
    switch (spec.kind) {
      case 'argmax':
      case 'topk':
      case 'ranks':
        return maximizers.innerProduct;
      case 'permutation':
        return positionsOfPermutation(spec.n);
      case 'shortestPath':
        return maximizers.costMinimizer;
    }
  }
  const declared = box.maximizer;
  if (declared !== undefined && declared !== null && typeof declared.statistic === 'function') return declared;
  throw new SmoothingError(
    'ERR_UNSUPPORTED',
    `${what} needs a black box that is a linear maximiser (its output maximises ⟨φ(y), θ⟩), so that the maximum can be read at the perturbed point; '${box.name}' is not a built-in linear maximiser and declares no maximizer.`,
    {
      argument: 'smoother',
      value: box.name,
      fix: 'use blackboxes.argmax/topk/ranks/permutation/shortestPath, or give the box a maximizer (e.g. fromFunction(fn, { inputSize, outputSize, maximizer: maximizers.innerProduct }))',
    },
  );
}

/** z ↦ [φ(y*(z)), ⟨φ(y*(z)), z⟩]: what the smoother averages. Synchronous when the box is. */
function objectiveBox(f: BlackBox, maximizer: LinearMaximizer): BlackBox {
  const n = f.inputSize;
  const m = f.outputSize;
  const phi = new Float32Array(n);
  return composeBox(f, `objective(${f.name})`, n + 1, (inputs, count, ys, outputs) => {
    for (let r = 0; r < count; r++) {
      phi.fill(Number.NaN); // a statistic that writes too little shows up as a non-finite output
      maximizer.statistic(ys.subarray(r * m, (r + 1) * m), phi);
      let dot = 0;
      for (let j = 0; j < n; j++) {
        dot += phi[j] * inputs[r * n + j];
        outputs[r * (n + 1) + j] = phi[j];
      }
      outputs[r * (n + 1) + n] = dot;
    }
  });
}

export interface PerturbedMaxResult {
  /** B perturbed maxima F(θ_b) = E[max_y ⟨φ(y), θ_b + Lε⟩]. */
  value: Float32Array;
  /** B×n gradients ∇F(θ_b) = E[φ(y*(θ_b + Lε))] (for argmax: the perturbed argmax). */
  gradient: Float32Array;
  /** B standard errors of value (same meaning as Smoothed.stderr: exact for mc, an indicator for QMC). */
  stderr: Float32Array;
  /** B×n standard errors of gradient. */
  gradientStderr: Float32Array;
}

export interface FenchelYoungResult {
  /** B losses F(θ_b) − ⟨θ_b, φ(t_b)⟩. */
  loss: Float32Array;
  /** B×n gradients E[φ(y*)] − φ(t_b). */
  gradient: Float32Array;
  /** B standard errors of loss (the ⟨θ, φ(t)⟩ term is exact). */
  stderr: Float32Array;
  /** B×n standard errors of gradient. */
  gradientStderr: Float32Array;
}

interface Prepared {
  objective: Smoother;
  maximizer: LinearMaximizer;
  theta: Float32Array;
  batch: number;
}

// One wrapper smoother per (smoother, its black box): its scratch is reused from call to call.
const wrapped = new WeakMap<Smoother, { objective: Smoother; maximizer: LinearMaximizer }>();

function prepare(smoother: Smoother, theta: RowsInput, what: string): Prepared {
  if (smoother === null || typeof smoother !== 'object' || typeof (smoother as Smoother).withBlackBox !== 'function') {
    throw invalid('smoother', smoother, `${what}: the first argument must be a Smoother, from smooth(box, options).`, 'pass smooth(blackboxes.argmax(n), { ... })');
  }
  const f = smoother.blackBox;
  const n = f.inputSize;
  let entry = wrapped.get(smoother);
  if (!entry) {
    const maximizer = maximizerOf(f, what);
    entry = { objective: smoother.withBlackBox(objectiveBox(f, maximizer)), maximizer };
    wrapped.set(smoother, entry);
  }
  const flat = requireFiniteVector(flattenRows(theta, n, 'theta'), undefined, 'theta', `B×${n}`);
  if (flat.length % n !== 0) throw invalid('theta', theta, `theta has length ${flat.length}, not a multiple of the black box's input size n = ${n}.`, `pass B×${n} numbers row-major, or B rows of ${n}`);
  return { ...entry, theta: flat, batch: flat.length / n };
}

function maxResult(p: Prepared, smoothed: Smoothed): PerturbedMaxResult {
  const { batch } = p;
  const n = p.theta.length / batch;
  const value = new Float32Array(batch);
  const stderr = new Float32Array(batch);
  const gradient = new Float32Array(batch * n);
  const gradientStderr = new Float32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const base = b * (n + 1);
    value[b] = smoothed.value[base + n];
    stderr[b] = smoothed.stderr[base + n];
    gradient.set(smoothed.value.subarray(base, base + n), b * n);
    gradientStderr.set(smoothed.stderr.subarray(base, base + n), b * n);
  }
  return { value, gradient, stderr, gradientStderr };
}

/** φ(t_b) for every target row, after checking the targets' shape (B×m, the box's output layout). */
function targetStatistics(p: Prepared, smoother: Smoother, target: RowsInput): Float32Array {
  const n = smoother.blackBox.inputSize;
  const m = smoother.blackBox.outputSize;
  const t = requireFiniteVector(flattenRows(target, m, 'target'), p.batch * m, 'target', `B×m = ${p.batch}×${m} (the black box's output layout)`);
  const out = new Float32Array(p.batch * n);
  for (let b = 0; b < p.batch; b++) {
    const phi = out.subarray(b * n, (b + 1) * n);
    phi.fill(Number.NaN);
    p.maximizer.statistic(t.subarray(b * m, (b + 1) * m), phi);
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(phi[j])) throw new SmoothingError('ERR_BLACKBOX', `the maximizer of '${smoother.blackBox.name}' left entry ${j} of φ(target row ${b}) as ${phi[j]}.`, { fix: 'its statistic(output, out) must write n finite numbers' });
    }
  }
  return out;
}

function lossResult(p: Prepared, max: PerturbedMaxResult, phiT: Float32Array): FenchelYoungResult {
  const n = p.theta.length / p.batch;
  const loss = new Float32Array(p.batch);
  const gradient = new Float32Array(p.batch * n);
  for (let b = 0; b < p.batch; b++) {
    let dot = 0;
    for (let j = 0; j < n; j++) {
      dot += p.theta[b * n + j] * phiT[b * n + j];
      gradient[b * n + j] = max.gradient[b * n + j] - phiT[b * n + j];
    }
    loss[b] = max.value[b] - dot;
  }
  return { loss, gradient, stderr: max.stderr, gradientStderr: max.gradientStderr };
}

/** The perturbed maximum F(θ) = E[max_y ⟨φ(y), θ + Lε⟩] of every row of θ and its gradient E[φ(y*)]. */
export async function perturbedMax(smoother: Smoother, theta: RowsInput, options?: ForwardOptions): Promise<PerturbedMaxResult> {
  const p = prepare(smoother, theta, 'perturbedMax');
  return maxResult(p, await p.objective.forward(p.theta, options));
}

/** perturbedMax on this thread (blocks the event loop; the box must be synchronous; see Smoother.forwardSync). */
export function perturbedMaxSync(smoother: Smoother, theta: RowsInput, options?: ForwardOptions): PerturbedMaxResult {
  const p = prepare(smoother, theta, 'perturbedMaxSync');
  return maxResult(p, p.objective.forwardSync(p.theta, options));
}

/**
 * The Fenchel–Young loss F(θ) − ⟨θ, φ(t)⟩ of every row of θ (B×n) against its target t (B×m, in the black box's
 * output layout: a one-hot for argmax, a permutation matrix for permutation, a path mask for shortestPath), and
 * its gradient E[φ(y*)] − φ(t).
 */
export async function fenchelYoungLoss(smoother: Smoother, theta: RowsInput, target: RowsInput, options?: ForwardOptions): Promise<FenchelYoungResult> {
  const p = prepare(smoother, theta, 'fenchelYoungLoss');
  const phiT = targetStatistics(p, smoother, target);
  return lossResult(p, maxResult(p, await p.objective.forward(p.theta, options)), phiT);
}

/** fenchelYoungLoss on this thread (blocks the event loop; the box must be synchronous). */
export function fenchelYoungLossSync(smoother: Smoother, theta: RowsInput, target: RowsInput, options?: ForwardOptions): FenchelYoungResult {
  const p = prepare(smoother, theta, 'fenchelYoungLossSync');
  const phiT = targetStatistics(p, smoother, target);
  return lossResult(p, maxResult(p, p.objective.forwardSync(p.theta, options)), phiT);
}
