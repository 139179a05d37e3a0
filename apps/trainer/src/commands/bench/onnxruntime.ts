import { loadavg } from 'node:os';
import { addEmbedding, addLinear, addRecurrent, OnnxGraph } from '@seqlab/onnx';
import { ConfigError, manualSeed, noGrad } from '@seqlab/tensor';
import { makeBatch, peakRssMb, type SpeedOptions, type SpeedRecord, summarizeSteps } from './speed';
import { SeqClassifier, type Workload } from './workloads';

/** The parts of onnxruntime-node this file uses. */
interface OrtTensor {
  readonly data: unknown;
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  InferenceSession: {
    create(
      model: Uint8Array,
      options: { intraOpNumThreads: number; interOpNumThreads: number },
    ): Promise<OrtSession>;
  };
  Tensor: new (type: string, data: unknown, dims: number[]) => unknown;
}

/** Loads onnxruntime-node, an optional dependency of this one command. */
async function loadOrt(): Promise<Ort> {
  try {
    const mod = (await import('onnxruntime-node')) as unknown as Ort & { default?: Ort };
    return mod.InferenceSession ? mod : (mod.default as Ort);
  } catch (error) {
    throw new ConfigError(
      'bench speed --engine onnxruntime',
      'onnxruntime-node installed',
      `not found (${(error as Error).message.split('\n')[0]})`,
      'npm i onnxruntime-node',
    );
  }
}

/**
 * The workload's classifier as ONNX, built by @seqlab/onnx from the same module seqlab times:
 * ids int64 [B, T] -> Gather -> time-major -> ONNX's LSTM/GRU -> the last step -> MatMul + Add.
 */
export function seqClassifierToOnnx(model: SeqClassifier): Uint8Array {
  const g = new OnnxGraph('seqlab_bench');
  const ids = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const input = g.op('Transpose', [addEmbedding(g, model.emb, ids)], { perm: [1, 0, 2] });
  const { output } = addRecurrent(g, model.rnn, { input, sequenceLens: null, h0: null, c0: null });
  // output[:, -1] of the batch-first output is the last time step of the time-major one
  const last = g.op('Gather', [output, g.initializer('last_step', [-1], 'int64', [])], { axis: 0 });
  g.output(addLinear(g, model.fc, last), 'logits', 'float32', ['batch', model.fc.outFeatures]);
  return g.toBytes();
}

/**
 * Times the workload's inference in ONNX Runtime (`--engine onnxruntime`): the model seqlab would
 * time (same seed, same batch) exported with @seqlab/onnx, run by onnxruntime-node's CPU provider
 * on `threads` intra-op threads. The logits are checked against seqlab's before timing.
 */
export async function benchOnnxRuntime(
  name: string,
  w: Workload,
  options: SpeedOptions,
  threads: number,
): Promise<SpeedRecord> {
  const ort = await loadOrt();
  manualSeed(options.seed);
  const model = new SeqClassifier(w);
  model.eval();
  const { tokens } = makeBatch(w, options.seed + 1);
  const want = noGrad(() => model.forward(tokens));
  const session = await ort.InferenceSession.create(seqClassifierToOnnx(model), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  try {
    const ids = BigInt64Array.from(tokens.data as Int32Array, (v) => BigInt(v));
    const feeds = { input_ids: new ort.Tensor('int64', ids, [w.batch, w.seq]) };
    const times: number[] = [];
    let logits: Float32Array | null = null;
    for (let i = 0; i < options.warmup + options.steps; i++) {
      const t0 = performance.now();
      const out = await session.run(feeds);
      const dt = performance.now() - t0;
      logits = out.logits?.data as Float32Array;
      if (i >= options.warmup) times.push(dt);
    }
    const expected = want.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < expected.length; i++)
      worst = Math.max(worst, Math.abs((logits as Float32Array)[i] - expected[i]));
    if (!(worst <= 1e-4)) {
      throw new ConfigError(
        'bench speed --engine onnxruntime',
        "seqlab's logits within 1e-4",
        `a difference of ${worst}`,
      );
    }
    const r = (x: number, d: number) => Number(x.toFixed(d));
    return {
      system: 'seqlab',
      backend: 'onnxruntime',
      node: process.version,
      workload: name,
      batch: w.batch,
      seq: w.seq,
      params: model.numParameters(),
      mode: 'infer',
      steps: times.length,
      warmup: options.warmup,
      ...summarizeSteps(times, w.batch * w.seq),
      logits_sum: r(
        Array.from(logits as Float32Array).reduce((a, b) => a + b, 0),
        5,
      ),
      loadavg_1m: r(loadavg()[0], 2),
      threads,
      isa: 'onnxruntime-cpu',
      peak_rss_mb: peakRssMb(),
    };
  } finally {
    await session.release();
  }
}
