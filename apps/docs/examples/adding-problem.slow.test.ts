// Guide 7's adding-problem table: the LSTM and the per-step Deep Sets model solve it, the mean of the
// step vectors (the trainer's `bag` baseline) stays at the baseline. The guide's run, T = 20, 600 steps.
import { describe, expect, it } from 'vitest';
import { runAdding } from './adding-problem';

describe('the adding problem, T = 20 (guide 7)', () => {
  it('the mean of the steps cannot solve it: it stays near the baseline MSE', () => {
    const r = runAdding('mean');
    expect(r.baselineMse).toBeCloseTo(0.173, 3);
    expect(r.finalMse).toBeGreaterThan(0.13);
  }, 300_000);

  it('an LSTM solves it (test MSE < 0.01 after 600 steps)', () => {
    const r = runAdding('lstm');
    expect(r.curve[1][1]).toBeGreaterThan(0.15); // flat at first, as on every run of this task
    expect(r.finalMse).toBeLessThan(0.01);
  }, 300_000);

  it('so does an order-blind model with a per-step MLP: the task is a sum, not an order', () => {
    expect(runAdding('deepsets').finalMse).toBeLessThan(0.01);
  }, 300_000);
});
