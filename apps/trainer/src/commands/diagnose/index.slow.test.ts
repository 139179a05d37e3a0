// The reference's tables, reproduced number for number: apps/trainer/fixtures/gradient-flow.json is
// ../shared/bench/reference/gradient_flow.py's output (PyTorch 1.13; tools/fixtures/gen_gradient_flow.py)
// at its settings — T 50, hidden 64, input 16, batch 32, seeds 0–4, untrained — with forget bias 0
// and 2. measureGradientFlow draws from TorchGenerator, so the weights and inputs are the reference's
// own; what is left is float32 rounding in a different order, compounded over up to 49 steps.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GRADIENT_FLOW_DEFAULTS, measureGradientFlow } from '../../diagnostics/gradient-flow';

interface Reference {
  settings: { T: number; hidden: number; input: number; batch: number; seeds: number };
  /** Forget bias → row name → relative norm by step t (the loss at t = T − 1). */
  tables: Record<string, Record<string, number[]>>;
}
const reference: Reference = JSON.parse(
  readFileSync(new URL('../../../fixtures/gradient-flow.json', import.meta.url), 'utf8'),
);

/** The largest |ours / reference − 1| over every step of a row. */
function worstRatio(ours: readonly number[], theirs: readonly number[]): number {
  expect(ours.length).toBe(theirs.length);
  return Math.max(...ours.map((v, i) => Math.abs(v / theirs[i] - 1)));
}

describe('diagnose gradients reproduces gradient_flow.py (T 50, hidden 64, 5 seeds, untrained)', () => {
  it('has the reference settings as its defaults', () => {
    const { T, hidden, input, batch, seeds } = reference.settings;
    expect(GRADIENT_FLOW_DEFAULTS).toMatchObject({ length: T, hidden, input, batch, seeds });
  });

  for (const forgetBias of [0, 2]) {
    it(`forget bias ${forgetBias}: every row, every step, as PyTorch's`, () => {
      const table = reference.tables[forgetBias.toFixed(1)];
      const r = measureGradientFlow({
        ...GRADIENT_FLOW_DEFAULTS,
        trainSteps: 0,
        forgetBias,
        models: forgetBias === 0 ? ['rnn', 'gru', 'lstm'] : ['lstm'],
      });
      const init = r.series.filter((s) => s.phase === 'init');
      expect(init.length).toBe(forgetBias === 0 ? 4 : 2);
      for (const s of init) {
        // Ours are listed by distance from the loss, the reference's by step.
        const byStep = [...s.relative].reverse();
        const worst = worstRatio(byStep, table[s.name]);
        // Measured: at most 1.6e-7 (wasm backend, 2026-11-26).
        expect(worst, s.name).toBeLessThan(1e-5);
      }
    });
  }
});
