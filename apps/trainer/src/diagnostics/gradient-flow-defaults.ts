import type { GradientFlowOptions } from './gradient-flow';

/** The reference script's settings (T 50, hidden 64, input 16, batch 32, 5 seeds) and a short run. */
export const GRADIENT_FLOW_DEFAULTS: Omit<GradientFlowOptions, 'onTrainStep'> = {
  length: 50,
  hidden: 64,
  input: 16,
  batch: 32,
  seeds: 5,
  models: ['rnn', 'gru', 'lstm'],
  forgetBias: 0,
  trainSteps: 200,
  lr: 3e-3,
  clip: 1,
};
