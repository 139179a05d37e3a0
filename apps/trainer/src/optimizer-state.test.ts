import { Adam } from '@seqlab/optim';
import { loadSafetensors, manualSeed, randn, saveSafetensors } from '@seqlab/tensor';
import { expect, test } from 'vitest';
import { joinOptimizerState, splitOptimizerState } from './optimizer-state';

test('optimizer buffers go to safetensors and come back exactly (resume stays bit-identical)', () => {
  manualSeed(0);
  const params = [randn([3, 4], { requiresGrad: true }), randn([5], { requiresGrad: true })];
  const adam = new Adam(params, { lr: 0.01, amsgrad: true });
  for (let step = 0; step < 3; step++) {
    for (const p of params) p.grad = randn(p.shape);
    adam.step();
  }
  const original = adam.stateDict();
  const { json, tensors } = splitOptimizerState(original);
  expect(JSON.stringify(json).length).toBeLessThan(JSON.stringify(original).length / 2);
  expect([...tensors.keys()]).toContain('state.0.exp_avg');
  const back = loadSafetensors(saveSafetensors(tensors)).tensors;
  expect(joinOptimizerState(JSON.parse(JSON.stringify(json)), back, 'optimizer.safetensors')).toEqual(
    original,
  );
  expect(() => joinOptimizerState(json, new Map(), 'optimizer.safetensors')).toThrow(
    /optimizer buffer state\.0\.\w+/,
  );
});

test('a buffer goes to float32 as it was nested: NaN (or null after JSON) kept, a 0-d count left in the JSON', () => {
  const state = {
    optimizer: 'Adam',
    state: {
      '0': {
        step: 3,
        exp_avg: [
          [1.5, Number.NaN],
          [null, -2],
        ] as unknown as number[][],
        exp_avg_sq: [0.25],
      },
    },
    param_groups: [{ params: [0], lr: 0.001 }],
  };
  const { json, tensors } = splitOptimizerState(state);
  expect(json.state['0'].step).toBe(3);
  const avg = tensors.get('state.0.exp_avg');
  expect(avg?.shape).toEqual([2, 2]);
  expect(Array.from(avg?.data ?? [])).toEqual([1.5, Number.NaN, Number.NaN, -2]);
  expect(tensors.get('state.0.exp_avg_sq')?.shape).toEqual([1]);
});

test('a ragged buffer is a FormatError naming the row lengths, not a misplaced tensor', () => {
  const state = {
    optimizer: 'Adam',
    state: { '0': { exp_avg: [[1, 2], [3]] } },
    param_groups: [{ params: [0], lr: 0.001 }],
  };
  expect(() => splitOptimizerState(state)).toThrow(
    /expected optimizer buffer rows of length 2, got one of 1/,
  );
});
