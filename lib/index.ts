/** stochastic-smoothing: differentiate any black box by stochastic smoothing. */
export { backends, type BackendInfo } from './backends.js';
export { blackboxes } from './blackboxes/index.js';
export { distributions, U_CLIP } from './distributions.js';
export { SmoothingError, type ErrorCode } from './errors.js';
export { algorithmSmoothing, lossSmoothing, withLoss, type AlgorithmResult, type LossResult } from './loss.js';
export type { Progress } from './plan.js';
export { samplePoints } from './samplers.js';
export type { ScaleOption } from './scale.js';
export { smooth, Smoothed, Smoother, type CallOptions, type ForwardOptions, type SmoothOptions } from './smooth.js';
export type { PrecisionOptions, PrecisionReport } from './adaptive.js';
export type { BackendName, BlackBox, CovariateName, CustomDistribution, Distribution, DistributionName, SamplerName } from './types.js';
