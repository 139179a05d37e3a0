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
