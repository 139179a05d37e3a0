// The reference's numbers, reproduced at its settings (T 50, hidden 64, input 16, batch 32, 5 seeds,
// untrained). Produced with PyTorch 1.13 by
//   /usr/bin/python3 ../shared/bench/reference/gradient_flow.py                  (forget bias 0)
//   /usr/bin/python3 ../shared/bench/reference/gradient_flow.py --forget-bias 2
// Our generator is not torch's, so the weights and inputs are different draws from the same
// distributions: the numbers agree statistically, hence the factor of 3 (with 40 seeds on both
// sides they agree within 10–20%). On the *same* weights and inputs they agree to 1e-7 (checked
// while writing this command; the fast test rebuilds the reference's loop with LSTMCell instead).
import { describe, expect, it } from 'vitest';
import {
  GRADIENT_FLOW_DEFAULTS,
  type GradientFlowResult,
  measureGradientFlow,
} from '../../diagnostics/gradient-flow';

const REFERENCE = {
  rnnDhAt20: 4.22e-6,
  lstmDcAt20: 3.82e-5,
  lstmDcAt20ForgetBias2: 2.67e-1,
};

const at = (r: GradientFlowResult, name: string, d: number) => {
  const s = r.series.find((x) => x.name === name && x.phase === 'init');
  if (!s) throw new Error(`no series ${name}`);
  return s.relative[d];
};

const withinFactor3 = (ours: number, reference: number) => {
  expect(ours).toBeGreaterThan(reference / 3);
  expect(ours).toBeLessThan(reference * 3);
};

describe('diagnose gradients reproduces gradient_flow.py (T 50, hidden 64, 5 seeds, untrained)', () => {
  const options = { ...GRADIENT_FLOW_DEFAULTS, trainSteps: 0 };

  it('default init: the RNN and the LSTM cell path both vanish by distance 20', () => {
    const r = measureGradientFlow(options);
    withinFactor3(at(r, 'rnn dL/dh', 20), REFERENCE.rnnDhAt20);
    withinFactor3(at(r, 'lstm dL/dc', 20), REFERENCE.lstmDcAt20);
  });

  it('forget bias +2: the cell path keeps about a quarter of the signal at distance 20', () => {
    const r = measureGradientFlow({ ...options, models: ['lstm'], forgetBias: 2 });
    withinFactor3(at(r, 'lstm dL/dc', 20), REFERENCE.lstmDcAt20ForgetBias2);
  });
});
