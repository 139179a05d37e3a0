/**
 * Module finds submodules and parameters assigned as properties, as PyTorch's `__setattr__`
 * registers attributes: a model written the PyTorch way (`this.fc = new Linear(...)`) has the same
 * parameters, state-dict keys, parameter count and train/eval propagation as the explicitly
 * registered one, and a state dict written by PyTorch 1.13 (the layer fixtures of
 * `tools/fixtures/gen_layers.py` and `gen_rnn.py`) loads into it.
 */
import { Dropout, Embedding, Linear, LSTM, Module, Sequential, summary } from '@seqlab/layers';
import { ConfigError, manualSeed, randn, type Tensor, tensor, zeros } from '@seqlab/tensor';
import { expectClose, loadFixture } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';

/** PyTorch style: plain property assignment. */
class PlainModel extends Module {
  embedding: Embedding;
  lstm: LSTM;
  dropout: Dropout;
  fc: Linear;
  constructor(V = 20, E = 4, H = 5, C = 3) {
    super();
    this.embedding = new Embedding(V, E, { paddingIdx: 0 });
    this.lstm = new LSTM({ inputSize: E, hiddenSize: H, batchFirst: true });
    this.dropout = new Dropout(0.5);
    this.fc = new Linear(H, C);
  }
  forward(ids: Tensor): Tensor {
    const { output } = this.lstm.forward(this.embedding.forward(ids));
    return this.fc.forward(this.dropout.forward(output.select(1, -1)));
  }
}

/** The same model with explicit registration. */
class RegisteredModel extends Module {
  embedding = this.registerModule('embedding', new Embedding(20, 4, { paddingIdx: 0 }));
  lstm = this.registerModule('lstm', new LSTM({ inputSize: 4, hiddenSize: 5, batchFirst: true }));
  dropout = this.registerModule('dropout', new Dropout(0.5));
  fc = this.registerModule('fc', new Linear(5, 3));
}

/** Class fields, as a TypeScript user writes them. */
class FieldModel extends Module {
  embedding = new Embedding(20, 4, { paddingIdx: 0 });
  lstm = new LSTM({ inputSize: 4, hiddenSize: 5, batchFirst: true });
  dropout = new Dropout(0.5);
  fc = new Linear(5, 3);
}

const KEYS = [
  'embedding.weight',
  'lstm.weight_ih_l0',
  'lstm.weight_hh_l0',
  'lstm.bias_ih_l0',
  'lstm.bias_hh_l0',
  'fc.weight',
  'fc.bias',
];

describe('submodules assigned as properties', () => {
  test.each([
    ['constructor assignment', () => new PlainModel()],
    ['class fields', () => new FieldModel()],
  ])('%s: the same parameters, keys, count and modules as explicit registration', (_, make) => {
    const model = make();
    const registered = new RegisteredModel();
    expect([...model.stateDict().keys()]).toEqual(KEYS);
    expect([...registered.stateDict().keys()]).toEqual(KEYS);
    expect(model.numParameters()).toBe(registered.numParameters());
    expect(model.numParameters()).toBe(20 * 4 + 4 * 20 + 5 * 20 + 20 + 20 + 5 * 3 + 3);
    expect(model.parameters()).toHaveLength(7);
    expect(model.parameters()).toContain((model as FieldModel).fc.weight);
    expect([...model.namedModules()].map(([n, m]) => [n, m.constructor.name])).toEqual([
      ['', model.constructor.name],
      ['embedding', 'Embedding'],
      ['lstm', 'LSTM'],
      ['dropout', 'Dropout'],
      ['fc', 'Linear'],
    ]);
    expect([...model.namedChildren()].map(([n]) => n)).toEqual(['embedding', 'lstm', 'dropout', 'fc']);
    expect(summary(model)).toMatch(/fc \(Linear\)\s+—\s+18/);
  });

  test('train()/eval() reach a Dropout held in a property: eval output is deterministic', () => {
    manualSeed(0);
    const model = new PlainModel();
    const ids = tensor(
      [
        [3, 4, 5],
        [6, 7, 0],
      ],
      { dtype: 'int32' },
    );
    model.eval();
    expect(model.dropout.training).toBe(false);
    expect(model.fc.training).toBe(false);
    expectClose(model.forward(ids), model.forward(ids), { atol: 0, rtol: 0 });
    model.train();
    expect(model.dropout.training).toBe(true);
    expect(model.lstm.training).toBe(true);
  });

  test('gradients reach the fc found in a property, and loadStateDict round-trips', () => {
    manualSeed(1);
    const model = new PlainModel();
    model.eval();
    const ids = tensor([[3, 4, 5]], { dtype: 'int32' });
    model.forward(ids).sum().backward();
    for (const [name, p] of model.namedParameters()) expect(p.grad, name).not.toBeNull();
    const copy = new PlainModel();
    copy.loadStateDict(model.stateDict());
    copy.eval();
    expectClose(copy.forward(ids), model.forward(ids), { atol: 0, rtol: 0 });
  });

  test('a PyTorch state dict (the layers fixtures) loads into the property model and reproduces PyTorch', () => {
    const fx = (name: string) => loadFixture(new URL(`../fixtures/${name}.safetensors`, import.meta.url));
    const emb = fx('layers/embedding');
    const lstm = fx('recurrent/lstm');
    const lin = fx('layers/linear');
    // embedding_padding_idx0: Embedding(6, 4, padding_idx=0); lstm_basic: LSTM(4, 5);
    // linear_out1_3d_bias: Linear(5, 1). nn.Module attributes give the keys embedding.*, lstm.*, fc.*.
    class TorchShaped extends Module {
      embedding = new Embedding(6, 4, { paddingIdx: 0 });
      lstm = new LSTM({ inputSize: 4, hiddenSize: 5 });
      fc = new Linear(5, 1);
    }
    const model = new TorchShaped();
    const dict = new Map<string, Tensor>();
    for (const [prefix, f, c] of [
      ['embedding', emb, 'embedding_padding_idx0'],
      ['lstm', lstm, 'lstm_basic'],
      ['fc', lin, 'linear_out1_3d_bias'],
    ] as const) {
      for (const [k, v] of f.group(`${c}/param`)) dict.set(`${prefix}.${k}`, v);
    }
    expect(model.loadStateDict(dict)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expectClose(
      model.embedding.forward(emb.get('embedding_padding_idx0/ids')),
      emb.get('embedding_padding_idx0/output'),
    );
    expectClose(model.lstm.forward(lstm.get('lstm_basic/input')).output, lstm.get('lstm_basic/output'));
    expectClose(
      model.fc.forward(lin.get('linear_out1_3d_bias/input')),
      lin.get('linear_out1_3d_bias/output'),
    );
  });
});

describe('what a property contributes', () => {
  test('a leaf tensor with requiresGrad is a parameter; plain tensors are not; frozen ones stay', () => {
    class Scaled extends Module {
      scale = tensor([1.5], { requiresGrad: true });
      mask = tensor([1, 0, 1]);
      cached: Tensor | null = null;
      fc = new Linear(3, 3);
    }
    const m = new Scaled();
    m.cached = m.scale.mul(2); // an intermediate (not a leaf) is never a parameter
    expect([...m.stateDict().keys()]).toEqual(['scale', 'fc.weight', 'fc.bias']);
    m.scale.requiresGrad = false;
    expect([...m.stateDict().keys()]).toEqual(['scale', 'fc.weight', 'fc.bias']);
    expect(m.numParameters(true)).toBe(12);
    expect(m.numParameters()).toBe(13);
  });

  test('arrays are ModuleList/ParameterList keys, Maps and plain objects ModuleDict keys', () => {
    class Stack extends Module {
      layers = [new Linear(2, 3), new Linear(3, 2)];
      heads = { pos: new Linear(2, 1), neg: new Linear(2, 1, { bias: false }) };
      extra = new Map([['gate', new Linear(2, 1, { bias: false })]]);
      biases = [zeros([2], { requiresGrad: true }), [tensor([1], { requiresGrad: true })]];
      config = { hidden: 3, names: ['a', 'b'] };
    }
    const m = new Stack();
    expect([...m.stateDict().keys()]).toEqual([
      'biases.0',
      'biases.1.0',
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
      'heads.pos.weight',
      'heads.pos.bias',
      'heads.neg.weight',
      'extra.gate.weight',
    ]);
    expect([...m.namedModules()].map(([n]) => n)).toEqual([
      '',
      'layers.0',
      'layers.1',
      'heads.pos',
      'heads.neg',
      'extra.gate',
    ]);
  });

  test('registered first, in registration order, then properties in property order', () => {
    class Mixed extends Module {
      a = new Linear(1, 1);
      b: Linear;
      constructor() {
        super();
        this.b = this.registerModule('b', new Linear(1, 1));
        this.registerModule('z', new Linear(1, 1));
      }
    }
    expect([...new Mixed().namedChildren()].map(([n]) => n)).toEqual(['b', 'z', 'a']);
  });

  test('a value registered under another name appears once, under its registered name', () => {
    const seq = new Sequential(new Linear(2, 2), new Linear(2, 2));
    expect([...seq.stateDict().keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    class Aliased extends Module {
      encoder = this.registerModule('enc', new Linear(2, 2));
      w = this.registerParameter('W_xh', randn([2, 2]));
    }
    expect([...new Aliased().stateDict().keys()]).toEqual(['W_xh', 'enc.weight', 'enc.bias']);
  });

  test('a shared submodule appears once; a child holding its parent makes no cycle', () => {
    class Child extends Module {
      parent: Module | null = null;
      fc = new Linear(2, 2);
    }
    class Parent extends Module {
      left = new Child();
      right: Child;
      constructor() {
        super();
        this.right = this.left; // shared
        this.left.parent = this;
      }
    }
    const p = new Parent();
    expect([...p.namedModules()].map(([n]) => n)).toEqual(['', 'left', 'left.fc']);
    expect([...p.stateDict().keys()]).toEqual(['left.fc.weight', 'left.fc.bias']);
    expect(p.parameters()).toHaveLength(2);
    p.eval();
    expect(p.left.fc.training).toBe(false);
    const ring: unknown[] = [];
    ring.push(ring, new Linear(1, 1));
    class Ring extends Module {
      ring = ring;
    }
    expect([...new Ring().stateDict().keys()]).toEqual(['ring.1.weight', 'ring.1.bias']);
  });

  test('a property named as a registered name but holding something else is a ConfigError', () => {
    class Clash extends Module {
      constructor() {
        super();
        this.registerModule('fc', new Linear(2, 2));
        (this as unknown as { fc: Linear }).fc = new Linear(2, 3);
      }
    }
    const m = new Clash();
    expect(() => m.parameters()).toThrow(ConfigError);
    expect(() => m.stateDict()).toThrow(
      /Clash: expected property 'fc' to hold what is registered as 'fc', got a Linear \(registered: a Linear\)\. Rename the property or the registered name/,
    );
  });

  test('the clash names what each side holds, a tensor by its dtype and shape (describeValue)', () => {
    class TensorClash extends Module {
      constructor() {
        super();
        this.registerParameter('w', zeros([2]));
        (this as unknown as { w: unknown }).w = [new Linear(1, 1)];
      }
    }
    expect(() => new TensorClash().parameters()).toThrow(
      "TensorClash: expected property 'w' to hold what is registered as 'w', got an Array of 1 Linear (registered: a float32 Tensor of shape [2])",
    );
  });

  test('keys with dots are a ConfigError; registering a module as its own child too', () => {
    class Dotted extends Module {
      heads = new Map([['a.b', new Linear(1, 1)]]);
    }
    expect(() => new Dotted().stateDict()).toThrow(
      /Dotted: expected keys in 'heads' that are non-empty and dot-free, got 'a.b'/,
    );
    const m = new Module();
    expect(() => m.registerModule('self', m)).toThrow(/registerModule: expected a module other than itself/);
  });
});

describe('loadStateDict checks its values at run time', () => {
  test('a value that is not a Tensor, or a dict that is not an object, is a ConfigError', () => {
    const fc = new Linear(2, 1);
    expect(() => fc.loadStateDict({ weight: [[1, 2]], bias: tensor([0]) })).toThrow(
      "Linear.loadStateDict: expected 'weight' to be a Tensor, got an Array of 1 Array. Make one with tensor([[1, 2]])",
    );
    expect(() => fc.loadStateDict(undefined as never)).toThrow(
      'Linear.loadStateDict: expected a state dict (a Map or an object of Tensors), got undefined',
    );
  });
});

// Module.zeroGrad drops gradients (set to none); one the caller read keeps its values when the
// next backward runs (a gradient nobody read is handed back for that backward to reuse).
describe('zeroGrad', () => {
  test('drops every gradient, and a gradient the caller kept is not overwritten by the next backward', () => {
    manualSeed(3);
    const emb = new Embedding(1000, 32); // [1000, 32]: 128 KB, large enough to be pooled
    const ids = tensor(Int32Array.from([1, 5, 5, 999, 0, 42]), { shape: [2, 3], dtype: 'int32' });
    const w = randn([2, 3, 32]);
    const backward = () => emb.forward(ids).mul(w).sum().backward();
    backward();
    emb.zeroGrad();
    expect(emb.weight.grad).toBeNull();
    backward();
    const kept = emb.weight.grad as Tensor;
    const values = Array.from(kept.data);
    emb.zeroGrad();
    backward();
    backward(); // accumulates into the new gradient: twice the first
    expect(emb.weight.grad?.data).not.toBe(kept.data);
    expect(Array.from(kept.data)).toEqual(values);
    expect(Array.from(emb.weight.grad?.data ?? [])).toEqual(values.map((v) => Math.fround(v + v)));
  });
});
