// A whole training step in `tidy` (NOTE(tidy) in @seqlab/tensor), on every backend: zeroGrad,
// forward, backward, clipGradNorm, Adam's step. The gradients the backward gave the parameters
// survive the tidy (the step reads them after), the optimizer's state is its own arrays (no
// tensor tidy could dispose), and three steps leave the parameters with the bits of the same
// steps without tidy.
import {
  Generator,
  getBackend,
  isDisposed,
  linear,
  listBackends,
  randn,
  setBackend,
  sum,
  type Tensor,
  tanh,
  tidy,
} from '@seqlab/tensor';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Adam, clipGradNorm } from './index';

const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));

function train(wrap: <T>(f: () => T) => T) {
  const g = new Generator(5);
  // 128 × 256 float32 values: big enough for the storage pool.
  const x = randn([128, 256], { generator: g });
  const w = randn([64, 256], { generator: g }).mul(0.05);
  const b = randn([64], { generator: g });
  w.requiresGrad = true;
  b.requiresGrad = true;
  const opt = new Adam([w, b], { lr: 0.01 });
  const losses: number[] = [];
  for (let i = 0; i < 3; i++)
    losses.push(
      wrap(() => {
        opt.zeroGrad();
        const loss = sum(tanh(linear(x, w, b)));
        loss.backward();
        clipGradNorm([w, b], 5);
        opt.step();
        return loss.item();
      }),
    );
  return { losses, w, b };
}

describe.each(listBackends())('[%s backend] a training step in tidy', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  test('three Adam steps: the losses and parameters of the same steps without tidy', () => {
    const plain = train((f) => f());
    const tidied = train(tidy);
    expect(tidied.losses).toEqual(plain.losses);
    expect(bits(tidied.w)).toEqual(bits(plain.w));
    expect(bits(tidied.b)).toEqual(bits(plain.b));
    for (const p of [tidied.w, tidied.b]) {
      expect(isDisposed(p)).toBe(false);
      expect(isDisposed(p.grad as Tensor)).toBe(false);
    }
  });
});
