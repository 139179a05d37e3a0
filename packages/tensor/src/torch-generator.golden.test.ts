// TorchGenerator against PyTorch 1.13's own draws (tools/fixtures/gen_random.py). The fixture's
// module cases (initial weights of RNN/GRU/LSTM/Linear/Embedding, then x) are checked with the real
// layers in @seqlab/layers' torch-init.test.ts.
import {
  defaultGenerator,
  Generator,
  manualSeed,
  rand,
  randint,
  randn,
  setDefaultGenerator,
  type Tensor,
  TorchGenerator,
  uniform,
  zeros,
} from '@seqlab/tensor';
import { loadFixture } from '@seqlab/tensor/testing';
import { describe, expect, it } from 'vitest';

const fixture = loadFixture(new URL('../fixtures/random/torch.safetensors', import.meta.url));

type Call = [op: string, shape: number[], ...rest: (number | string)[]];
interface Case {
  name: string;
  seed: number;
  calls?: Call[];
}
const cases = fixture.json<Case[]>('cases');

function replay(g: Generator, call: Call): Tensor {
  const [op, shape, ...rest] = call;
  const dtype = rest.at(-1) as 'float32' | 'float64' | 'int64';
  const float = { generator: g, dtype: dtype as 'float32' | 'float64' };
  switch (op) {
    case 'rand':
      return rand(shape, float);
    case 'uniform':
      return uniform(shape, rest[0] as number, rest[1] as number, float);
    case 'randn':
      return randn(shape, float);
    case 'normal': {
      const t = zeros(shape, { dtype: float.dtype });
      g.fillNormal(t.data as Float32Array, rest[0] as number, rest[1] as number);
      return t;
    }
    case 'randint':
      return randint(rest[0] as number, rest[1] as number, shape, { generator: g });
    default:
      throw new Error(`unknown call ${op}`);
  }
}

/** Largest difference in units of float32 epsilon at the value's scale (0 when bit-identical). */
function ulps(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const scale = Math.max(Math.abs(b[i]), 2 ** -126);
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / (scale * 2 ** -23));
  }
  return worst;
}

describe('TorchGenerator: the draws of torch.manual_seed(s) then rand / randn / uniform_ / randint', () => {
  for (const c of cases.filter((k) => k.calls)) {
    it(`${c.name} (seed ${c.seed})`, () => {
      const g = new TorchGenerator(c.seed);
      (c.calls ?? []).forEach((call, i) => {
        const want = fixture.get(`${c.name}/${i}`);
        const got = replay(g, call);
        expect(got.shape, `call ${i}`).toEqual(want.shape);
        const [op, , ...rest] = call;
        const exact = op === 'rand' || op === 'uniform' || op === 'randint' || rest.at(-1) === 'float64';
        if (exact) {
          // Uniforms and integers are exact; float64 normals within rounding of libm's log / sin / cos.
          const tol = op === 'randn' || op === 'normal' ? 1e-14 : 0;
          for (let j = 0; j < want.numel; j++)
            expect(Math.abs(got.data[j] - want.data[j]), `call ${i} [${j}]`).toBeLessThanOrEqual(
              tol * Math.max(1, Math.abs(want.data[j])),
            );
        } else {
          // Float32 normals: PyTorch's vectorised log / sin / cos are not correctly rounded.
          expect(ulps(got.data, want.data), `call ${i}`).toBeLessThanOrEqual(4);
        }
      });
    });
  }
});

describe('TorchGenerator: state and the global generator', () => {
  it('getState / setState resume the stream mid-way, kept normal included', () => {
    const g = new TorchGenerator(123);
    randn([5], { generator: g }); // odd count: a normal is kept for the next call
    const state = g.getState();
    const ahead = randn([40], { generator: g }).toArray();
    const h = new TorchGenerator(0);
    h.setState(state);
    expect(randn([40], { generator: h }).toArray()).toEqual(ahead);
    expect(() => h.setState([1, 2, 3])).toThrow(/TorchGenerator.setState: expected the 627 numbers/);
  });

  it('manualSeed restarts the stream and forgets the kept normal', () => {
    const g = new TorchGenerator(9);
    const first = randn([3], { generator: g }).toArray();
    g.manualSeed(9);
    expect(randn([3], { generator: g }).toArray()).toEqual(first);
  });

  it('setDefaultGenerator swaps what manualSeed seeds and what random ops draw from, and hands back the old one', () => {
    const torch = new TorchGenerator();
    const previous = setDefaultGenerator(torch);
    try {
      expect(defaultGenerator()).toBe(torch);
      manualSeed(0);
      const got = rand([3]).toArray() as number[];
      // torch.manual_seed(0); torch.rand(3)
      expect(got.map((v) => v.toFixed(4))).toEqual(['0.4963', '0.7682', '0.0885']);
    } finally {
      expect(setDefaultGenerator(previous)).toBe(torch);
    }
    expect(defaultGenerator()).toBe(previous);
    expect(() => setDefaultGenerator({} as Generator)).toThrow(/setDefaultGenerator: expected a Generator/);
  });

  it('leaves seqlab’s own generator’s streams unchanged', () => {
    // The values every seeded run, fixture and measurement so far was made with.
    const g = new Generator(0);
    const a = rand([2], { generator: g }).toArray();
    const b = randn([2], { generator: g }).toArray();
    const h = new Generator(0);
    expect(a).toEqual([h.uniform(), h.uniform()].map(Math.fround));
    expect(b).toEqual([h.normal(), h.normal()].map(Math.fround));
  });
});
