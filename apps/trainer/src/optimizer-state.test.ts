import { Adam, type OptimizerStateDict, optimizerStateToJson } from '@seqlab/optim';
import { DTypeError, loadSafetensors, manualSeed, randn, saveSafetensors, tensor } from '@seqlab/tensor';
import { expect, test } from 'vitest';
import { joinOptimizerState, splitOptimizerState } from './optimizer-state';

function trainedAdam() {
  manualSeed(0);
  const params = [randn([3, 4], { requiresGrad: true }), randn([5], { requiresGrad: true })];
  const adam = new Adam(params, { lr: 0.01, amsgrad: true });
  for (let step = 0; step < 3; step++) {
    for (const p of params) p.grad = randn(p.shape);
    adam.step();
  }
  return { params, adam };
}

test('optimizer buffers go to safetensors as they are and come back exactly (resume stays bit-identical)', () => {
  const { params, adam } = trainedAdam();
  const original = adam.stateDict();
  const { json, tensors } = splitOptimizerState(original);
  expect(JSON.stringify(json).length).toBeLessThan(JSON.stringify(optimizerStateToJson(original)).length / 2);
  expect([...tensors.keys()]).toContain('state.0.exp_avg');
  // No copy on the way out: the writer reads the optimizer's own float32 storage.
  expect(tensors.get('state.0.exp_avg')?.data).toBe(adam.state.get(params[0])?.exp_avg);
  const back = loadSafetensors(saveSafetensors(tensors)).tensors;
  expect(back.get('state.1.max_exp_avg_sq')?.dtype).toBe('float32');
  const joined = joinOptimizerState(JSON.parse(JSON.stringify(json)), back, 'optimizer.safetensors');
  const fresh = new Adam(
    params.map((p) => tensor(p.data.slice(), { shape: p.shape, requiresGrad: true })),
    { lr: 0.5 },
  );
  fresh.loadStateDict(joined);
  expect(optimizerStateToJson(fresh.stateDict())).toEqual(optimizerStateToJson(original));
  expect(() => joinOptimizerState(json, new Map(), 'optimizer.safetensors')).toThrow(
    /optimizer buffer state\.0\.\w+/,
  );
});

test('a float64 buffer in the safetensors file is a DTypeError naming both dtypes, not a silent cast', () => {
  const { params, adam } = trainedAdam();
  const { json, tensors } = splitOptimizerState(adam.stateDict());
  const m = tensors.get('state.0.exp_avg');
  if (!m) throw new Error('no state.0.exp_avg');
  tensors.set('state.0.exp_avg', tensor(m.data, { shape: m.shape, dtype: 'float64' }));
  const back = loadSafetensors(saveSafetensors(tensors)).tensors;
  const fresh = new Adam(params, { lr: 0.01, amsgrad: true });
  const joined = joinOptimizerState(json, back, 'optimizer.safetensors');
  expect(() => fresh.loadStateDict(joined)).toThrow(DTypeError);
  expect(() => fresh.loadStateDict(joined)).toThrow(
    'expected state["0"].exp_avg of dtype float32 (the parameter\'s), got float64',
  );
});

test('buffers an earlier checkpoint kept in the JSON (nested float64 numbers) pass through and load', () => {
  const { params, adam } = trainedAdam();
  const legacy = JSON.parse(JSON.stringify(optimizerStateToJson(adam.stateDict()))) as OptimizerStateDict;
  const joined = joinOptimizerState(legacy, new Map(), 'optimizer.safetensors');
  expect(joined.state['0'].exp_avg).toEqual(legacy.state['0'].exp_avg);
  const fresh = new Adam(params, { lr: 0.01, amsgrad: true });
  fresh.loadStateDict(joined);
  expect(optimizerStateToJson(fresh.stateDict())).toEqual(legacy);
});
