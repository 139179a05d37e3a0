// `seqlab bench speed --engine onnxruntime`: the workloads' models exported by @seqlab/onnx and run
// in onnxruntime-node (a devDependency here), their logits checked against seqlab's before timing.
import { ConfigError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { type BenchIO, benchSpeedCommand } from './index';
import type { SpeedRecord } from './speed';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: BenchIO = { out: (l) => out.push(l), err: (l) => err.push(l), status: null };
  return { out, err, io };
}

describe('bench speed --engine onnxruntime', () => {
  it('times W2 and W3 inference in ONNX Runtime with the logits seqlab computes', async () => {
    const ort = capture();
    const flags = { workload: 'W2,W3', mode: 'infer', steps: 1, warmup: 0, json: true };
    expect(await benchSpeedCommand({ ...flags, engine: 'onnxruntime', threads: 1 }, {}, ort.io)).toBe(0);
    const seqlab = capture();
    expect(await benchSpeedCommand(flags, {}, seqlab.io)).toBe(0);
    const a = ort.out.map((l) => JSON.parse(l) as SpeedRecord);
    const b = seqlab.out.map((l) => JSON.parse(l) as SpeedRecord);
    expect(a.map((r) => [r.workload, r.mode, r.backend, r.isa, r.threads])).toEqual([
      ['W2', 'infer', 'onnxruntime', 'onnxruntime-cpu', 1],
      ['W3', 'infer', 'onnxruntime', 'onnxruntime-cpu', 1],
    ]);
    a.forEach((r, i) => {
      expect(r.params).toBe(b[i]?.params);
      expect(Math.abs((r.logits_sum as number) - (b[i]?.logits_sum as number))).toBeLessThan(1e-3);
      expect(r.median_ms).toBeGreaterThan(0);
      // one timed step: every statistic is that step
      expect(r.times_ms).toEqual([r.median_ms]);
      expect([r.min_ms, r.p10_ms, r.p90_ms, r.max_ms]).toEqual(Array(4).fill(r.median_ms));
    });
  });

  it('runs inference only, and no packed workload', async () => {
    const { io, err } = capture();
    await expect(benchSpeedCommand({ engine: 'onnxruntime', mode: 'train' }, {}, io)).rejects.toThrow(
      ConfigError,
    );
    await expect(benchSpeedCommand({ engine: 'onnxruntime', mode: 'train' }, {}, io)).rejects.toThrow(
      'bench speed --engine onnxruntime: expected --mode infer (ONNX Runtime runs inference only), got --mode train',
    );
    await expect(benchSpeedCommand({ engine: 'onnxruntime', workload: 'W1-packed' }, {}, io)).rejects.toThrow(
      /expected a workload of W1, W2, W3, got W1-packed/,
    );
    expect(err).toEqual([]);
  });

  it('refuses an unknown engine', async () => {
    const { io } = capture();
    await expect(benchSpeedCommand({ engine: 'tvm' }, {}, io)).rejects.toThrow(/--engine/);
  });
});
