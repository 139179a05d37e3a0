// The article's models, written as a user would write them, as tests.
import { LSTMCell, Module, summary } from '@seqlab/layers';
import { manualSeed, matmul, noGrad, randn, stack, type Tensor, tanh, uniform, zeros } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { expect, test } from 'vitest';

/**
 * The article's `lstm_cell` from scratch: four gates from one matmul each of x and h, split in
 * PyTorch's order i, f, g, o.
 */
function lstmCell(
  x: Tensor,
  h: Tensor,
  c: Tensor,
  W: Tensor,
  U: Tensor,
  b: Tensor,
): { h: Tensor; c: Tensor } {
  const gates = matmul(x, W.transpose(0, 1))
    .add(matmul(h, U.transpose(0, 1)))
    .add(b);
  const [i, f, g, o] = gates.chunk(4, 1);
  const cNext = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
  return { h: o.sigmoid().mul(cNext.tanh()), c: cNext };
}

test('lstm_cell from scratch equals LSTMCell, forward and backward', () => {
  manualSeed(1);
  const cell = new LSTMCell({ inputSize: 5, hiddenSize: 4 });
  const [W, U, bi, bh] = cell.parameters();
  const x = randn([3, 5]);
  const h0 = randn([3, 4]);
  const c0 = randn([3, 4]);
  const ours = lstmCell(x, h0, c0, W, U, bi.add(bh));
  const theirs = cell.forward(x, { h: h0, c: c0 });
  expectClose(ours.h, theirs.h);
  expectClose(ours.c, theirs.c);
  ours.h.sum().add(ours.c.mul(2).sum()).backward();
  const fromScratch = cell.parameters().map((p) => p.grad!.clone());
  cell.zeroGrad();
  theirs.h.sum().add(theirs.c.mul(2).sum()).backward();
  cell.parameters().forEach((p, k) => {
    expectClose(p.grad!, fromScratch[k]);
  });
});

/** The article's SimpleRNN: h_t = tanh(W_xh x_t + W_hh h_{t−1} + b_h), y_t = W_hy h_t + b_y. */
class SimpleRNN extends Module {
  readonly Wxh: Tensor;
  readonly Whh: Tensor;
  readonly bh: Tensor;
  readonly Why: Tensor;
  readonly by: Tensor;

  constructor(inputSize: number, hiddenSize: number, outputSize: number) {
    super();
    const k = 1 / Math.sqrt(hiddenSize);
    this.Wxh = this.registerParameter('W_xh', uniform([inputSize, hiddenSize], -k, k));
    this.Whh = this.registerParameter('W_hh', uniform([hiddenSize, hiddenSize], -k, k));
    this.bh = this.registerParameter('b_h', zeros([hiddenSize]));
    this.Why = this.registerParameter('W_hy', uniform([hiddenSize, outputSize], -k, k));
    this.by = this.registerParameter('b_y', zeros([outputSize]));
  }

  forward(x: Tensor): Tensor {
    // x [T, B, I] -> y [T, B, O]
    let h = zeros([x.shape[1], this.Whh.shape[0]]);
    const ys: Tensor[] = [];
    for (let t = 0; t < x.shape[0]; t++) {
      h = tanh(matmul(x.select(0, t), this.Wxh).add(matmul(h, this.Whh)).add(this.bh));
      ys.push(matmul(h, this.Why).add(this.by));
    }
    return stack(ys);
  }
}

test('SimpleRNN as a Module learns a running sum (loss falls 10x)', () => {
  manualSeed(0);
  const model = new SimpleRNN(1, 16, 1);
  expect([...model.stateDict().keys()]).toEqual(['W_xh', 'W_hh', 'b_h', 'W_hy', 'b_y']);
  const losses: number[] = [];
  for (let step = 0; step < 200; step++) {
    const x = uniform([8, 16, 1], -0.5, 0.5);
    // target: the sum of the last two inputs
    const y = x.add(stack([zeros([16, 1]), ...Array.from({ length: 7 }, (_, t) => x.select(0, t))]));
    const loss = model.forward(x).sub(y).pow(2).mean();
    model.zeroGrad();
    loss.backward();
    noGrad(() => {
      for (const p of model.parameters())
        for (let i = 0; i < p.numel; i++) p.data[i] -= 0.3 * p.grad!.data[i];
    });
    losses.push(loss.item());
  }
  const tail = losses.slice(-10).reduce((a, b) => a + b) / 10;
  expect(tail).toBeLessThan(losses[0] / 10);
});

test('summary lists layers, output shapes and parameters', () => {
  const model = new SimpleRNN(1, 4, 1);
  const text = summary(model, randn([5, 2, 1]));
  expect(text).toContain('SimpleRNN');
  expect(text).toContain('[5, 2, 1]');
  expect(text).toContain(`Total params: ${1 * 4 + 16 + 4 + 4 + 1}`);
});
