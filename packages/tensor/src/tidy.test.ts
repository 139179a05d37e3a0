// NOTE(tidy): dispose and tidy hand storage back to the pool only when nothing else can read it,
// and a disposed tensor's every read throws DisposedError. On every backend: the values inside a
// tidy are the bits of the same code without it, the next step takes back the storage the last
// one handed back, and nothing made outside, kept or shared with what is kept is touched.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { noGrad } from './autograd/grad-mode';
import { getBackend, listBackends, setBackend } from './backend/registry';
import { ones, randn, tensor } from './creation';
import { ConfigError, DisposedError } from './errors';
import { add, mul, tanh } from './ops/elementwise';
import { linear } from './ops/linear';
import { dropout, embedding } from './ops/nn';
import { sum } from './ops/reduce';
import { Generator } from './random';
import { clearStoragePool, isPooled, storagePoolStats, takeStorage } from './storage-pool';
import type { Tensor } from './tensor';
import { dispose, isDisposed, keep, tidy } from './tidy';

/** The bits of a float32 tensor's values (+0 and −0 differ). */
const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));

// Big enough for the pool (16 KiB and up): 64 × 512 float32 values are 128 KiB.
const B = 64;
const I = 256;
const H = 512;
const V = 300;

function params(seed: number) {
  const g = new Generator(seed);
  return {
    table: randn([V, I], { generator: g }),
    w1: randn([H, I], { generator: g }).mul(0.05),
    b1: randn([H], { generator: g }),
    w2: randn([10, H], { generator: g }).mul(0.05),
  };
}
type Params = ReturnType<typeof params>;
const ids = (seed: number) =>
  tensor(
    Int32Array.from({ length: B }, (_, i) => (i * 37 + seed) % V),
    { shape: [B] },
  );

/** An embedding, a linear + tanh, a reshape and a select (views), a linear: the classifier's shape. */
function step(p: Params, x: Tensor, seen?: Tensor[]) {
  const e = embedding(x, p.table);
  const l = linear(e, p.w1, p.b1);
  const h = tanh(l);
  const r = h
    .reshape([B, 2, H / 2])
    .select(1, 0)
    .reshape([B, H / 2]);
  const doubled = add(r, r);
  const logits = linear(doubled, p.w2.narrow(1, 0, H / 2));
  seen?.push(e, l, h, r, doubled, logits);
  return logits;
}

describe.each(listBackends())('[%s backend] dispose and tidy', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  beforeEach(() => clearStoragePool());
  afterEach(() => clearStoragePool());
  afterAll(() => setBackend(initial));

  test('a disposed tensor throws DisposedError on every read, naming its shape', () => {
    const x = randn([B, H]);
    const y = add(x, x);
    dispose(y);
    expect(isDisposed(y)).toBe(true);
    expect(() => y.data).toThrow(DisposedError);
    expect(() => y.toArray()).toThrow(/float32 tensor of shape \[64, 512\] disposed/);
    expect(() => add(y, x)).toThrow(DisposedError);
    expect(() => y.reshape([H, B])).toThrow(DisposedError);
    expect(() => y.select(0, 0)).toThrow(DisposedError);
    expect(y.shape).toEqual([B, H]);
    dispose(y); // twice: nothing more
    expect(isDisposed(x)).toBe(false);
    expect(x.toArray()).toHaveLength(B);
  });

  test("dispose hands an op's storage back, and the next op of that size takes it", () => {
    const x = randn([B, H]);
    const y = add(x, x);
    const storage = y.data;
    const expected = bits(y);
    dispose([y]);
    expect(isPooled(storage as Float32Array)).toBe(true);
    const z = add(x, x);
    expect(z.data).toBe(storage);
    expect(bits(z)).toEqual(expected);
  });

  test('dispose leaves alone what another tensor, the caller or a graph may still read', () => {
    const x = randn([B, H]);
    // A view: the reshape shares the storage and keeps its values.
    const y = add(x, x);
    const v = y.reshape([H, B]);
    const first = y.select(0, 3);
    const values = bits(v);
    const ys = y.data as Float32Array;
    dispose(y);
    expect(isPooled(ys)).toBe(false);
    add(x, x);
    expect(bits(v)).toEqual(values);
    expect(first.toArray()).toEqual(Array.from(v.data.subarray(3 * H, 4 * H)));
    // A detached copy shares it too.
    const d = add(x, x);
    const dd = d.detach();
    dispose(d);
    expect(isPooled(dd.data as Float32Array)).toBe(false);
    // The caller's own array.
    const mine = new Float32Array(B * H);
    const t = tensor(mine, { shape: [B, H] });
    dispose(t);
    expect(isPooled(mine)).toBe(false);
    // A graph's input and output: the backward reads them (and throws, not misreads, once disposed).
    const w = randn([B, H], { requiresGrad: true });
    const a = add(x, x);
    const out = mul(a, w);
    const held = [a.data, out.data] as Float32Array[];
    dispose([a, out]);
    for (const s of held) expect(isPooled(s)).toBe(false);
    expect(() => sum(out)).toThrow(DisposedError);
    // keep() exempts.
    const k = keep(add(x, x));
    dispose(k);
    expect(isDisposed(k)).toBe(false);
    expect(k.toArray()).toHaveLength(B);
  });

  test('tidy: the same bits as without it; what fn made is disposed, its storage reused by the next step', () => {
    const p = params(1);
    const expected = noGrad(() => bits(step(p, ids(0))));
    const seen: Tensor[] = [];
    const storages: Float32Array[] = [];
    const logits = tidy(() =>
      noGrad(() => {
        const out = step(p, ids(0), seen);
        for (const t of seen) storages.push(t.data as Float32Array);
        return out;
      }),
    );
    expect(bits(logits)).toEqual(expected);
    expect(isDisposed(logits)).toBe(false);
    for (const t of seen.slice(0, 5)) expect(isDisposed(t)).toBe(true);
    // The embedding's and the linear layer's storage are back in the pool (tanh's is not pooled).
    expect(isPooled(storages[0])).toBe(true);
    expect(isPooled(storages[1])).toBe(true);
    // The next step takes them back, and computes the same bits.
    const again: Tensor[] = [];
    const taken: Float32Array[] = [];
    const second = tidy(() =>
      noGrad(() => {
        const out = step(p, ids(0), again);
        taken.push(again[0].data as Float32Array, again[1].data as Float32Array);
        return out;
      }),
    );
    expect(taken.map((s) => storages.includes(s))).toEqual([true, true]);
    expect(bits(second)).toEqual(expected);
    // Parameters are untouched.
    for (const t of Object.values(p)) {
      expect(isDisposed(t)).toBe(false);
      expect(isPooled(t.data as Float32Array)).toBe(false);
    }
  });

  test('tidy keeps arrays and objects of tensors, and views of kept tensors keep their storage', () => {
    const x = randn([B, H]);
    let inner: Tensor | undefined;
    let innerStorage: Float32Array | undefined;
    const { a, more } = tidy(() => {
      inner = add(x, x);
      innerStorage = inner.data as Float32Array;
      const dropped = add(inner, x);
      return { a: inner.select(0, 5), more: [7, { b: dropped.reshape([H, B]) }] as const, n: 3 };
    });
    const b = (more[1] as { b: Tensor }).b;
    // `inner` itself is disposed, but its storage stays with the view `a`.
    expect(isDisposed(inner as Tensor)).toBe(true);
    expect(isPooled(innerStorage as Float32Array)).toBe(false);
    mul(x, x);
    mul(x, x);
    const xs = Array.from(x.data.subarray(5 * H, 6 * H));
    expect(a.toArray()).toEqual(xs.map((v) => Math.fround(v + v)));
    expect(bits(b)).toEqual(bits(add(add(x, x), x).reshape([H, B])));
    expect(isDisposed(b)).toBe(false);
  });

  test('tidy keeps Maps and Sets of tensors, and the parameters (leaves that require grad) made inside', () => {
    const x = randn([B, H]);
    let param: Tensor | undefined;
    let temp: Tensor | undefined;
    const [m, set] = tidy(() => {
      param = randn([H, B], { requiresGrad: true });
      temp = add(x, x);
      return [new Map([['y', mul(x, x)]]), new Set([add(x, temp)])] as const;
    });
    expect(isDisposed(param as Tensor)).toBe(false);
    expect(isDisposed(temp as Tensor)).toBe(true);
    expect(bits(m.get('y') as Tensor)).toEqual(bits(mul(x, x)));
    expect(bits([...set][0])).toEqual(bits(add(x, add(x, x))));
  });

  test('nested tidies: the inner result belongs to the outer scope', () => {
    const x = randn([B, H]);
    let kept: Tensor | undefined;
    let innerTemp: Tensor | undefined;
    const out = tidy(() => {
      kept = tidy(() => {
        innerTemp = add(x, x);
        return add(innerTemp, x);
      });
      expect(isDisposed(innerTemp as Tensor)).toBe(true);
      expect(isDisposed(kept)).toBe(false);
      return sum(kept);
    });
    expect(isDisposed(kept as Tensor)).toBe(true);
    expect(out.item()).toBeCloseTo(sum(add(add(x, x), x)).item(), 1);
  });

  test('tidy disposes when fn throws, rethrows, and tracks nothing afterwards', () => {
    const x = randn([B, H]);
    let made: Tensor | undefined;
    const boom = new Error('boom');
    expect(() =>
      tidy(() => {
        made = add(x, x);
        throw boom;
      }),
    ).toThrow(boom);
    expect(isDisposed(made as Tensor)).toBe(true);
    const after = add(x, x);
    tidy(() => add(x, x));
    expect(isDisposed(after)).toBe(false);
    expect(() => tidy((async () => add(x, x)) as () => unknown)).toThrow(/a synchronous function/);
  });

  test('training: a loss returned from tidy backwards to the same gradients; a backward inside keeps them', () => {
    const run = (wrap: <T>(f: () => T) => T) => {
      const p = params(2);
      for (const t of Object.values(p)) t.requiresGrad = true;
      const loss = wrap(() => sum(tanh(step(p, ids(1)))));
      loss.backward();
      return Object.values(p).map((t) => bits(t.grad as Tensor));
    };
    const plain = run((f) => f());
    expect(run(tidy)).toEqual(plain);
    // backward inside: the gradients survive, the same bits.
    const p = params(2);
    for (const t of Object.values(p)) t.requiresGrad = true;
    const value = tidy(() => {
      const loss = sum(tanh(step(p, ids(1))));
      loss.backward();
      return loss.item();
    });
    expect(Number.isFinite(value)).toBe(true);
    const grads = Object.values(p).map((t) => t.grad as Tensor);
    for (const g of grads) expect(isDisposed(g)).toBe(false);
    expect(grads.map(bits)).toEqual(plain);
  });
  /** One training step of `step`'s classifier: forward (dropout), backward, an SGD update by hand. */
  const trainStep = (p: Params, seed: number, retainGraph = false, seen?: Tensor[]) => {
    const g = new Generator(seed);
    const h = dropout(step(p, ids(seed), seen), 0.3, { generator: g });
    const loss = sum(tanh(h));
    seen?.push(h, loss);
    loss.backward(undefined, { retainGraph });
    // An optimizer's step and zeroGrad (set to none): the gradients go back to the pool.
    for (const t of Object.values(p)) {
      const w = t.data as Float32Array;
      const d = (t._peekGrad() as Tensor).data as Float32Array;
      for (let k = 0; k < w.length; k++) w[k] -= 0.01 * d[k];
      t._dropGrad();
    }
    return loss.item();
  };
  const trainable = () => {
    const p = params(3);
    for (const t of Object.values(p)) t.requiresGrad = true;
    return p;
  };

  test('training: a step whose backward consumed its graph hands its storage back, the same bits', () => {
    const plain = trainable();
    const expected = [1, 2, 3, 4].map((s) => trainStep(plain, s));
    const p = trainable();
    const losses: number[] = [];
    for (const [i, s] of [1, 2, 3, 4].entries()) {
      const seen: Tensor[] = [];
      const before = storagePoolStats();
      losses.push(tidy(() => trainStep(p, s, false, seen)));
      const after = storagePoolStats();
      // Every step after the first takes all its storage from the pool: the last one's tidy
      // handed back what its forward made (without tidy, only what the backward released goes back).
      if (i > 0) expect(after.misses - before.misses, `step ${i}`).toBe(0);
      expect(after.hits - before.hits).toBeGreaterThan(0);
      for (const t of seen) {
        expect(isDisposed(t)).toBe(true);
        expect(() => t.toArray()).toThrow(DisposedError);
      }
    }
    expect(losses).toEqual(expected);
    for (const k of Object.keys(p) as (keyof Params)[]) expect(bits(p[k])).toEqual(bits(plain[k]));
  });

  test('training: a storage the backward handed back and an op took again is not handed back twice', () => {
    const p = trainable();
    tidy(() => trainStep(p, 1));
    // Inside the next step, after its backward: an op's own arrays (a node's saved state, a
    // cache) take what the pool holds, which includes storage of tensors this step made and the
    // backward released. The tidy must not hand those back again: they are in use.
    const held: Float32Array[] = [];
    tidy(() => {
      trainStep(p, 2);
      for (const n of [B * H, B * I, H * I, V * I, 10 * H]) {
        for (let i = 0; i < 16; i++) held.push(takeStorage('float32', n));
      }
    });
    const mine = new Set(held.map((a) => a.buffer));
    for (const a of held) expect(isPooled(a)).toBe(false);
    // And no later tensor takes one of them.
    tidy(() => trainStep(p, 3));
    const x = randn([B, H]);
    for (let i = 0; i < 8; i++) expect(mine.has(add(x, x).data.buffer)).toBe(false);
  });

  test('training: with retainGraph, or with no backward, a step hands no storage back', () => {
    for (const backwardInside of [true, false]) {
      const p = trainable();
      clearStoragePool();
      const storages = tidy(() => {
        const made: Tensor[] = [];
        if (backwardInside) trainStep(p, 1, true, made);
        else made.push(sum(tanh(step(p, ids(1), made))));
        return made.map((t) => t.data);
      });
      for (const s of storages) expect(isPooled(s as Float32Array), `backward ${backwardInside}`).toBe(false);
    }
  });

  test('training: an output the backward did not reach cannot be backpropagated after the step', () => {
    const p = trainable();
    let side: Tensor | undefined;
    tidy(() => {
      const h = tanh(step(p, ids(1)));
      side = mul(h, h); // hN-like: an output the loss does not read
      sum(h).backward();
      return sum(h).item();
    });
    const t = side as Tensor;
    expect(isDisposed(t)).toBe(true);
    // Its graph's saved tensors may be in the pool now: a ConfigError, never recycled numbers.
    expect(() => t.backward(ones(t.shape))).toThrow(ConfigError);
  });

  test('training: a tensor kept with keep() on the spent graph keeps what the step made out of the pool', () => {
    const p = trainable();
    const storages = tidy(() => {
      const made: Tensor[] = [];
      trainStep(p, 1, false, made);
      keep(made[0]);
      return made.slice(1).map((t) => t.data);
    });
    for (const s of storages) expect(isPooled(s as Float32Array)).toBe(false);
  });
});
