// Inference work against ONNX Runtime: the process CPU time per W1/W2 inference step of the native
// backend and of onnxruntime-node on the model torch_bench.py exports, both with the same thread
// count, in one process, alternating (A B A B, 6 rounds of 5 steps after a warm-up step). CPU time
// counts only what runs, so it holds on a shared machine better than wall time (which is printed
// too); with one thread it is each library's work. ONNX Runtime spins its threads while it waits, so
// with two threads its CPU time overstates its work. The seqlab model has its own random weights:
// the arithmetic is the same, not the logits.
//
//   /usr/bin/python3 ../shared/bench/anchors/torch_bench.py --export-onnx /tmp/onnx
//   mkdir -p /tmp/ort && cd /tmp/ort && npm init -y && npm i --ignore-scripts onnxruntime-node
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/cpu-vs-ort.ts \
//     [--threads 1] [--onnx /tmp/onnx] [--ort-modules /tmp/ort/node_modules] [--deferral off]
//   (`--deferral off`: every reverse step computed in the call, NOTE(deferred-reverse))
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { registerNative, setNativeThreads } from '@seqlab/native';
import { manualSeed, noGrad, setBackend, tensor } from '@seqlab/tensor';
import { setReverseDeferral } from '@seqlab/tensor/backend';
import { SeqClassifier, WORKLOADS, type WorkloadName } from '../src/commands/bench/workloads';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    onnx: { type: 'string', default: '/tmp/onnx' },
    'ort-modules': { type: 'string', default: '/tmp/ort/node_modules' },
    deferral: { type: 'string', default: 'on' },
  },
});
const ort = createRequire(join(values['ort-modules'], 'noop.js'))('onnxruntime-node');
const threads = Number(values.threads);
setReverseDeferral(values.deferral !== 'off');
registerNative();
setBackend('native');
setNativeThreads(threads);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const name of ['W1', 'W2'] as WorkloadName[]) {
  const ref = JSON.parse(readFileSync(join(values.onnx, `${name}.ref.json`), 'utf8'));
  const session = await ort.InferenceSession.create(join(values.onnx, `${name}.onnx`), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('int64', BigInt64Array.from(ref.tokens.map(BigInt)), ref.shape),
  };
  manualSeed(0);
  const model = new SeqClassifier(WORKLOADS[name]);
  model.eval();
  const tokens = tensor(ref.tokens, { dtype: 'int32' }).reshape(ref.shape);
  const cpu: Record<string, number[]> = { native: [], ort: [] };
  const wall: Record<string, number[]> = { native: [], ort: [] };
  for (let r = 0; r < 6; r++) {
    for (const side of ['native', 'ort']) {
      for (let i = 0; i < 6; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        if (side === 'ort') await session.run(feeds);
        else noGrad(() => model.forward(tokens));
        const c = process.cpuUsage(c0);
        if (i >= 1) {
          cpu[side].push((c.user + c.system) / 1000);
          wall[side].push(performance.now() - t0);
        }
      }
    }
  }
  const [n, o] = [median(cpu.native), median(cpu.ort)];
  console.log(
    `${name} threads=${threads}: CPU ms/step native ${n.toFixed(1)}, onnxruntime ${o.toFixed(1)} ` +
      `(native / onnxruntime ${(n / o).toFixed(2)}); wall native ${median(wall.native).toFixed(1)}, ` +
      `onnxruntime ${median(wall.ort).toFixed(1)}; load ${loadavg()[0].toFixed(1)}`,
  );
  await session.release();
}
