// The numbers guide 3's chart shows, checked against PyTorch: apps/trainer/fixtures/gradient-flow.json
// is ../shared/bench/reference/gradient_flow.py's output (PyTorch 1.13, tools/fixtures/gen_gradient_flow.py)
// at the reference's settings, untrained, with forget bias 0 and 2.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { curveLabel, type GradientCurve, measureCurves, PROBE_DEFAULTS, PROBE_RUNS } from './gradient-flow';

interface Reference {
  settings: { T: number; hidden: number; input: number; batch: number; seeds: number };
  /** Forget bias → row name (`lstm dL/dc`) → relative norm by step t (the loss at t = T − 1). */
  tables: Record<string, Record<string, number[]>>;
}
const reference: Reference = JSON.parse(
  readFileSync(new URL('../../../trainer/fixtures/gradient-flow.json', import.meta.url), 'utf8'),
);

/** The largest |ours / reference − 1| over every step of a curve. */
function worstRatio(curve: GradientCurve, row: readonly number[]): number {
  const byStep = [...curve.relative].reverse(); // ours by distance, the reference's by step
  expect(byStep).toHaveLength(row.length);
  return Math.max(...byStep.map((v, t) => Math.abs(v / row[t] - 1)));
}

describe("guide 3's gradient chart", () => {
  it('probes at the reference settings by default', () => {
    const { T, hidden, input, batch, seeds } = reference.settings;
    expect(PROBE_DEFAULTS).toEqual({ length: T, hidden, input, batch, seeds });
  });

  const curves = PROBE_RUNS.flatMap((run) => measureCurves(run));

  it('draws dL/dh for RNN, GRU and the LSTM at forget bias 0 and 2, and the LSTM cell path', () => {
    expect(curves.map((c) => c.id)).toEqual([
      'rnn-0-dh',
      'gru-0-dh',
      'lstm-0-dh',
      'lstm-0-dc',
      'lstm-2-dh',
      'lstm-2-dc',
    ]);
    expect(curves[5].label).toBe('LSTM, forget bias 2: ‖dL/dc‖');
    expect(curveLabel({ model: 'rnn', forgetBias: 0 }, 'dh')).toBe('RNN: ‖dL/dh‖');
  });

  for (const id of ['rnn-0-dh', 'gru-0-dh', 'lstm-0-dh', 'lstm-0-dc', 'lstm-2-dh', 'lstm-2-dc']) {
    it(`${id}: every distance as PyTorch's gradient_flow.py`, () => {
      const curve = curves.find((c) => c.id === id) as GradientCurve;
      const row = reference.tables[curve.forgetBias.toFixed(1)][`${curve.model} dL/d${curve.path.slice(1)}`];
      // The trainer's slow test measured at most 1.6e-7; float32 rounding in a different order.
      expect(worstRatio(curve, row)).toBeLessThan(1e-5);
    });
  }

  it('tells the measured story: the RNN vanishes, the LSTM cell path survives only with the bias', () => {
    const at20 = (id: string) => (curves.find((c) => c.id === id) as GradientCurve).relative[20];
    expect(at20('rnn-0-dh')).toBeLessThan(1e-5);
    expect(at20('lstm-0-dc')).toBeLessThan(1e-4);
    expect(at20('lstm-2-dc')).toBeGreaterThan(0.1);
    const gate = (id: string) => (curves.find((c) => c.id === id) as GradientCurve).meanForgetGate;
    expect(gate('lstm-0-dc')).toBeCloseTo(0.5, 1);
    expect(gate('lstm-2-dc')).toBeCloseTo(0.88, 1);
  });

  it('follows smaller settings (the page can probe a shorter sequence)', () => {
    const [rnn] = measureCurves(
      { model: 'rnn', forgetBias: 0 },
      { ...PROBE_DEFAULTS, length: 12, seeds: 1, batch: 4 },
    );
    expect(rnn.relative).toHaveLength(12);
    expect(rnn.relative[0]).toBe(1);
  });
});
