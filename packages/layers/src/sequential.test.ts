/**
 * Sequential (torch.nn.Sequential), ReLU and Tanh, and the Module machinery a nested model relies on:
 * state-dict keys and their order (PyTorch's), loadStateDict (strict errors, strict: false, copies in
 * place), train()/eval() propagation and numParameters. Key names and order follow what PyTorch 1.13
 * gives for the same model: `nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).state_dict()`
 * has the keys 0.weight, 0.bias, 2.weight, 2.bias.
 */
import { Dropout, Embedding, LayerNorm, Linear, Module, ReLU, Sequential, Tanh } from '@seqlab/layers';
import { ConfigError, ShapeError, type Tensor, tensor, zeros } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';

const mlp = () => new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));

/** A model with a submodule, a nested Sequential and a parameter of its own. */
class Tagger extends Module {
  embedding = this.registerModule('embedding', new Embedding(10, 3, { paddingIdx: 0 }));
  scale = this.registerParameter('scale', tensor([1.5]));
  head = this.registerModule('head', new Sequential(new LayerNorm(3), new Dropout(0.2), mlp()));
  forward(ids: Tensor): Tensor {
    return this.head.forward(this.embedding.forward(ids).mul(this.scale));
  }
}

/** A state dict of fresh values (copies), for loading. */
const valuesFor = (m: Module, offset = 0): Map<string, Tensor> =>
  new Map(
    Array.from(m.namedParameters(), ([name, p]) => [
      name,
      tensor(
        Float32Array.from(p.data, (_, i) => offset + i / 10),
        { shape: [...p.shape] },
      ),
    ]),
  );

describe('Sequential', () => {
  test('runs its modules in order: relu(x W1ᵀ + b1) W2ᵀ + b2', () => {
    const model = mlp();
    const [l1, , l2] = model.layers as [Linear, ReLU, Linear];
    const x = tensor([
      [1, -2, 0.5],
      [0.3, 0.1, -1],
    ]);
    const expected = l2.forward(l1.forward(x).relu());
    expectClose(model.forward(x), expected);
    expect(model.forward(x).shape).toEqual([2, 2]);
  });

  test('ReLU and Tanh are parameter-free modules', () => {
    const x = tensor([-1, 0, 2]);
    expect(Array.from(new ReLU().forward(x).data)).toEqual([0, 0, 2]);
    expectClose(new Tanh().forward(x), [Math.tanh(-1), 0, Math.tanh(2)]);
    expect(new ReLU().numParameters()).toBe(0);
    expect([...new Tanh().stateDict().keys()]).toEqual([]);
  });

  test('an empty Sequential is the identity', () => {
    const x = tensor([1, 2]);
    expect(new Sequential().forward(x)).toBe(x);
  });
});

describe('Module state dicts', () => {
  test('Sequential(Linear, ReLU, Linear) has the keys 0.weight, 0.bias, 2.weight, 2.bias, in order', () => {
    const model = mlp();
    expect([...model.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(Array.from(model.namedChildren(), ([name]) => name)).toEqual(['0', '1', '2']);
    expect(model.stateDict().get('2.weight')!.shape).toEqual([2, 4]);
  });

  test('a nested model: own parameters first, then each submodule depth first, in registration order', () => {
    const model = new Tagger();
    // The same model in PyTorch 1.13 (nn.Embedding, nn.Parameter, nn.Sequential(nn.LayerNorm, nn.Dropout,
    // nn.Sequential(...))) gives exactly these keys and module names: a module's own parameters first, then
    // its children, recursively, each in registration order.
    expect([...model.stateDict().keys()]).toEqual([
      'scale',
      'embedding.weight',
      'head.0.weight',
      'head.0.bias',
      'head.2.0.weight',
      'head.2.0.bias',
      'head.2.2.weight',
      'head.2.2.bias',
    ]);
    expect(Array.from(model.namedModules(), ([name]) => name)).toEqual([
      '',
      'embedding',
      'head',
      'head.0',
      'head.1',
      'head.2',
      'head.2.0',
      'head.2.1',
      'head.2.2',
    ]);
    expect(model.forward(tensor([[1, 4, 0]], { dtype: 'int32' })).shape).toEqual([1, 3, 2]);
  });

  test('stateDict() shares storage with the parameters and does not require grad', () => {
    const model = mlp();
    const w = model.stateDict().get('0.weight')!;
    expect(w.requiresGrad).toBe(false);
    w.data[0] = 42;
    expect((model.layers[0] as Linear).weight.data[0]).toBe(42);
  });

  test('loadStateDict copies the values in place: the parameter tensors keep their identity', () => {
    const model = new Tagger();
    const before = model.parameters();
    const dict = valuesFor(model);
    const result = model.loadStateDict(dict);
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const after = model.parameters();
    for (let i = 0; i < before.length; i++) expect(after[i]).toBe(before[i]);
    for (const [name, p] of model.namedParameters()) {
      expect(Array.from(p.data), name).toEqual(Array.from(dict.get(name)!.data));
      expect(p.data).not.toBe(dict.get(name)!.data); // copied, not aliased
      expect(p.requiresGrad, name).toBe(true);
    }
    dict.get('scale')!.data[0] = -9;
    expect(model.scale.data[0]).toBe(0);
  });

  test('loadStateDict accepts a plain object', () => {
    const model = new Linear(2, 1);
    model.loadStateDict({ weight: tensor([[3, 4]]), bias: tensor([5]) });
    expect(model.forward(tensor([[1, 1]])).item()).toBe(12);
  });

  test('strict: a missing key is a ConfigError naming it', () => {
    const model = mlp();
    const dict = valuesFor(model);
    dict.delete('2.bias');
    const load = () => model.loadStateDict(dict);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      'Sequential.loadStateDict: expected exactly the module’s keys (strict), got missing 2.bias. Pass { strict: false } to load a subset',
    );
  });

  test('strict: an unexpected key is a ConfigError naming it, and nothing is loaded', () => {
    const model = mlp();
    const before = Array.from(model.parameters()[0].data);
    const dict = valuesFor(model, 1);
    dict.set('1.weight', zeros([4, 4]));
    const load = () => model.loadStateDict(dict);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow('got unexpected 1.weight.');
    expect(Array.from(model.parameters()[0].data)).toEqual(before);
  });

  test('strict: missing and unexpected keys are listed together', () => {
    const model = mlp();
    const dict = valuesFor(model);
    dict.delete('0.weight');
    dict.delete('2.weight');
    dict.set('fc.weight', zeros([2, 4]));
    expect(() => model.loadStateDict(dict)).toThrow(
      /got missing 0\.weight, 2\.weight; unexpected fc\.weight\. Pass \{ strict: false \}/,
    );
  });

  test('a shape mismatch is a ShapeError naming the key and both shapes, even with strict: false', () => {
    const model = mlp();
    const dict = valuesFor(model);
    dict.set('0.weight', zeros([3, 4]));
    for (const options of [{}, { strict: false }]) {
      const load = () => model.loadStateDict(dict, options);
      expect(load).toThrow(ShapeError);
      expect(load).toThrow('Sequential.loadStateDict: expected 0.weight of shape [4, 3], got [3, 4]');
    }
    dict.set('0.weight', zeros([12]));
    expect(() => model.loadStateDict(dict)).toThrow('expected 0.weight of shape [4, 3], got [12]');
  });

  test('strict: false loads the keys that match and returns the missing and unexpected ones', () => {
    const model = mlp();
    const dict = valuesFor(model, 2);
    const bias0 = Array.from(model.parameters()[1].data);
    dict.delete('0.bias');
    dict.set('3.weight', zeros([1]));
    dict.set('extra', zeros([1]));
    const result = model.loadStateDict(dict, { strict: false });
    expect(result).toEqual({ missingKeys: ['0.bias'], unexpectedKeys: ['3.weight', 'extra'] });
    expect(Array.from(model.parameters()[0].data)).toEqual(Array.from(dict.get('0.weight')!.data));
    expect(Array.from(model.parameters()[1].data)).toEqual(bias0);
    expect(Array.from(model.parameters()[3].data)).toEqual(Array.from(dict.get('2.bias')!.data));
  });

  test('a state dict round-trips between two models of the same architecture', () => {
    const a = new Tagger();
    const b = new Tagger();
    const snapshot = new Map(Array.from(a.stateDict(), ([k, v]) => [k, v.clone()]));
    b.loadStateDict(a.stateDict());
    const ids = tensor([[3, 0, 9]], { dtype: 'int32' });
    a.eval();
    b.eval();
    expectClose(b.forward(ids), a.forward(ids));
    for (const [k, v] of b.stateDict())
      expect(Array.from(v.data), k).toEqual(Array.from(snapshot.get(k)!.data));
  });
});

describe('Module modes and counts', () => {
  test('train() and eval() propagate to every submodule and return the module', () => {
    const model = new Tagger();
    const modes = () => Array.from(model.namedModules(), ([, m]) => m.training);
    expect(modes().every(Boolean)).toBe(true);
    expect(model.eval()).toBe(model);
    expect(modes().some(Boolean)).toBe(false);
    model.train();
    expect(modes().every(Boolean)).toBe(true);
    model.train(false);
    expect(modes().some(Boolean)).toBe(false);
    // A submodule's mode can be set on its own, as in PyTorch.
    model.train();
    model.head.eval();
    expect(model.training).toBe(true);
    expect(model.embedding.training).toBe(true);
    expect(model.head.layers[1].training).toBe(false);
  });

  test('numParameters counts every value; trainableOnly skips frozen parameters', () => {
    const model = new Tagger();
    // scale 1 + embedding 10·3 + LayerNorm 3 + 3 + Linear 3·4 + 4 + Linear 4·2 + 2
    expect(model.numParameters()).toBe(1 + 30 + 6 + 16 + 10);
    expect(mlp().numParameters()).toBe(26);
    model.embedding.weight.requiresGrad = false;
    expect(model.numParameters(true)).toBe(33);
    expect(model.numParameters()).toBe(63);
  });

  test('zeroGrad clears every gradient', () => {
    const model = mlp();
    model
      .forward(tensor([[1, 2, 3]]))
      .sum()
      .backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
    model.zeroGrad();
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
  });

  test.each([
    ['a dotted name', 'a.b', "a non-empty name without dots, got 'a.b'"],
    ['an empty name', '', "a non-empty name without dots, got ''"],
    ['a name already taken', 'weight', "a name not registered yet, got 'weight'"],
  ])('registering %s is a ConfigError', (_what, name, message) => {
    const layer = new Linear(2, 2);
    const register = () => layer.registerParameter(name, zeros([1]));
    expect(register).toThrow(ConfigError);
    expect(register).toThrow(`Linear.registerParameter: expected ${message}`);
    expect(() => layer.registerModule(name, new ReLU())).toThrow(
      `Linear.registerModule: expected ${message}`,
    );
  });
});
