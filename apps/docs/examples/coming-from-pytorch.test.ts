// Every PyTorch habit of guides/coming-from-pytorch.md, run: either seqlab gives PyTorch's result
// (numbers PyTorch 1.13 produced, fixtures/pytorch-habits.json, written by
// `/usr/bin/python3 tools/fixtures/gen_habits.py`), or it throws the error the guide shows.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { crossEntropy, Embedding, GRU, Linear, LSTM, LSTMCell, Module } from '@seqlab/layers';
import { Adam, clipGradNorm } from '@seqlab/optim';
import {
  arange,
  ConfigError,
  DisposedError,
  DTypeError,
  dropout,
  manualSeed,
  mean,
  type NestedArray,
  packPaddedSequence,
  randn,
  SeqlabError,
  ShapeError,
  type Tensor,
  tanh,
  tensor,
  tidy,
  zeros,
} from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, test, vi } from 'vitest';
import {
  accumulateAndClip,
  gruAndCell,
  keepBest,
  packedLSTM,
  predictAll,
  SentimentLSTM,
  stackedBiLSTM,
  tensorMethods,
  torchInitialLSTM,
  trainTidy,
  trainWithAdam,
  type Weights,
} from './coming-from-pytorch';

type Nested = NestedArray;
interface PrintCase {
  dtype: 'float32' | 'float64' | 'int32';
  shape: number[];
  body: string;
  values?: (number | 'nan' | 'inf' | '-inf')[]; // JSON has no NaN or Infinity
  formula?: string;
}
const torch = JSON.parse(readFileSync(new URL('../fixtures/pytorch-habits.json', import.meta.url), 'utf8'));
const guide = readFileSync(new URL('../guides/coming-from-pytorch.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('./coming-from-pytorch.ts', import.meta.url), 'utf8');

const t = (values: Nested): Tensor => tensor(values);
const weights = (state: Record<string, Nested>): Weights =>
  Object.fromEntries(Object.entries(state).map(([k, v]) => [k, t(v)]));

test('the fixture comes from PyTorch 1.13', () => {
  expect(torch.generator).toBe('tools/fixtures/gen_habits.py');
  expect(torch.torch).toMatch(/^1\.13/);
});

test('every ts block of the guide is code of coming-from-pytorch.ts, and each guide region is in the guide', () => {
  const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThan(8);
  const code = example
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  for (const block of blocks) {
    const lines = block
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    const start = code.indexOf(lines[0]);
    expect(start, `guide block starting ${lines[0]}`).toBeGreaterThanOrEqual(0);
    expect(code.slice(start, start + lines.length), lines[0]).toEqual(lines);
  }
  for (const [, region] of example.matchAll(/\/\/ guide: [\w-]+\n([\s\S]*?)\n\s*\/\/ end/g)) {
    const first = region.split('\n')[0].trim();
    expect(
      blocks.some((b) => b.includes(first)),
      first,
    ).toBe(true);
  }
});

describe('habits that work as in PyTorch, on PyTorch numbers', () => {
  test('the model with layers assigned as properties has PyTorch’s state-dict keys and parameter count', () => {
    const model = new SentimentLSTM(20, 4, 3, 2);
    expect([...model.stateDict().keys()]).toEqual(torch.model.keys);
    expect(model.numParameters()).toBe(torch.model.numParameters);
    model.eval();
    expect(model.dropout.training).toBe(false);
    expect(model.forward(tensor([[1, 2, 0]], { dtype: 'int32' })).shape).toEqual([1, 2]);
  });

  test('new LSTM(2, 3, { ... }).forward(x, [h0, c0]): a 2-layer biLSTM, batch first, from a state tuple', () => {
    const c = torch.bilstm;
    const { output, hN, cN } = stackedBiLSTM(weights(c.state), t(c.x), t(c.h0), t(c.c0));
    expectClose(output, t(c.output));
    expectClose(hN, t(c.hN));
    expectClose(cN, t(c.cN));
  });

  test('gru.forward(x, h0) and cell.forward(x, [h, c])', () => {
    const g = torch.gru;
    const l = torch.lstmCell;
    const out = gruAndCell(weights(g.state), t(g.x), t(g.h0), weights(l.state), t(l.x), t(l.h), t(l.c));
    expectClose(out.output, t(g.output));
    expectClose(out.hN, t(g.hN));
    expectClose(out.h1, t(l.h1));
    expectClose(out.c1, t(l.c1));
  });

  test('packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false })', () => {
    const c = torch.packed;
    const { padded, outLengths, hN, cN } = packedLSTM(weights(c.state), t(c.x), c.lengths);
    expectClose(padded, t(c.output));
    expect(Array.from(outLengths.data)).toEqual(c.outLengths);
    expectClose(hN, t(c.hN));
    expectClose(cN, t(c.cN));
  });

  test('new Adam(params, 0.1): the positional lr trains as PyTorch’s', () => {
    const c = torch.adam;
    const { fc, losses } = trainWithAdam(weights(c.state), t(c.x), t(c.y), 3);
    expectClose(tensor(losses), tensor(c.losses));
    expectClose(fc.weight, t(c.final.weight));
    expectClose(fc.bias!, t(c.final.bias));
  });

  test('crossEntropy ignores -100 by default, and { ignoreIndex }', () => {
    const c = torch.crossEntropy;
    const target = tensor(c.target, { dtype: 'int32' });
    expect(crossEntropy(t(c.logits), target).item()).toBeCloseTo(c.default, 6);
    const other = tensor([0, 1, 2, 1], { dtype: 'int32' });
    expect(crossEntropy(t(c.logits), other, { ignoreIndex: 1 }).item()).toBeCloseTo(c.ignoreIndex1, 6);
  });

  test('gradients accumulate over backward() calls; clipGradNorm returns the total norm and clips', () => {
    const c = torch.gradients;
    const w = tensor(c.w, { requiresGrad: true });
    const out = accumulateAndClip(w, t(c.x));
    expectClose(out.once, t(c.gradOnce));
    expectClose(out.twice, t(c.gradTwice));
    expect(out.totalNorm).toBeCloseTo(c.totalNorm, 3);
    expectClose(out.clipped, t(c.clipped));
  });

  test('size(), size(1), clamp, add, view, sum, max, argmax, item, noGrad', () => {
    const c = torch.methods;
    const out = tensorMethods(t(c.x), t(c.y), tensor([1, 1], { requiresGrad: true }));
    expect(out.size).toEqual(c.size);
    expect(out.columns).toBe(c.size1);
    expect(t(c.x).shape).toEqual(c.shape);
    expect(out.clamped.toArray()).toEqual(c.clampMin0);
    expect(t(c.x).clamp(null, 1).toArray()).toEqual(c.clampMax1);
    expect(out.scaled.toArray()).toEqual(c.addAlpha2);
    expect(out.viewed.toArray()).toEqual(c.view);
    expect(t(c.x).view(-1).shape).toEqual(c.viewShape);
    expect(out.sums.toArray()).toEqual(c.sumKeepdim);
    expect(out.values.toArray()).toEqual(c.maxValues);
    expect(out.indices.toArray()).toEqual(c.maxIndices);
    expect(out.total).toBe(c.item);
    expect(out.doubled.requiresGrad).toBe(c.noGradRequiresGrad);
  });

  test("a recurrent layer's parameters by PyTorch's name, with PyTorch's shapes", () => {
    const lstm = new LSTM(2, 3, { numLayers: 2, bidirectional: true, batchFirst: true });
    const params = new Map(lstm.namedParameters());
    for (const [key, value] of Object.entries(weights(torch.bilstm.state))) {
      expect(params.get(key)!.shape, key).toEqual(value.shape);
      expect(params.get(key)!.requiresGrad, key).toBe(true);
    }
    expect((lstm as unknown as Record<string, unknown>).weight_ih_l0).toBeUndefined();
    expect(() => (lstm as unknown as Record<string, Tensor>).weight_ih_l0.shape).toThrow(TypeError);
  });

  test('TorchGenerator(seed) gives the weights torch.manual_seed(seed) gives', () => {
    const lstm = torchInitialLSTM(0);
    for (const [key, value] of Object.entries(weights(torch.bilstm.state))) {
      expect(lstm.stateDict().get(key)!.toArray(), key).toEqual(value.toArray());
    }
  });

  test('EarlyStopping keeps model.stateDict() of the best epoch and loadStateDict restores it', () => {
    const model = new Linear(2, 1);
    const weightAt: number[][] = [];
    const losses = [0.9, 0.5, 0.7, 0.8, 0.6];
    const stopper = keepBest(
      model,
      (epoch) => {
        model.weight.data.fill(epoch); // "training" changes the weights every epoch
        weightAt.push(Array.from(model.weight.data));
        return losses[epoch];
      },
      losses.length,
    );
    expect(stopper.bestEpoch).toBe(1);
    expect(stopper.stoppedEpoch).toBe(3);
    expect(Array.from(model.weight.data)).toEqual(weightAt[1]);
  });

  test('a dropout with one layer warns, as PyTorch does', () => {
    expect(torch.dropoutWarning[0]).toContain('got dropout=0.3 and num_layers=1');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      new LSTM(2, 3, { dropout: 0.3 });
      expect(String(warn.mock.calls[0][0])).toContain('got dropout=0.3 and numLayers=1');
      expect(guide).toContain('got dropout=0.3 and numLayers=1');
    } finally {
      warn.mockRestore();
    }
  });
});

describe('console.log(tensor) prints the values as str(tensor) does in PyTorch', () => {
  const cases = Object.entries(torch.printing as Record<string, PrintCase>);
  test.each(cases)('%s', (_name, c) => {
    const flat =
      c.values?.map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v))) ??
      Array.from({ length: c.shape.reduce((a, b) => a * b, 1) }, (_, i) =>
        c.formula === 'i' ? i : (i % 17) * 0.25 - 2,
      );
    const x = tensor(flat.length ? flat : [], { dtype: c.dtype, shape: c.shape });
    const printed = inspect(x); // what console.log(x) prints
    expect(printed.slice(0, `tensor(${c.body}`.length)).toBe(`tensor(${c.body}`);
    expect(printed.slice(`tensor(${c.body}`.length)).toMatch(/^, shape=\[[\d, ]*\], dtype=\w+\)$/);
  });
});

// The habits seqlab refuses: each row is the PyTorch line written in JavaScript (casts only silence
// the type checker, as plain JavaScript would), the error class and the message the guide shows.
const lstmKeys =
  'inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, projSize, forgetBias';
const refused: [string, () => unknown, typeof SeqlabError, string][] = [
  [
    'batch_first',
    () => new LSTM({ inputSize: 100, hiddenSize: 256, batch_first: true } as never),
    ConfigError,
    `LSTM: expected options among ${lstmKeys}, got unknown option 'batch_first'. Use batchFirst: seqlab spells options in camelCase and accepts no snake_case alias`,
  ],
  [
    'num_layers',
    () => new LSTM({ inputSize: 100, hiddenSize: 256, num_layers: 2 } as never),
    ConfigError,
    "got unknown option 'num_layers'. Use numLayers",
  ],
  [
    'droput',
    () => new LSTM(100, 256, { numLayers: 2, droput: 0.3 } as never),
    ConfigError,
    "got unknown option 'droput'. Did you mean dropout?",
  ],
  [
    'padding_idx',
    () => new Embedding(10000, 128, { padding_idx: 0 } as never),
    ConfigError,
    "Embedding: expected options among paddingIdx, got unknown option 'padding_idx'. Use paddingIdx",
  ],
  [
    'num_layers as the third positional argument',
    () => new LSTM(100, 256, 2 as never),
    ConfigError,
    "got the number 2. PyTorch's further positional arguments are options here: new LSTM(100, 256, { numLayers: … })",
  ],
  [
    '{ h, c } given to the LSTM layer',
    () => new LSTM(2, 3).forward(randn([4, 2, 2]), { h: zeros([1, 2, 3]), c: zeros([1, 2, 3]) } as never),
    ConfigError,
    'got a plain object with keys h, c. { h, c } is the state of LSTMCell; the LSTM layer takes { h0, c0 }',
  ],
  [
    'an LSTM given h0 alone',
    () => new LSTM(2, 3).forward(randn([4, 2, 2]), [zeros([1, 2, 3])] as never),
    ConfigError,
    'got an Array of 1 Tensor. An LSTM needs both h0 and c0',
  ],
  [
    'a GRU given [h0]',
    () => new GRU(2, 3).forward(randn([4, 2, 2]), [zeros([1, 2, 3])] as never),
    ConfigError,
    'got an Array of 1 Tensor. Pass h0 itself, not a list holding it',
  ],
  [
    '{ h0, c0 } given to LSTMCell',
    () => new LSTMCell(2, 3).forward(randn([2, 2]), { h0: zeros([2, 3]), c0: zeros([2, 3]) } as never),
    ConfigError,
    'got a plain object with keys h0, c0. { h0, c0 } is the LSTM layer’s initial state; the cell takes { h, c }',
  ],
  [
    'new Adam(model)',
    () => new Adam(new Linear(2, 2) as never),
    ConfigError,
    'Adam: expected a list of tensors or of parameter groups, got a Linear (a module). help: pass model.parameters()',
  ],
  [
    'new Adam(params, 0.1, (0.9, 0.999))',
    () => new Adam(new Linear(2, 2).parameters(), 0.1, [0.9, 0.999] as never),
    ConfigError,
    'Adam: expected (params, lr) or (params, { lr, ...options }), got 1 more argument',
  ],
  [
    'tanh([1, 2])',
    () => tanh([1, 2] as never),
    ConfigError,
    'tanh: expected input to be a Tensor, got an Array of 2 numbers. Make one with tensor([1, 2])',
  ],
  [
    'mean(list)',
    () => mean([1, 2] as never),
    ConfigError,
    'mean: expected input to be a Tensor, got an Array of 2 numbers',
  ],
  [
    'crossEntropy(logits, [0, 1, 1])',
    () => crossEntropy(randn([3, 2]), [0, 1, 1] as never),
    ConfigError,
    "crossEntropy: expected target to be a Tensor, got an Array of 3 numbers. Make integer indices with tensor([0, 1, 1], { dtype: 'int32' })",
  ],
  [
    'crossEntropy(logits, tensor([0, 1, 1])): float targets',
    () => crossEntropy(randn([3, 2]), tensor([0, 1, 1])),
    DTypeError,
    "crossEntropy: expected int32 class-index targets, got float32. Convert with target.int(), or create them with tensor([0, 1, 1], { dtype: 'int32' })",
  ],
  [
    "tensor([0, 1], { dtype: 'int64' })",
    () => tensor([0, 1], { dtype: 'int64' as never }),
    DTypeError,
    "tensor: expected a dtype among float32, float64, int32, bool, got 'int64'. Use int32 for class indices and token ids",
  ],
  [
    'ignore_index',
    () => crossEntropy(randn([3, 2]), tensor([0, 1, 1], { dtype: 'int32' }), { ignore_index: 1 } as never),
    ConfigError,
    "got unknown option 'ignore_index'. Use ignoreIndex",
  ],
  [
    'enforce_sorted',
    () =>
      packPaddedSequence(randn([3, 4, 2]), [2, 4, 3], { batchFirst: true, enforce_sorted: false } as never),
    ConfigError,
    "got unknown option 'enforce_sorted'. Use enforceSorted",
  ],
  [
    'unsorted lengths without enforceSorted: false (PyTorch raises too)',
    () => packPaddedSequence(randn([3, 4, 2]), [2, 4, 3], { batchFirst: true }),
    ConfigError,
    'packPaddedSequence: expected lengths sorted in decreasing order (enforceSorted=true), got [2, 4, 3]. Pass enforceSorted: false to sort them',
  ],
  [
    'x * 2',
    () => (arange(3).float() as unknown as number) * 2,
    ConfigError,
    'Tensor: expected a method call for arithmetic (x.mul(2), x.add(y)), got the tensor used as a primitive',
  ],
  [
    'x.clamp(min=0) as { min: 0 }',
    () =>
      arange(3)
        .float()
        .clamp({ min: 0 } as never),
    ConfigError,
    'clamp: expected min as a number or null, got a plain object with keys min. min and max are positional: x.clamp(0) for min=0, x.clamp(null, 1) for max=1',
  ],
  [
    'x.add(y, alpha=2) as { alpha: 2 }',
    () => (arange(3).float().add as (...args: unknown[]) => Tensor)(arange(3).float(), { alpha: 2 }),
    ConfigError,
    'add: expected two arguments (a, b), got a third, a plain object with keys alpha. Scale b first: add(a, b.mul(alpha))',
  ],
  [
    'x.sum(1, keepdim=True) as { keepdim: true }',
    () => randn([2, 3]).sum(1, { keepdim: true } as never),
    ConfigError,
    'sum: expected keepDim true or false, got a plain object with keys keepdim',
  ],
  [
    'zeros(2, 3)',
    () => zeros(2 as never, 3 as never),
    ShapeError,
    "zeros: expected the shape as one list of sizes, got the number 2. Pass the sizes as one list: [2, 3], not 2, 3 (PyTorch's zeros(2, 3))",
  ],
  [
    'F.dropout(x, p=0.5, training=False) as an object',
    () => dropout(randn([2, 3]), { p: 0.5, training: false } as never),
    ConfigError,
    'dropout: expected a probability p in [0, 1], got a plain object with keys p, training. p is positional: dropout(x, 0.5, { training: false })',
  ],
  [
    'clip_grad_norm_(params, max_norm=1.0) as an object',
    () => clipGradNorm(new Linear(2, 2).parameters(), { max_norm: 1 } as never),
    ConfigError,
    'clipGradNorm: expected maxNorm ≥ 0, got a plain object with keys max_norm. maxNorm is positional: clipGradNorm(params, 1.0)',
  ],
  [
    'item() of many elements',
    () => randn([2, 3]).item(),
    SeqlabError,
    'Tensor.item: expected a tensor with one element, got shape [2, 3]',
  ],
];

describe('habits seqlab refuses, with the message the guide shows', () => {
  test.each(refused)('%s', (_name, fn, kind, message) => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(kind);
    expect((caught as Error).message).toContain(message);
    expect(guide.replace(/\s+/g, ' ')).toContain(message.replace(/\s+/g, ' ').slice(0, 60));
  });

  test('JavaScript itself refuses the call syntax PyTorch allows (a TypeError, never a wrong result)', () => {
    const lstm = new LSTM(2, 3);
    expect(() => (lstm as unknown as (x: Tensor) => unknown)(randn([4, 2, 2]))).toThrow(TypeError);
    expect(() => {
      const [output] = lstm.forward(randn([4, 2, 2])) as unknown as Tensor[];
      return output;
    }).toThrow(TypeError);
    expect(() => (new Linear(2, 2) as unknown as { zero_grad(): void }).zero_grad()).toThrow(TypeError);
    expect(() => (Module.prototype as unknown as { state_dict(): void }).state_dict()).toThrow(TypeError);
  });
});

describe('tidy around an inference step', () => {
  test('the predictions of the loop with tidy are those without; a tensor tidy disposed throws', () => {
    const model = new SentimentLSTM(50, 8, 6, 3);
    const batches = [0, 1, 2].map((k) =>
      tensor(
        Array.from({ length: 4 }, (_, b) => Array.from({ length: 5 }, (_, i) => (b * 7 + i * 3 + k) % 50)),
        { dtype: 'int32' },
      ),
    );
    model.eval();
    const plain = batches.map((b) => model.forward(b).argmax(1).toArray());
    expect(predictAll(model, batches)).toEqual(plain);
    let inner: Tensor | undefined;
    tidy(() => {
      inner = model.forward(batches[0]);
      return inner.argmax(1);
    });
    expect(() => inner?.toArray()).toThrow(DisposedError);
  });
});

describe('tidy around a training step', () => {
  test('the losses, weights, gradients and Adam state of the loop in tidy are those without, bit for bit', () => {
    const batches = [0, 1, 2, 3].map((k) => ({
      ids: tensor(
        Array.from({ length: 4 }, (_, b) => Array.from({ length: 5 }, (_, i) => (b * 7 + i * 3 + k) % 50)),
        { dtype: 'int32' },
      ),
      labels: tensor([k % 3, (k + 1) % 3, 2, 0], { dtype: 'int32' }),
    }));
    const run = (wrap: boolean) => {
      manualSeed(7); // the same weights and dropout masks on both runs
      const model = new SentimentLSTM(50, 8, 6, 3);
      if (wrap) return { model, ...trainTidy(model, batches) };
      // The same loop without tidy.
      const optimizer = new Adam(model.parameters(), 1e-3);
      model.train();
      const losses = batches.map(({ ids, labels }) => {
        optimizer.zeroGrad();
        const l = crossEntropy(model.forward(ids), labels);
        l.backward();
        clipGradNorm(model.parameters(), 1.0);
        optimizer.step();
        return l.item();
      });
      return { model, losses, optimizer };
    };
    const plain = run(false);
    const tidied = run(true);
    expect(tidied.losses).toEqual(plain.losses);
    const bytes = (x: Tensor) => [...new Uint32Array(Float32Array.from(x.data).buffer)];
    const everything = (r: typeof plain) => {
      const state = r.optimizer.stateDict().state as Record<string, Record<string, unknown>>;
      return [
        ...r.model.parameters().flatMap((p) => [bytes(p), bytes(p.grad as Tensor)]),
        ...Object.values(state).flatMap((e) => [bytes(e.exp_avg as Tensor), bytes(e.exp_avg_sq as Tensor)]),
      ];
    };
    expect(everything(tidied)).toEqual(everything(plain));
  });
});
