// The test helpers of `@seqlab/tensor/testing` are themselves tested: a golden test is only as good as
// the fixture reader and the comparison under it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, FormatError, saveSafetensors, type Tensor, tensor } from '@seqlab/tensor';
import {
  checkCase,
  checkCaseAsync,
  expectClose,
  fuzzSettings,
  leaf,
  loadFixture,
} from '@seqlab/tensor/testing';
import { afterAll, describe, expect, test } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'seqlab-testing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'fx.safetensors');
writeFileSync(
  file,
  saveSafetensors(
    {
      'case1/param/weight': tensor([
        [1, 2],
        [3, 4],
      ]),
      'case1/param/bias': tensor([0.5, -0.5]),
      'case1/input': tensor([1, 1]),
      'case10/param/weight': tensor([9]),
    },
    { metadata: { cases: '["case1","case10"]' } },
  ),
);

describe('loadFixture', () => {
  const fx = loadFixture(file);

  test('group(prefix) is the state dict under prefix/, as copies, and stops at the slash', () => {
    const sd = fx.group('case1/param');
    expect([...sd.keys()].sort()).toEqual(['bias', 'weight']);
    expect(sd.get('weight')?.shape).toEqual([2, 2]);
    // 'case10/…' shares the text 'case1' but is another case.
    expect(fx.group('case10/param').size).toBe(1);
    (sd.get('bias') as Tensor).data[0] = 100;
    expect(fx.get('case1/param/bias').data[0]).toBe(0.5);
    expect(fx.group('case2/param').size).toBe(0);
  });

  test('get, has and json name what is missing and where', () => {
    expect(fx.has('case1/input')).toBe(true);
    expect(fx.json<string[]>('cases')).toEqual(['case1', 'case10']);
    expect(() => fx.get('case1/output')).toThrow(
      /expected a tensor named 'case1\/output' in .*fx\.safetensors/,
    );
    expect(() => fx.json('sizes')).toThrow(/expected metadata key 'sizes'/);
  });
});

describe('leaf', () => {
  test('is a fresh leaf that requires grad, with its own storage', () => {
    const x = tensor([1, 2, 3]);
    const y = x.mul(2);
    const l = leaf(y);
    expect(l.requiresGrad).toBe(true);
    expect(l.isLeaf).toBe(true);
    expect(l.gradFn).toBeNull();
    l.data[0] = 7;
    expect(y.data[0]).toBe(2);
    l.mul(3).sum().backward();
    expect(l.grad).not.toBeNull();
    expectClose(l.grad as Tensor, tensor([3, 3, 3]));
    expect(x.grad).toBeNull();
  });
});

describe('expectClose', () => {
  test('fails on a value outside the tolerance and on a shape mismatch', () => {
    expect(() => expectClose(tensor([1, 2]), tensor([1, 2.1]))).toThrow();
    expect(() => expectClose(tensor([1, 2]), tensor([[1, 2]]))).toThrow();
    expect(() => expectClose(tensor([1, 2]), tensor([1, 2 + 1e-7]))).not.toThrow();
  });
});

describe('fuzzSettings and checkCase', () => {
  const sample = fuzzSettings();

  // Under pnpm fuzz the settings are the fuzzing ones, which this test does not describe.
  test.skipIf(Boolean(process.env.SEQLAB_FUZZ || process.env.SEQLAB_FUZZ_RUNS))(
    'the test suite gets a seeded, untimed sample',
    () => {
      expect(sample).toMatchObject({ numRuns: 200, timeLimitMs: null, heapEvery: null });
      expect(sample.params).toEqual({ numRuns: 200, seed: sample.seed });
    },
  );

  test('passes a result or a documented error, fails anything else', async () => {
    const bounds = { inputSize: 4 };
    expect(checkCase(sample, () => 5, bounds)).toBe(5);
    expect(
      checkCase(
        sample,
        () => {
          throw new FormatError('parse', 'JSON', 'x');
        },
        bounds,
      ),
    ).toBeUndefined();
    expect(() =>
      checkCase(
        sample,
        () => {
          throw new ConfigError('parse', 'JSON', 'x');
        },
        bounds,
      ),
    ).toThrow('threw ConfigError: parse: expected JSON, got x, not one of FormatError');
    expect(() => checkCase(sample, () => JSON.parse('{'), bounds)).toThrow(/threw SyntaxError/);
    expect(
      checkCase(
        sample,
        () => {
          throw new ConfigError('a', 'b', 'c');
        },
        { ...bounds, errors: [ConfigError] },
      ),
    ).toBeUndefined();
    await expect(checkCaseAsync(sample, async () => JSON.parse('{'), bounds)).rejects.toThrow(
      /threw SyntaxError/,
    );
  });

  test('fails a result over its size bound and a change to Object.prototype', () => {
    const big = () => new Uint8Array(100);
    expect(() =>
      checkCase(sample, big, { inputSize: 4, resultBytes: (r) => r.byteLength, maxResultBytes: 99 }),
    ).toThrow('returned 100 bytes from a 4-byte input, more than 99');
    const key = 'seqlabFuzzPolluted';
    try {
      expect(() =>
        checkCase(sample, () => Object.assign(Object.prototype, { [key]: 1 }), { inputSize: 4 }),
      ).toThrow('changed Object.prototype');
    } finally {
      delete (Object.prototype as Record<string, unknown>)[key];
    }
  });
});
