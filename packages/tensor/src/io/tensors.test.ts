import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, loadSafetensors, saveSafetensors, tensor } from '@seqlab/tensor';
import { loadSafetensorsFile, saveSafetensorsFile } from '@seqlab/tensor/node';
import { describe, expect, test } from 'vitest';

const stateDict = () => ({
  'embedding.weight': tensor([
    [0.1, -2],
    [3.5, 1e-3],
  ]),
  'lstm.bias_ih_l0': tensor([1, 2, 3], { dtype: 'float64' }),
  labels: tensor([4, -7], { dtype: 'int32' }),
  mask: tensor([true, false, true]),
});

describe('Tensor-level safetensors', () => {
  test('every dtype round-trips through bytes with its shape', () => {
    const { tensors, metadata } = loadSafetensors(
      saveSafetensors(stateDict(), { metadata: { format: 'pt' } }),
    );
    expect(metadata).toEqual({ format: 'pt' });
    for (const [name, t] of Object.entries(stateDict())) {
      const back = tensors.get(name)!;
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(back.toArray()).toEqual(t.toArray());
    }
  });

  test('float32 can be stored as F16 or BF16 and widens back to float32', () => {
    const x = tensor([1, 0.1, 65504, -3.140625]);
    const f16 = loadSafetensors(saveSafetensors({ x }, { floatDType: 'F16' })).tensors.get('x')!;
    expect(f16.dtype).toBe('float32');
    expect(Array.from(f16.data)).toEqual([1, 0.0999755859375, 65504, -3.140625]);
    const bf16 = loadSafetensors(saveSafetensors({ x }, { floatDType: 'BF16' })).tensors.get('x')!;
    expect(Array.from(bf16.data)).toEqual([1, 0.10009765625, 65536, -3.140625]);
  });

  test('a file written by PyTorch loads as tensors', async () => {
    const { tensors } = await loadSafetensorsFile(
      new URL('../../fixtures/safetensors/torch.safetensors', import.meta.url),
    );
    expect(tensors.size).toBeGreaterThan(3);
    const dtypes = new Set([...tensors.values()].map((t) => t.dtype));
    expect(dtypes).toContain('float32');
    expect(dtypes).toContain('int32');
    expect(dtypes).toContain('bool');
  });

  test('files are written atomically and read back; corrupt files name the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seqlab-st-'));
    try {
      const path = join(dir, 'model.safetensors');
      await saveSafetensorsFile(path, stateDict());
      expect(await readdir(dir)).toEqual(['model.safetensors']);
      const { tensors } = await loadSafetensorsFile(path);
      expect(tensors.get('labels')!.toArray()).toEqual([4, -7]);
      const { writeFile } = await import('node:fs/promises');
      await writeFile(path, new Uint8Array([1, 2, 3]));
      const error = await loadSafetensorsFile(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FormatError);
      expect((error as Error).message).toContain(path);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
