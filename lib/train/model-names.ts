/** The model sizes of `train --model` (./model.ts builds them); here so the CLI can check the flag without loading tfjs. */
export const ARCHITECTURES = ['dense', 'cnn', 'paper'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
