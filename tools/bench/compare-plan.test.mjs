import { describe, expect, it } from 'vitest';
import { planRound } from './compare-plan.mjs';

const base = { steps: 20, warmup: 3, inferWarmup: 50, backends: ['native', 'wasm'], ort: true };

describe('planRound', () => {
  it('runs each mode in processes of its own, every side with that mode’s warm-up', () => {
    const plan = planRound({ ...base, workload: 'W2', modes: ['infer', 'train'] });
    expect(plan.map((p) => `${p.mode} ${p.column} ${p.warmup}`)).toEqual([
      'train torch-2 3',
      'train seqlab:native 3',
      'train seqlab:wasm 3',
      'train torch-1 3',
      'infer torch-2 50',
      'infer seqlab:native 50',
      'infer seqlab:wasm 50',
      'infer torch-1 50',
      'infer ort 50',
    ]);
    expect(plan.every((p) => p.steps === 20)).toBe(true);
    expect(
      plan.filter((p) => p.column.startsWith('torch') || p.column === 'ort').map((p) => p.threads),
    ).toEqual([2, 1, 2, 1, 2]);
    expect(plan.filter((p) => p.backend).map((p) => p.backend)).toEqual(['native', 'wasm', 'native', 'wasm']);
  });

  it('times ONNX Runtime on W1/W2 inference only, and only when it is there', () => {
    const columns = (o) => planRound({ ...base, ...o }).map((p) => `${p.mode} ${p.column}`);
    expect(columns({ workload: 'W3', modes: ['infer'] })).not.toContain('infer ort');
    expect(columns({ workload: 'W1-packed', modes: ['infer'] })).not.toContain('infer ort');
    expect(columns({ workload: 'W1', modes: ['infer'], ort: false })).not.toContain('infer ort');
    expect(columns({ workload: 'W1', modes: ['train'] })).toEqual([
      'train torch-2',
      'train seqlab:native',
      'train seqlab:wasm',
      'train torch-1',
    ]);
  });
});
