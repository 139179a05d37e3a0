import { describe, expect, it } from 'vitest';
import { trainSimpleRnn } from '../../examples/simple-rnn';
import { compareHiddenState, trainEchoWithRnn } from './hidden-state';

const XS = [0.5, -1, 0.25, 0.8, 0, -0.3, 0.6, 0.1, -0.7, 0.2, 0.4, -0.5];

describe('compareHiddenState (guide 2: the hidden state)', () => {
  const r = compareHiddenState(XS);

  it("gives the from-scratch loop's hidden states and RNN's the same numbers", () => {
    expect(r.steps).toHaveLength(12);
    expect(r.steps[0].loop).toHaveLength(8);
    expect(Math.max(...r.steps.flatMap((s) => s.loop.map(Math.abs)))).toBeGreaterThan(0.1);
    expect(r.forwardDiff).toBeLessThan(1e-6);
  });

  it('gives the same gradients for every weight, in either layout', () => {
    expect(r.gradientDiffs.map((g) => g.name)).toEqual([
      'W_xh = weight_ih_l0ᵀ',
      'W_hh = weight_hh_l0ᵀ',
      'b_h = bias_ih_l0',
      'b_h = bias_hh_l0',
    ]);
    for (const g of r.gradientDiffs) expect(g.maxAbsDiff, g.name).toBeLessThan(1e-5);
  });

  it("carries x_1 in the hidden state, fading step by step (the page's last column)", () => {
    const memory = r.steps.map((s) => s.memory);
    expect(memory[0]).toBeGreaterThan(0.1);
    expect(memory[11]).toBeLessThan(memory[0] / 1000);
    expect(memory.map((m) => m.toExponential(2))).toEqual([
      '3.33e-1',
      '1.51e-1',
      '6.21e-2',
      '5.47e-2',
      '1.68e-2',
      '7.51e-3',
      '2.96e-3',
      '9.97e-4',
      '4.52e-4',
      '2.02e-4',
      '1.04e-4',
      '4.23e-5',
    ]);
  });

  it('differs with another seed (so the comparison is not between two copies of one thing)', () => {
    const other = compareHiddenState(XS, { seed: 1 });
    expect(other.steps[0].loop).not.toEqual(r.steps[0].loop);
    expect(other.forwardDiff).toBeLessThan(1e-6);
  });
});

describe('trainEchoWithRnn: the example trained with RNN and Linear', () => {
  it("follows the from-scratch loop's loss curve step for step", () => {
    const loop = trainSimpleRnn({ steps: 60 });
    const layer = trainEchoWithRnn({ steps: 60 });
    expect(layer[0]).toBe(loop[0]);
    for (let i = 0; i < loop.length; i++) {
      expect(Math.abs(layer[i] - loop[i]) / loop[i], `step ${i}`).toBeLessThan(1e-5);
    }
    expect(layer[59]).toBeLessThan(layer[0] / 10);
  });

  it("parts from the loop after one step when both of the layer's biases are trained", () => {
    const loop = trainSimpleRnn({ steps: 2 });
    const both = trainEchoWithRnn({ steps: 2, trainBiasHh: true });
    expect(both[0]).toBe(loop[0]);
    expect(both.map((v) => v.toFixed(4))).toEqual(['0.2872', '0.2420']);
    expect(loop.map((v) => v.toFixed(4))).toEqual(['0.2872', '0.2458']);
  });
});
