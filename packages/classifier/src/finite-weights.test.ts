import { NumericError, type Tensor, tensor } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { checkFiniteWeights, firstNonFinite, TextClassifier } from './index';

/** A bidirectional LSTM classifier: embedding [10, 4], H 3, 3 classes (real parameter names). */
function model(): TextClassifier {
  const config = {
    model: 'lstm',
    layers: 1,
    hidden: 3,
    embed: 4,
    bidirectional: true,
    dropout: 0,
    forgetBias: 0,
  } as const;
  return new TextClassifier(config, 10, 3);
}

/** A parameter by its state-dict name. */
function param(m: TextClassifier, name: string): Tensor {
  const p = new Map(m.namedParameters()).get(name);
  if (!p) throw new Error(`no parameter ${name}`);
  return p;
}

describe('firstNonFinite', () => {
  it('finds the first NaN or infinity in parameter order, of the values or of the gradients', () => {
    const m = model();
    expect(firstNonFinite(m.namedParameters())).toBeNull();
    param(m, 'lstm.weight_hh_l0').data[7] = -Infinity;
    expect(firstNonFinite(m.namedParameters())).toEqual({
      value: -Infinity,
      at: 'element 7 of lstm.weight_hh_l0 [12, 3]',
    });
    expect(firstNonFinite(m.namedParameters(), 'grad')).toBeNull(); // no gradients yet
  });
});

describe('checkFiniteWeights', () => {
  it('names the option, the file and the tensor', () => {
    const dict = new Map([
      ['a', tensor([1, 2])],
      ['b', tensor(new Float32Array([0, Number.NaN, 1, 1]), { shape: [2, 2] })],
    ]);
    expect(() => checkFiniteWeights(dict, '/r/model.safetensors', '--run')).toThrow(NumericError);
    expect(() => checkFiniteWeights(dict, '/r/model.safetensors', '--run')).toThrow(
      '--run: expected finite weights in /r/model.safetensors, got NaN at element 1 of b [2, 2]. A run that diverged',
    );
    dict.delete('b');
    expect(() => checkFiniteWeights(dict, '/r/model.safetensors', '--run')).not.toThrow();
  });
});
