// Adam's state in a backend's state memory (NOTE(wasm-adam-state), wasm): the same bits as the js
// backend's loop after every step (amsgrad, weight decay, maximize, AdamW; odd sizes and sizes over
// one block), the copies that no longer happen, a state dict round trip, a switch of backend in the
// middle of a run, and a memory that runs out of room. Every backend runs the same checks.
import { Generator, getBackend, listBackends, randn, setBackend, type Tensor, tensor } from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Adam, AdamW, type OptimizerStateDict, optimizerStateToJson, type ParamState } from './index';

// Odd and even sizes, one over two blocks of the wasm kernel (8192 elements), and one element.
const SHAPES = [[64, 33], [15], [2, 4099], [3, 5461], [1]];

function makeParams(seed = 1): Tensor[] {
  const g = new Generator(seed);
  return SHAPES.map((shape) => {
    const p = randn(shape, { generator: g });
    p.data[0] = -0; // a negative zero stays one, or not, the same way on every backend
    p.requiresGrad = true;
    return p;
  });
}

/** Step `step`'s gradients: seeded, of magnitudes from 1e-3 to 10, and -0/0 in places. */
function setGrads(params: readonly Tensor[], step: number, skip = -1): void {
  const g = new Generator(100 + step);
  params.forEach((p, i) => {
    if (i === skip) {
      p.grad = null;
      return;
    }
    const grad = randn(p.shape, { generator: g });
    const scale = 10 ** ((i % 5) - 3);
    for (let k = 0; k < grad.data.length; k++) grad.data[k] *= scale;
    grad.data[grad.data.length - 1] = step % 2 ? -0 : 0;
    p.grad = grad;
  });
}

type Make = (params: Tensor[]) => Adam;
const CASES: [string, Make][] = [
  ['Adam', (p) => new Adam(p, { lr: 0.01 })],
  ['Adam amsgrad, weightDecay', (p) => new Adam(p, { lr: 0.01, amsgrad: true, weightDecay: 0.1 })],
  [
    'Adam maximize, amsgrad',
    (p) => new Adam(p, { lr: 0.003, maximize: true, amsgrad: true, betas: [0.8, 0.9] }),
  ],
  ['AdamW', (p) => new AdamW(p, { lr: 0.01, weightDecay: 0.05 })],
  ['AdamW amsgrad, maximize', (p) => new AdamW(p, { lr: 0.01, amsgrad: true, maximize: true })],
];

/** Runs `steps` steps (the third without a gradient for parameter 1) and returns the parameters and the optimizer. */
function run(make: Make, steps: number, name?: string, between?: (step: number) => void) {
  const initial = getBackend().name;
  if (name) setBackend(name);
  try {
    const params = makeParams();
    const opt = make(params);
    for (let t = 0; t < steps; t++) {
      between?.(t);
      setGrads(params, t, t === 2 ? 1 : -1);
      opt.step();
    }
    return { params, opt };
  } finally {
    setBackend(initial);
  }
}

/**
 * Every number of the parameters and of the state, as the bits of float32s (NaN payloads and -0
 * included), in one array, with the state's keys and step counts.
 */
function bits(params: readonly Tensor[], opt: Adam): { keys: string; bits: Uint32Array } {
  const parts: Float32Array[] = params.map((p) => Float32Array.from(p.data));
  const keys: string[] = [];
  for (const p of params) {
    const s = opt.state.get(p) as ParamState;
    for (const key of Object.keys(s).sort()) {
      const v = s[key];
      if (typeof v === 'number' || v === null) keys.push(`${key}=${v}`);
      else {
        keys.push(key);
        parts.push(Float32Array.from(v));
      }
    }
  }
  const all = new Float32Array(parts.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of parts) {
    all.set(a, at);
    at += a.length;
  }
  return { keys: keys.join(' '), bits: new Uint32Array(all.buffer) };
}

/** Throws unless `a` and `b` are the same bits: names the first element that differs. */
function expectSameBits(a: ReturnType<typeof bits>, b: ReturnType<typeof bits>, label = ''): void {
  expect(a.keys, label).toBe(b.keys);
  expect(a.bits.length, label).toBe(b.bits.length);
  expect(
    a.bits.findIndex((x, i) => x !== b.bits[i]),
    `${label}: first element that differs`,
  ).toBe(-1);
}

/** The js backend's bits of each case after 5 steps. */
function reference(label: string): ReturnType<typeof bits> {
  const { params, opt } = run((CASES.find(([l]) => l === label) as [string, Make])[1], 5, 'js');
  return bits(params, opt);
}

describe.each(listBackends())('[%s backend] Adam state', (backendName) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(backendName));
  afterAll(() => setBackend(initial));

  test.each(CASES)('%s: the js backend’s bits after 5 steps, parameters and state', (label, make) => {
    const { params, opt } = run(make, 5);
    expectSameBits(bits(params, opt), reference(label), label);
  });

  test('on a backend with a state memory the moment buffers live there, and a step copies only θ in and out and g in', () => {
    const params = makeParams();
    const opt = new Adam(params, { amsgrad: true });
    setGrads(params, 0);
    opt.step();
    const state = opt.state.get(params[2] as Tensor) as ParamState;
    const m = state.exp_avg as Float32Array;
    const memory = backend().stateMemory;
    if (!memory) {
      expect(m.buffer.byteLength).toBe(m.length * 4); // plain arrays of their own
      return;
    }
    for (const key of ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']) {
      expect((state[key] as Float32Array).buffer).toBe(m.buffer);
    }
    const set = Float32Array.prototype.set;
    let copies = 0;
    Float32Array.prototype.set = function (this: Float32Array, ...args: Parameters<typeof set>) {
      copies++;
      return set.apply(this, args);
    };
    try {
      setGrads(params, 1);
      copies = 0;
      opt.step();
    } finally {
      Float32Array.prototype.set = set;
    }
    // Blocks of 8192 elements: θ and g in, θ out, for every block of every parameter; the odd
    // sizes (15, 16383, 1) copy m, v and v̂ in and out as before.
    const blocks = (n: number) => Math.ceil(n / 8192);
    const sizes = params.map((p) => p.numel);
    const expected = sizes.reduce((sum, n) => sum + blocks(n) * (n % 2 ? 9 : 3), 0);
    expect(copies).toBe(expected);
    expect(state.exp_avg).toBe(m); // it stays where it was put
  });

  test('stateDict buffers are references that later steps change; a JSON round trip resumes bit for bit', () => {
    const { params, opt } = run(CASES[1][1], 3);
    const sd = opt.stateDict();
    const m = sd.state['0']?.exp_avg as Tensor;
    expect(m.data).toBe((opt.state.get(params[0] as Tensor) as ParamState).exp_avg);
    const before = Array.from(m.data);
    const saved = JSON.parse(JSON.stringify(optimizerStateToJson(sd))) as OptimizerStateDict;
    const copies = params.map((p) =>
      tensor(Float32Array.from(p.data), { shape: p.shape, requiresGrad: true }),
    );
    const resumed = CASES[1][1](copies);
    resumed.loadStateDict(saved);
    for (let t = 3; t < 6; t++) {
      setGrads(params, t);
      opt.step();
      setGrads(copies, t);
      resumed.step();
    }
    expect(Array.from(m.data)).not.toEqual(before);
    expectSameBits(bits(copies, resumed), bits(params, opt));
    expect(optimizerStateToJson(resumed.stateDict())).toEqual(optimizerStateToJson(opt.stateDict()));
  });

  test('switching backends between steps keeps the js bits', () => {
    const others = listBackends().filter((b) => b !== backendName);
    const order = [backendName, ...others, backendName, 'js'];
    for (const [label, make] of CASES) {
      const { params, opt } = run(make, 5, undefined, (t) => setBackend(order[t % order.length] as string));
      expectSameBits(bits(params, opt), reference(label), label);
    }
  });

  test('a group added after some steps (a state memory out of room) keeps the js bits', () => {
    const make = (name: string) => {
      const initial = getBackend().name;
      setBackend(name);
      try {
        const params = makeParams();
        const opt = new Adam(params.slice(0, 3), { lr: 0.01 });
        for (let t = 0; t < 4; t++) {
          if (t === 2) opt.addParamGroup({ params: params.slice(3), amsgrad: true });
          setGrads(params, t);
          opt.step();
        }
        return bits(params, opt);
      } finally {
        setBackend(initial);
      }
    };
    expectSameBits(make(backendName), make('js'));
  });
});
