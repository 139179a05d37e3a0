// Guide 4's model and numbers: the training run the page's Web Worker does (same code, same seed),
// the gates traceGates reads from the library checked against an LSTMCell stepped by hand, and the
// forget gate's behaviour at the marks that the guide describes.
import { LSTMCell } from '@seqlab/layers';
import { matmul, noGrad, tensor, zeros } from '@seqlab/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encode,
  evaluate,
  exportWeights,
  forgetAtMarks,
  GateTrainer,
  importWeights,
  makeSentences,
  targets,
  traceGates,
} from './lstm-gates';

describe('the task', () => {
  it('labels each character with what has been read so far', () => {
    expect(targets('a "b" (c) d')).toEqual([
      [0, 0],
      [0, 0],
      [1, 0],
      [1, 0],
      [0, 0],
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(encode('A?~')).toEqual([2, 33, 0]);
  });

  it('draws reproducible sentences with quotes and parentheses, held-out ones from another seed', () => {
    const train = makeSentences(500, 1);
    expect(makeSentences(500, 1)).toEqual(train);
    expect(train.filter((s) => s.includes('"')).length).toBeGreaterThan(200);
    expect(train.filter((s) => s.includes('(')).length).toBeGreaterThan(200);
    expect(Math.max(...train.map((s) => s.length))).toBeLessThanOrEqual(64);
    const held = new Set(makeSentences(200, 2));
    expect(train.filter((s) => held.has(s)).length).toBeLessThan(5);
  });
});

describe('the trained model (200 steps, seed 0: what the page trains)', () => {
  const trainer = new GateTrainer({ steps: 200 });
  const losses: number[] = [];
  beforeAll(() => {
    while (trainer.step < trainer.steps) losses.push(trainer.next().loss);
  }, 120_000);

  it('has 986 parameters, and its loss falls from 0.82 to below 0.01', () => {
    expect(trainer.model.numParameters()).toBe(986);
    expect(losses[0]).toBeCloseTo(0.82, 2);
    expect(losses[199]).toBeLessThan(0.01);
    console.log(`lstm-gates: loss ${losses[0].toFixed(3)} -> ${losses[199].toFixed(4)}`);
  });

  it('gets every label of 200 held-out sentences right', () => {
    const e = evaluate(trainer.model);
    console.log(`lstm-gates: held-out ${JSON.stringify(e)}`);
    expect(e).toEqual({ charAccuracy: 1, sentenceAccuracy: 1, sentences: 200 });
  });

  it("records the gates the LSTM computed: an LSTMCell stepped by hand with the model's weights gives the same", () => {
    const text = 'she said "no" (yes).';
    const trace = traceGates(trainer.model, text);
    const lstm = trainer.model.lstm.stateDict();
    const cell = new LSTMCell(8, 8);
    cell.loadStateDict({
      weight_ih: lstm.get('weight_ih_l0'),
      weight_hh: lstm.get('weight_hh_l0'),
      bias_ih: lstm.get('bias_ih_l0'),
      bias_hh: lstm.get('bias_hh_l0'),
    });
    const W = cell.stateDict();
    const w = (name: string) => {
      const t = W.get(name);
      if (!t) throw new Error(`no ${name}`);
      return t;
    };
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    noGrad(() => {
      const x = trainer.model.embedding.forward(tensor(encode(text), { dtype: 'int32' })); // [T, 8]
      let state = { h: zeros([8]), c: zeros([8]) };
      for (let t = 0; t < text.length; t++) {
        // The gates by hand from the same weights: W_ih x + b_ih + W_hh h + b_hh, blocks i, f, g, o.
        const pre = matmul(w('weight_ih'), x.select(0, t).unsqueeze(1))
          .squeeze(1)
          .add(w('bias_ih'))
          .add(matmul(w('weight_hh'), state.h.unsqueeze(1)).squeeze(1))
          .add(w('bias_hh')).data;
        state = cell.forward(x.select(0, t), state);
        for (let u = 0; u < 8; u++) {
          expect(trace.input[t][u]).toBeCloseTo(sigmoid(pre[u]), 5);
          expect(trace.forget[t][u]).toBeCloseTo(sigmoid(pre[8 + u]), 5);
          expect(trace.candidate[t][u]).toBeCloseTo(Math.tanh(pre[16 + u]), 5);
          expect(trace.output[t][u]).toBeCloseTo(sigmoid(pre[24 + u]), 5);
          expect(trace.cell[t][u]).toBeCloseTo(state.c.data[u], 4);
        }
      }
    });
    expect(trace.predictions[9][0]).toBeGreaterThan(0.5); // after the opening quote
    expect(trace.predictions[15][1]).toBeGreaterThan(0.5); // inside the parentheses
  });

  it('closes some forget gates at the quote marks and others at the parentheses, and keeps them open elsewhere', () => {
    const f = forgetAtMarks(trainer.model);
    const fmt = (v: number[]) => v.map((x) => x.toFixed(2)).join(' ');
    console.log(
      `lstm-gates: mean forget per unit\n  at "   ${fmt(f.quote)}\n  at ( ) ${fmt(f.paren)}\n  else   ${fmt(f.other)}`,
    );
    const quoteUnits = f.quote.flatMap((v, u) => (v < 0.1 && f.other[u] > 0.8 ? [u] : []));
    const parenUnits = f.paren.flatMap((v, u) => (v < 0.1 && f.other[u] > 0.8 ? [u] : []));
    // The guide quotes these (seed 0).
    expect(quoteUnits).toEqual([0, 2]);
    expect(parenUnits).toEqual([4, 7]);
    expect([fmt(f.quote), fmt(f.paren), fmt(f.other)]).toEqual([
      '0.00 0.96 0.00 0.96 0.99 0.01 0.89 0.99',
      '1.00 0.07 0.61 0.88 0.01 0.01 0.56 0.01',
      '0.94 0.79 0.91 0.95 0.95 0.72 0.65 0.96',
    ]);
  });

  it('round-trips its weights through what the worker posts', () => {
    const copy = importWeights(exportWeights(trainer.model));
    const text = 'a "b" (c).';
    expect(traceGates(copy, text)).toEqual(traceGates(trainer.model, text));
  });
});
