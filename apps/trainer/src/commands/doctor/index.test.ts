import { describe, expect, test } from 'vitest';
import { describeBackend } from './index';

const native = {
  ok: true as const,
  isa: 'avx512' as const,
  isaReason: 'the widest',
  threads: 2,
  path: '/x.node',
};

describe('describeBackend (what `seqlab doctor` says about speed)', () => {
  test('native with AVX-512 on every core: nothing faster', () => {
    expect(describeBackend({ name: 'native', reason: 'default: …' }, native, 2)).toEqual({
      isa: 'avx512',
      threads: 2,
      fasterNotUsed: null,
    });
  });

  test('native without AVX-512, or on fewer threads than cores, says so', () => {
    const avx2 = {
      ...native,
      isa: 'avx2' as const,
      isaReason: 'this CPU has no AVX-512 (avx512f + avx512vl)',
    };
    expect(describeBackend({ name: 'native', reason: '' }, avx2, 2).fasterNotUsed).toBe(
      'no AVX-512 kernels: this CPU has no AVX-512 (avx512f + avx512vl)',
    );
    expect(describeBackend({ name: 'native', reason: '' }, { ...native, threads: 1 }, 4).fasterNotUsed).toBe(
      '1 of 4 cores in the pool (SEQLAB_THREADS or the threads option)',
    );
  });

  test('another backend: why native is not the one running', () => {
    expect(describeBackend({ name: 'wasm', reason: "selected with setBackend('wasm')" }, native, 2)).toEqual({
      isa: 'wasm-simd128',
      threads: 1,
      fasterNotUsed:
        "native (avx512, 2 threads) is available but not active: selected with setBackend('wasm')",
    });
    expect(
      describeBackend({ name: 'js', reason: 'default' }, { ok: false, reason: 'the addon is not built' }, 2),
    ).toEqual({
      isa: 'none (TypeScript)',
      threads: 1,
      fasterNotUsed: 'native is not available: the addon is not built',
    });
  });
});
