import { TextClassifier } from '@seqlab/classifier';
import { NumericError, type Tensor, zeros } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from './config';
import { evaluate } from './evaluate';
import { allFinite, checkLoss, checkWeights, clipGradNormOrStop, type TrainStep } from './numeric-guard';

/** A bidirectional LSTM classifier: embedding [10, 4], H 3, 3 classes (real parameter names). */
function model(): TextClassifier {
  return new TextClassifier(parseTrainConfig({ hidden: 3, embed: 4, dropout: 0 }), 10, 3);
}

/** A parameter by its state-dict name. */
function param(m: TextClassifier, name: string): Tensor {
  const p = new Map(m.namedParameters()).get(name);
  if (!p) throw new Error(`no parameter ${name}`);
  return p;
}

const AT: TrainStep = { epoch: 2, batch: 3, batches: 16, resumedBatches: 0 };

/** The thrown error (the test fails when nothing is thrown). */
function thrown(fn: () => unknown): NumericError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NumericError);
    return error as NumericError;
  }
  throw new Error('expected a NumericError, nothing was thrown');
}

describe('checkLoss', () => {
  it('passes a finite loss', () => {
    expect(() => checkLoss(() => model().namedParameters(), 1.25, AT)).not.toThrow();
  });

  it('names where it happened, the largest weight when all are finite, and the kept checkpoint', () => {
    const m = model();
    param(m, 'fc.weight').data[2] = -3e20; // fc is declared after the embedding and the LSTM
    const err = thrown(() => checkLoss(() => m.namedParameters(), Number.NaN, AT));
    expect(err.message).toBe(
      'train: expected a finite loss, got NaN at epoch 2, batch 3 of 16 (step 19); every weight is finite, ' +
        'the largest |weight| is 3.00e+20 in fc.weight. Nothing of this epoch was saved; checkpoint/ keeps ' +
        'epoch 1. Lower --lr or --weight-decay (or set --clip) and train again',
    );
  });

  it('names a non-finite weight, and says when no checkpoint exists or a resumed one holds batches', () => {
    const m = model();
    param(m, 'embedding.weight').data[5] = Number.NaN;
    const first = thrown(() => checkLoss(() => m.namedParameters(), Infinity, { ...AT, epoch: 1 }));
    expect(first.actual).toContain(
      'the weights are not finite: NaN in element 5 of embedding.weight [10, 4]',
    );
    expect(first.hint).toContain('no epoch had finished, so there is no checkpoint');
    const resumed = thrown(() =>
      checkLoss(() => m.namedParameters(), Infinity, { ...AT, resumedBatches: 2 }),
    );
    expect(resumed.hint).toContain('checkpoint/ keeps epoch 1 and 2 batches of epoch 2');
  });
});

describe('clipGradNormOrStop', () => {
  it('clips and returns the norm of finite gradients', () => {
    const m = model();
    for (const p of m.parameters()) p.grad = zeros(p.shape).add(1);
    const n = m.parameters().reduce((a, p) => a + p.numel, 0);
    expect(clipGradNormOrStop(m.parameters(), () => m.namedParameters(), 1, AT)).toBeCloseTo(Math.sqrt(n), 4);
  });

  it('throws a NumericError naming the norm and the first parameter with a non-finite gradient', () => {
    const m = model();
    for (const p of m.parameters()) p.grad = zeros(p.shape);
    (param(m, 'lstm.bias_ih_l0_reverse').grad as Tensor).data[4] = Number.NaN;
    const err = thrown(() => clipGradNormOrStop(m.parameters(), () => m.namedParameters(), 5, AT));
    expect(err.message).toMatch(
      /^train: expected a finite gradient norm, got NaN at epoch 2, batch 3 of 16 \(step 19\); the first non-finite gradient is NaN in element 4 of lstm\.bias_ih_l0_reverse \[12\]\. Nothing/,
    );
  });
});

describe('checkWeights', () => {
  it('passes finite weights and names the first that the step made non-finite', () => {
    const m = model();
    expect(() => checkWeights(() => m.namedParameters(), 2, AT)).not.toThrow();
    param(m, 'fc.bias').data[1] = Infinity;
    expect(() => checkWeights(() => m.namedParameters(), 2, AT)).toThrow(
      'train: expected finite weights after the optimizer step, got Infinity in element 1 of fc.bias [3] at epoch 2, batch 3 of 16 (step 19) (the gradients were finite, norm 2.00e+0)',
    );
  });
});

describe('allFinite', () => {
  it('finds a NaN or an infinity at every position of the 4-wide loop and of its tail', () => {
    for (const n of [1, 3, 4, 9, 1031]) {
      const data = new Float32Array(n).map((_, i) => (i % 2 ? -3e38 : 3e38) * (i % 3 ? 1 : -0));
      expect(allFinite(data)).toBe(true);
      for (let at = 0; at < n; at++) {
        for (const bad of [Number.NaN, Infinity, -Infinity]) {
          const copy = data.slice();
          copy[at] = bad;
          expect(allFinite(copy), `${bad} at ${at} of ${n}`).toBe(false);
        }
      }
    }
    expect(allFinite(new Float32Array(0))).toBe(true);
    expect(allFinite(Float64Array.of(Number.MAX_VALUE, -Number.MAX_VALUE, 1))).toBe(true);
  });
});

describe('evaluate', () => {
  it('throws a NumericError for an output that overflowed, instead of dropping the example', () => {
    const m = model();
    // Finite weights whose logits overflow: max·(1 + Σh) and max·(1 − Σh), one of them is infinite,
    // and softmax then gives NaN.
    const max = 3.4e38;
    const w = param(m, 'fc.weight');
    w.data.fill(0);
    w.data.fill(max, 0, 6);
    w.data.fill(-max, 6, 12);
    param(m, 'fc.bias').data.set([max, max, 0]);
    const examples = [
      { ids: [2, 3, 4], label: 0 },
      { ids: [5, 6], label: 1 },
    ];
    expect(() => evaluate(m, examples, 3)).toThrow(
      /^evaluate: expected finite class probabilities, got NaN for class \d of example 1 of 2\. The model's output overflowed/,
    );
  });

  it('predicts the most likely class of finite outputs', () => {
    const m = model();
    param(m, 'fc.weight').data.fill(0);
    param(m, 'fc.bias').data.set([0, 2, 1]);
    const e = evaluate(m, [{ ids: [2, 3], label: 1 }], 3);
    expect(e.predictions).toEqual([1]);
    expect(e.confusion).toEqual([
      [0, 0, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
  });
});
