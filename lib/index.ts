/** stochastic-smoothing: differentiate any black box by stochastic smoothing. */
export { backends, type BackendInfo } from './backends/index.js';
export { blackboxes } from './blackboxes/index.js';
export { distributions, U_CLIP } from './distributions.js';
export { medianOfDistribution, MAX_MEDIAN_OF } from './median.js';
export { SmoothingError, type ErrorCode } from './errors.js';
export { fenchelYoungLoss, fenchelYoungLossSync, maximizers, perturbedMax, perturbedMaxSync, type FenchelYoungResult, type PerturbedMaxResult } from './fenchel-young.js';
export type { FromFunctionOptions, RowFunction, RowResult } from './blackboxes/function.js';
export type { RowsInput } from './nested.js';
export { algorithmSmoothing, lossSmoothing, withLoss, type AlgorithmResult, type LossResult } from './loss.js';
export type { Progress } from './plan.js';
export { samplePoints } from './samplers.js';
export type { ScaleOption } from './scale.js';
export { smooth, Smoothed, Smoother, type BackwardOptions, type CallOptions, type ForwardOptions, type SmoothOptions } from './smooth.js';
export type { PrecisionOptions, PrecisionReport } from './adaptive.js';
export type { BackendName, BlackBox, CovariateName, CustomDistribution, LinearMaximizer, Distribution, DistributionName, SamplerName } from './types.js';
export type { JacobianWithStderr, JvpWithStderr, ScaleGradientWithStderr, VjpWithStderr } from './types.js';
