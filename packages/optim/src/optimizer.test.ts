// The Optimizer base: parameter groups, validation of parameters, zeroGrad, step's skipping and
// shape check, and stateDict/loadStateDict (format, errors, and exact resumption for every
// optimizer). The update rules themselves are checked against PyTorch in optimizers.golden.test.ts.
import {
  ConfigError,
  DTypeError,
  Generator,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  zeros,
} from '@seqlab/tensor';
import { describe, expect, test } from 'vitest';
import {
  Adagrad,
  Adam,
  AdamW,
  clipGradNorm,
  type Optimizer,
  type OptimizerStateDict,
  optimizerStateToJson,
  type ParamState,
  RMSprop,
  SGD,
} from './index';

const param = (values: number[], shape = [values.length]): Tensor =>
  tensor(Float32Array.from(values), { shape, requiresGrad: true });
const withGrad = (p: Tensor, values: number[]): Tensor => {
  p.grad = tensor(Float32Array.from(values), { shape: p.shape });
  return p;
};
/** Three parameters with real shapes: a [4, 3] weight, a [4] bias and a [2, 4] head. */
function makeParams(seed = 0): Tensor[] {
  const g = new Generator(seed);
  return [[4, 3], [4], [2, 4]].map((shape) => {
    const p = randn(shape, { generator: g });
    p.requiresGrad = true;
    return p;
  });
}
/** The JSON form of a state dict, through JSON text (what a file written with JSON.stringify holds). */
const json = (value: OptimizerStateDict): OptimizerStateDict =>
  JSON.parse(JSON.stringify(optimizerStateToJson(value))) as OptimizerStateDict;

describe('parameters and groups', () => {
  test('a list of tensors is one group with the defaults', () => {
    const params = makeParams();
    const opt = new Adam(params);
    expect(opt.paramGroups).toHaveLength(1);
    expect(opt.paramGroups[0]?.params).toEqual(params);
    expect(opt.paramGroups[0]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    expect(opt.kind).toBe('Adam');
  });

  test('groups override the defaults per group, and options are writable', () => {
    const [a, b, c] = makeParams() as [Tensor, Tensor, Tensor];
    const opt = new SGD([{ params: [a, b] }, { params: [c], lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([
      [0.1, 0],
      [0.5, 0.9],
    ]);
    expect(opt.defaults.lr).toBe(0.1);
    // A schedule (or the user) changes lr between steps; the next step uses it.
    const p = withGrad(param([1]), [0.5]);
    const single = new SGD([p], { lr: 0.1 });
    single.step();
    expect(p.data[0]).toBeCloseTo(0.95, 7);
    (single.paramGroups[0] as { lr: number }).lr = 0.2;
    single.step();
    expect(p.data[0]).toBeCloseTo(0.85, 7);
  });

  test('addParamGroup adds a group with the defaults, checked against the existing ones', () => {
    const [a, b] = makeParams() as [Tensor, Tensor];
    const opt = new RMSprop([a], { lr: 0.05 });
    opt.addParamGroup({ params: [b], centered: true });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.05, centered: true });
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(
      'RMSprop: expected each parameter in one group, once, got the tensor at paramGroups[0].params[0] again at paramGroups[2].params[0]',
    );
  });

  test.each([
    ['SGD', (ps: Tensor[]) => new SGD(ps, 0.1)],
    ['Adam', (ps: Tensor[]) => new Adam(ps, 0.1)],
    ['AdamW', (ps: Tensor[]) => new AdamW(ps, 0.1)],
    ['Adagrad', (ps: Tensor[]) => new Adagrad(ps, 0.1)],
    ['RMSprop', (ps: Tensor[]) => new RMSprop(ps, 0.1)],
  ] as const)("%s takes PyTorch's positional lr: new X(params, 0.1) is { lr: 0.1 }", (kind, make) => {
    const positional = make([withGrad(param([1, -2]), [0.5, 0.25])]);
    const OptimizerClass = positional.constructor as new (ps: Tensor[], o: object) => Optimizer;
    const named = new OptimizerClass([withGrad(param([1, -2]), [0.5, 0.25])], { lr: 0.1 });
    expect(positional.kind).toBe(kind);
    expect(positional.paramGroups[0].lr).toBe(0.1);
    expect(positional.defaults).toEqual(named.defaults);
    positional.step();
    named.step();
    expect(Array.from(positional.paramGroups[0].params[0].data)).toEqual(
      Array.from(named.paramGroups[0].params[0].data),
    );
    expect(kind === 'AdamW' ? positional.defaults : { weightDecay: 0.01 }).toMatchObject({
      weightDecay: 0.01,
    });
  });

  test('a failed addParamGroup leaves nothing behind', () => {
    const [a, b] = makeParams() as [Tensor, Tensor];
    const opt = new SGD([a], { lr: 0.1 });
    expect(() => opt.addParamGroup({ params: [b], lr: -1 })).toThrow(ConfigError);
    opt.addParamGroup({ params: [b], lr: 0.2 });
    expect(opt.paramGroups).toHaveLength(2);
  });

  test.each([
    [
      'a single Tensor',
      () => new SGD(param([1]) as never, { lr: 0.1 }),
      'SGD: expected a list of tensors or of parameter groups, got a single Tensor. help: pass [param]',
    ],
    ['an empty list', () => new Adam([]), 'Adam: expected a non-empty list of parameters, got an empty list'],
    [
      'a list that mixes tensors and groups',
      () => new Adam([param([1]), { params: [param([2])] }] as never),
      'Adam: expected either tensors or parameter groups, got a list that mixes both',
    ],
    [
      'a non-tensor',
      () => new Adam([{ params: [param([1]), 3 as never] }]),
      'Adam: expected a Tensor at paramGroups[0].params[1], got the number 3',
    ],
    [
      'a model instead of its parameters',
      () => new Adam({ parameters: () => [param([1])] } as never),
      'Adam: expected a list of tensors or of parameter groups, got a plain object with keys parameters (a module). help: pass model.parameters()',
    ],
    [
      'a Module-like class instance',
      () => {
        class SentimentLSTM {
          parameters(): Tensor[] {
            return [param([1])];
          }
        }
        return new SGD(new SentimentLSTM() as never, 0.1);
      },
      'SGD: expected a list of tensors or of parameter groups, got a SentimentLSTM (a module). help: pass model.parameters()',
    ],
    [
      'a state dict (Map)',
      () => new Adam(new Map([['fc.weight', param([1])]]) as never),
      'Adam: expected a list of tensors or of parameter groups, got a Map of 1 entry. help: pass model.parameters() (a state dict holds detached copies)',
    ],
    [
      'undefined params',
      () => new RMSprop(undefined as never, 0.1),
      'RMSprop: expected a list of tensors or of parameter groups, got undefined',
    ],
    [
      'a number as params',
      () => new Adagrad(3 as never),
      'Adagrad: expected a list of tensors or of parameter groups, got the number 3',
    ],
    [
      'a positional lr that is not a number',
      () => new Adam([param([1])], '0.1' as never),
      'Adam: expected options as { lr, ... } or a number (the learning rate), got the string "0.1"',
    ],
    [
      'an array as options',
      () => new SGD([param([1])], [0.1] as never),
      'SGD: expected options as { lr, ... } or a number (the learning rate), got an Array of 1 number',
    ],
    [
      "PyTorch's positional momentum after the lr",
      () => new (SGD as unknown as new (...args: unknown[]) => SGD)([param([1])], 0.1, 0.9),
      'SGD: expected (params, lr) or (params, { lr, ...options }), got 1 more argument (the number 0.9). help: pass the other options by name, e.g. { lr: 0.1, momentum: 0.9 }',
    ],
    ['a positional lr ≤ 0', () => new AdamW([param([1])], 0), 'AdamW: expected paramGroups[0].lr > 0, got 0'],
    [
      'an unknown option',
      () => new Adam([param([1])], { momentum: 0.9 } as never),
      "Adam: expected options among lr, betas, eps, weightDecay, amsgrad, maximize, got unknown option 'momentum'",
    ],
    [
      'an unknown group option',
      () => new SGD([{ params: [param([1])], betas: [0.9, 0.99] } as never], { lr: 0.1 }),
      "SGD: expected options among lr, momentum, dampening, weightDecay, nesterov, maximize, got unknown option 'betas'",
    ],
    [
      'a group without params',
      () => new SGD([{ lr: 0.1 } as never], { lr: 0.1 }),
      'SGD: expected paramGroups[0] to be { params, ...options }, got {"lr":0.1}',
    ],
  ])('%s throws a ConfigError', (_name, make, message) => {
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(message);
  });

  test('a parameter listed twice (across groups or within one) throws a ConfigError naming both places', () => {
    const [a, b] = makeParams() as [Tensor, Tensor];
    expect(() => new Adam([{ params: [a, b] }, { params: [b] }])).toThrow(
      'Adam: expected each parameter in one group, once, got the tensor at paramGroups[0].params[1] again at paramGroups[1].params[0]',
    );
    expect(() => new Adam([a, b, a])).toThrow(
      'got the tensor at paramGroups[0].params[0] again at paramGroups[0].params[2]',
    );
  });

  test('a non-floating parameter throws a DTypeError', () => {
    const ids = tensor([1, 2, 3], { dtype: 'int32' });
    expect(() => new Adam([param([1]), ids])).toThrow(DTypeError);
    expect(() => new Adam([param([1]), ids])).toThrow(
      'Adam: expected a float32 or float64 parameter at paramGroups[0].params[1], got int32',
    );
  });

  test('a parameter without requiresGrad, or a non-leaf, throws a ConfigError with a help line', () => {
    const frozen = zeros([3]);
    expect(() => new SGD([frozen], { lr: 0.1 })).toThrow(
      'SGD: expected a parameter with requiresGrad: true at paramGroups[0].params[0], got requiresGrad: false. help: set requiresGrad = true, or leave frozen tensors out of the optimizer',
    );
    const computed = param([1, 2]).mul(2);
    expect(() => new SGD([computed], { lr: 0.1 })).toThrow(ConfigError);
    expect(() => new SGD([computed], { lr: 0.1 })).toThrow(
      'SGD: expected a leaf tensor at paramGroups[0].params[0], got the output of mul',
    );
  });

  test('float64 parameters keep float64 state', () => {
    const p = tensor(Float64Array.from([1, 2]), { requiresGrad: true });
    const opt = new Adam([withGrad(p, [0.1, 0.2])]);
    opt.step();
    expect(opt.state.get(p)?.exp_avg).toBeInstanceOf(Float64Array);
  });
});

describe('zeroGrad and step', () => {
  test('zeroGrad drops gradients by default, or zeroes them in place', () => {
    const [a, b] = makeParams() as [Tensor, Tensor];
    withGrad(a, Array(12).fill(1));
    withGrad(b, Array(4).fill(1));
    const opt = new SGD([a, b], { lr: 0.1 });
    const kept = b.grad;
    opt.zeroGrad({ setToNone: false });
    expect(b.grad).toBe(kept);
    expect(Array.from(b.grad?.data ?? [])).toEqual([0, 0, 0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(b.grad).toBeNull();
  });

  // zeroGrad hands a gradient nobody read back for the next backward to reuse (step and
  // clipGradNorm read it without keeping it); one the caller read must keep its values.
  test('a gradient kept across zeroGrad and the next backward keeps its values', () => {
    const gen = new Generator(11);
    const w = randn([256, 128], { generator: gen }).detach(); // 128 KB: large enough to be pooled
    w.requiresGrad = true;
    const x = randn([32, 128], { generator: gen });
    const opt = new Adam([w], { lr: 1e-3 });
    const train = () => {
      opt.zeroGrad();
      const y = x.matmul(w.transpose(0, 1));
      y.mul(y).sum().backward();
      clipGradNorm([w], 1);
      opt.step();
    };
    train();
    train(); // the first step's gradient, never read, was reused
    const kept = w.grad as Tensor;
    const values = Array.from(kept.data);
    train();
    expect(w.grad).not.toBe(kept);
    expect(w.grad?.data).not.toBe(kept.data);
    expect(Array.from(kept.data)).toEqual(values);
    const next = Array.from(w.grad?.data ?? []);
    expect(next).not.toEqual(values);
  });

  test('step skips parameters without a gradient (no update, no state)', () => {
    const [a, b] = makeParams() as [Tensor, Tensor];
    const before = Array.from(b.data);
    const opt = new Adam([withGrad(a, Array(12).fill(0.5)), b]);
    opt.step();
    expect(Array.from(b.data)).toEqual(before);
    expect(opt.state.has(b)).toBe(false);
    expect(opt.state.get(a)?.step).toBe(1);
  });

  test('a gradient of another size throws a ShapeError', () => {
    const p = param([1, 2, 3, 4], [2, 2]);
    p.grad = tensor([1, 2, 3]);
    expect(() => new SGD([p], { lr: 0.1 }).step()).toThrow(ShapeError);
    expect(() => new SGD([p], { lr: 0.1 }).step()).toThrow(
      "SGD.step: expected a gradient of shape [2, 2] (the parameter's), got [3]",
    );
  });
});

// --- state dicts -------------------------------------------------------------------------------

type Make = (params: Tensor[]) => Optimizer;
const CONFIGS: [string, Make][] = [
  [
    'SGD nesterov, weight decay',
    (p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  ],
  ['SGD dampening, maximize', (p) => new SGD(p, { lr: 0.05, momentum: 0.8, dampening: 0.3, maximize: true })],
  ['Adam amsgrad', (p) => new Adam(p, { lr: 0.01, amsgrad: true, weightDecay: 0.1 })],
  ['AdamW', (p) => new AdamW(p, { lr: 0.01 })],
  ['RMSprop centered, momentum', (p) => new RMSprop(p, { lr: 0.01, centered: true, momentum: 0.9 })],
  ['Adagrad lrDecay', (p) => new Adagrad(p, { lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.1 })],
  [
    'Adam two groups',
    (p) => new Adam([{ params: p.slice(0, 2) }, { params: p.slice(2), lr: 0.1, betas: [0.8, 0.9] }]),
  ],
];

/** Seeded gradients for `step` (the same for every run). */
function setGrads(params: readonly Tensor[], step: number): void {
  const g = new Generator(1000 + step);
  for (const p of params) p.grad = randn(p.shape, { generator: g });
}

describe('stateDict round trip: 10 steps, save, load into a fresh optimizer, 10 more = 20 uninterrupted', () => {
  test.each(CONFIGS)('%s', (_name, make) => {
    const straight = makeParams();
    const opt = make(straight);
    for (let step = 0; step < 20; step++) {
      setGrads(straight, step);
      opt.step();
    }

    const first = makeParams();
    const optFirst = make(first);
    for (let step = 0; step < 10; step++) {
      setGrads(first, step);
      optFirst.step();
    }
    const saved = json(optFirst.stateDict());
    // The parameters travel separately (a model checkpoint); copy them into fresh tensors.
    const resumed = first.map((p) => param(Array.from(p.data), [...p.shape]));
    const optResumed = make(resumed);
    optResumed.loadStateDict(saved);
    for (let step = 10; step < 20; step++) {
      setGrads(resumed, step);
      optResumed.step();
    }
    resumed.forEach((p, i) => {
      expect(p.data).toEqual(straight[i]?.data);
    });
    expect(json(optResumed.stateDict())).toEqual(json(opt.stateDict()));
  });
});

describe('stateDict format', () => {
  test('PyTorch layout: state by parameter index, buffers shaped like the parameter, snake_case options', () => {
    const params = makeParams();
    const opt = new Adam([{ params: params.slice(0, 2) }, { params: params.slice(2), weightDecay: 0.5 }], {
      amsgrad: true,
    });
    setGrads(params, 0);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.optimizer).toBe('Adam');
    expect(sd.param_groups).toEqual([
      {
        lr: 1e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weight_decay: 0,
        amsgrad: true,
        maximize: false,
        params: [0, 1],
      },
      {
        lr: 1e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weight_decay: 0.5,
        amsgrad: true,
        maximize: false,
        params: [2],
      },
    ]);
    expect(Object.keys(sd.state)).toEqual(['0', '1', '2']);
    expect(Object.keys(sd.state['0'] ?? {}).sort()).toEqual([
      'exp_avg',
      'exp_avg_sq',
      'max_exp_avg_sq',
      'step',
    ]);
    expect(sd.state['0']?.step).toBe(1);
    const m = sd.state['2']?.exp_avg as Tensor;
    expect([m.shape, m.dtype]).toEqual([[2, 4], 'float32']);
    expect(m.data).toBe((opt.state.get(params[2] as Tensor) as ParamState).exp_avg);
    const nested = json(sd).state['2']?.exp_avg as number[][];
    expect([nested.length, nested[0]?.length]).toEqual([2, 4]);
    expect(nested[1]?.[3]).toBe(m.data[7]);
  });

  test("buffers are references to the optimizer's float32 state, as PyTorch's state_dict(): no copy", () => {
    const params = makeParams();
    const opt = new SGD(params, { lr: 0.1, momentum: 0.9 });
    setGrads(params, 0);
    opt.step();
    const sd = opt.stateDict();
    const buffer = sd.state['0']?.momentum_buffer as Tensor;
    expect(buffer.dtype).toBe('float32');
    expect(buffer.data).toBeInstanceOf(Float32Array);
    const before = Array.from(buffer.data);
    opt.step();
    expect(Array.from(buffer.data)).not.toEqual(before); // the live state, as torch's references
    const frozen = json(sd); // the JSON form is a copy
    opt.step();
    expect(json(sd)).not.toEqual(frozen);
  });

  test('float64 parameters keep float64 buffers', () => {
    const p = randn([3, 2], { generator: new Generator(3), dtype: 'float64' });
    p.requiresGrad = true;
    const opt = new Adam([p]);
    p.grad = randn([3, 2], { generator: new Generator(4), dtype: 'float64' });
    opt.step();
    const m = opt.stateDict().state['0']?.exp_avg as Tensor;
    expect([m.dtype, m.shape]).toEqual(['float64', [3, 2]]);
    expect(m.data).toBeInstanceOf(Float64Array);
  });

  test('loading tensors copies them: the source optimizer and the loaded one step apart', () => {
    const params = makeParams();
    const source = new Adam(params);
    setGrads(params, 0);
    source.step();
    const target = new Adam(params.map((p) => param(Array.from(p.data), [...p.shape])));
    target.loadStateDict(source.stateDict());
    const mine = target.state.get(target.paramGroups[0].params[0] as Tensor)?.exp_avg as Float32Array;
    const theirs = source.state.get(params[0] as Tensor)?.exp_avg as Float32Array;
    expect(mine).not.toBe(theirs);
    expect(mine).toEqual(theirs);
  });

  test('SGD without momentum keeps a null momentum_buffer, as PyTorch', () => {
    const params = makeParams();
    const opt = new SGD(params, { lr: 0.1 });
    setGrads(params, 0);
    opt.step();
    expect(opt.stateDict().state['0']).toEqual({ momentum_buffer: null });
    const fresh = new SGD(makeParams(), { lr: 0.1 });
    fresh.loadStateDict(json(opt.stateDict()));
    expect(fresh.stateDict()).toEqual(opt.stateDict());
  });

  test('loading restores group options, initial_lr included, and accepts an lr a schedule annealed to 0', () => {
    const source = new SGD(makeParams(), { lr: 0.1, momentum: 0.9 });
    source.paramGroups[0].lr = 0;
    source.paramGroups[0].initialLr = 0.1;
    const target = new SGD(makeParams(), { lr: 0.3 });
    target.loadStateDict(json(source.stateDict()));
    expect(target.paramGroups[0]).toMatchObject({ lr: 0, initialLr: 0.1, momentum: 0.9 });
  });
});

describe('state dicts of earlier versions (buffers as nested arrays of float64 numbers)', () => {
  // What stateDict() returned before its buffers were tensors, as JSON text: Adam's state of a
  // 2-layer LSTM-shaped parameter set ([4H, I] weights, [4H] biases, H = 3, I = 2) after 2 steps.
  // The numbers are doubles (JSON numbers), not all of them float32 values.
  const shapes = [[12, 2], [12, 3], [12], [12]];
  const values = (n: number, k: number): number[] =>
    Array.from({ length: n }, (_, i) => Math.sin(1 + i + 31 * k) / 7);
  const nest = (flat: number[], shape: number[]): unknown =>
    shape.length === 1
      ? flat
      : Array.from({ length: shape[0] }, (_, r) => flat.slice(r * shape[1], (r + 1) * shape[1]));
  const legacy = {
    optimizer: 'Adam',
    state: Object.fromEntries(
      shapes.map((shape, k) => {
        const n = shape.reduce((a, b) => a * b, 1);
        return [
          String(k),
          {
            step: 2,
            exp_avg: nest(values(n, k), shape),
            exp_avg_sq: nest(values(n, k + 10).map(Math.abs), shape),
          },
        ];
      }),
    ),
    param_groups: [
      {
        lr: 0.001,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weight_decay: 0,
        amsgrad: false,
        maximize: false,
        params: [0, 1, 2, 3],
      },
    ],
  };

  test('load into float32 buffers (each number rounded to float32) and resume', () => {
    const params = shapes.map((shape) => zeros(shape, { requiresGrad: true }));
    const opt = new Adam(params);
    opt.loadStateDict(JSON.parse(JSON.stringify(legacy)) as OptimizerStateDict);
    shapes.forEach((shape, k) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const m = opt.state.get(params[k] as Tensor)?.exp_avg as Float32Array;
      expect(m).toBeInstanceOf(Float32Array);
      expect(Array.from(m)).toEqual(values(n, k).map(Math.fround));
      expect(opt.state.get(params[k] as Tensor)?.step).toBe(2);
    });
    const sd = opt.stateDict();
    expect((sd.state['1']?.exp_avg_sq as Tensor | undefined)?.shape).toEqual([12, 3]);
    for (const p of params) p.grad = zeros(p.shape);
    opt.step();
    expect(opt.state.get(params[0] as Tensor)?.step).toBe(3);
  });
});

describe('loadStateDict errors', () => {
  function saved(): OptimizerStateDict {
    const params = makeParams();
    const opt = new Adam([{ params: params.slice(0, 2) }, { params: params.slice(2) }]);
    setGrads(params, 0);
    opt.step();
    return json(opt.stateDict());
  }
  const fresh = () => {
    const params = makeParams();
    return new Adam([{ params: params.slice(0, 2) }, { params: params.slice(2) }]);
  };

  test('a state dict of another optimizer class', () => {
    const sgd = new SGD(makeParams(), { lr: 0.1 });
    expect(() => sgd.loadStateDict(saved())).toThrow(ConfigError);
    expect(() => sgd.loadStateDict(saved())).toThrow(
      'SGD.loadStateDict: expected a state dict saved by SGD, got one saved by Adam. help: load it into an optimizer of the class that saved it',
    );
    const adamW = new AdamW(makeParams());
    expect(() => adamW.loadStateDict(saved())).toThrow(
      'AdamW.loadStateDict: expected a state dict saved by AdamW, got one saved by Adam',
    );
  });

  test('another number of groups, or of parameters in a group', () => {
    const one = new Adam(makeParams());
    expect(() => one.loadStateDict(saved())).toThrow(
      'Adam.loadStateDict: expected 1 parameter groups, got 2',
    );
    const params = makeParams();
    const uneven = new Adam([{ params: params.slice(0, 1) }, { params: params.slice(1) }]);
    expect(() => uneven.loadStateDict(saved())).toThrow(
      'Adam.loadStateDict: expected param_groups[0] with 1 params, got 2',
    );
  });

  test('a buffer whose shape differs from its parameter throws a ShapeError', () => {
    const sd = saved();
    const entry = sd.state['0'] as Record<string, unknown>;
    entry.exp_avg = (entry.exp_avg as number[][]).flat(); // [12] instead of [4, 3]
    const opt = fresh();
    expect(() => opt.loadStateDict(sd)).toThrow(ShapeError);
    expect(() => opt.loadStateDict(sd)).toThrow(
      `Adam.loadStateDict: expected state["0"].exp_avg of shape [4, 3] (the parameter's), got [12]`,
    );
    const transposed = saved();
    const m = (transposed.state['2'] as Record<string, number[][]>).exp_avg as number[][];
    (transposed.state['2'] as Record<string, unknown>).exp_avg = [0, 1, 2, 3].map((j) =>
      m.map((row) => row[j]),
    );
    expect(() => opt.loadStateDict(transposed)).toThrow(
      'expected state["2"].exp_avg of shape [2, 4] (the parameter\'s), got [4, 2]',
    );
  });

  test('a tensor buffer of another shape is a ShapeError, of another dtype a DTypeError, naming both', () => {
    const params = makeParams();
    const source = new Adam(params);
    setGrads(params, 0);
    source.step();
    const reshaped = source.stateDict();
    const entry = reshaped.state['0'] as Record<string, unknown>;
    entry.exp_avg = (entry.exp_avg as Tensor).reshape([12]);
    const opt = new Adam(makeParams());
    expect(() => opt.loadStateDict(reshaped)).toThrow(ShapeError);
    expect(() => opt.loadStateDict(reshaped)).toThrow(
      `Adam.loadStateDict: expected state["0"].exp_avg of shape [4, 3] (the parameter's), got [12]`,
    );
    const wide = source.stateDict();
    const sq = (wide.state['1'] as Record<string, Tensor>).exp_avg_sq as Tensor;
    (wide.state['1'] as Record<string, unknown>).exp_avg_sq = tensor(sq.data, {
      dtype: 'float64',
      shape: sq.shape,
    });
    expect(() => opt.loadStateDict(wide)).toThrow(DTypeError);
    expect(() => opt.loadStateDict(wide)).toThrow(
      `Adam.loadStateDict: expected state["1"].exp_avg_sq of dtype float32 (the parameter's), got float64. help: convert it first`,
    );
    expect(opt.state.size).toBe(0); // nothing loaded
  });

  test('unknown state keys, bad indices, bad options, bad step counts', () => {
    const opt = fresh();
    const foreign = saved();
    (foreign.state['1'] as Record<string, unknown>).momentum_buffer = [0, 0, 0, 0];
    expect(() => opt.loadStateDict(foreign)).toThrow(
      'Adam.loadStateDict: expected state keys of Adam (step, exp_avg, exp_avg_sq, max_exp_avg_sq), got "momentum_buffer" in state["1"]. help: was it saved by another optimizer?',
    );
    const index = saved();
    index.state['7'] = {};
    expect(() => opt.loadStateDict(index)).toThrow(
      'expected state keys that are parameter indices in param_groups, got "7"',
    );
    const betas = saved();
    (betas.param_groups[1] as Record<string, unknown>).betas = [0.9, 1.5];
    expect(() => opt.loadStateDict(betas)).toThrow(
      'Adam.loadStateDict param_groups[1]: expected betas[1] in [0, 1), got 1.5',
    );
    const missing = saved();
    delete (missing.param_groups[0] as Record<string, unknown>).eps;
    expect(() => opt.loadStateDict(missing)).toThrow(
      'Adam.loadStateDict: expected a number for param_groups[0].eps, got none',
    );
    const step = saved();
    (step.state['0'] as Record<string, unknown>).step = -1;
    expect(() => opt.loadStateDict(step)).toThrow('expected a step count ≥ 0 in state["0"].step, got -1');
    expect(() => opt.loadStateDict(null as never)).toThrow(ConfigError);
  });

  test('nothing changes when loading fails', () => {
    const opt = fresh();
    const before = json(opt.stateDict());
    const bad = saved();
    (bad.param_groups[0] as Record<string, unknown>).lr = 0.5;
    (bad.state['2'] as Record<string, unknown>).exp_avg = [1, 2];
    expect(() => opt.loadStateDict(bad)).toThrow(ShapeError);
    expect(json(opt.stateDict())).toEqual(before);
  });
});
