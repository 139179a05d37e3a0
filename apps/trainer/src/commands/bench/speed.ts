import { loadavg } from 'node:os';
import { crossEntropy } from '@seqlab/layers';
import { Adam, clipGradNorm } from '@seqlab/optim';
import { Generator, getBackend, manualSeed, noGrad, randint, type Tensor } from '@seqlab/tensor';
import { SeqClassifier, type Workload } from './workloads';

/** What one speed measurement times. */
export type SpeedMode = 'train' | 'infer';

/** Options of `benchWorkload` (torch_bench.py's defaults: 20 steps, 3 warm-up, seed 0). */
export interface SpeedOptions {
  /** Timed steps. */
  steps: number;
  /** Untimed steps before them. */
  warmup: number;
  /** Seeds the weights (`manualSeed(seed)`) and the batch (`Generator(seed + 1)`). */
  seed: number;
}

/**
 * One JSON line of `seqlab bench speed --json`, with torch_bench.py's field names so the two can
 * be joined on `workload` and `mode`.
 */
export interface SpeedRecord {
  system: 'seqlab';
  backend: string;
  node: string;
  workload: string;
  batch: number;
  seq: number;
  params: number;
  mode: SpeedMode;
  steps: number;
  warmup: number;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  /** batch · seq / median. */
  tokens_per_s: number;
  /** Train: the loss of the first (warm-up) and last step, a sanity check that training ran. */
  loss_first?: number;
  loss_last?: number;
  /** Infer: the sum of the last logits, a sanity check that the forward ran. */
  logits_sum?: number;
  /** 1-minute load average when the measurement ended (a busy machine slows every number). */
  loadavg_1m: number;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** The median as Python's statistics.median takes it (mean of the two middle values when even). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The one fixed batch of a workload: token ids [B, T] uniform in [0, V), labels [B] uniform in [0, C). */
export function makeBatch(w: Workload, seed: number): { tokens: Tensor; labels: Tensor } {
  const generator = new Generator(seed);
  const tokens = randint(0, w.vocab, [w.batch, w.seq], { generator });
  const labels = randint(0, w.classes, [w.batch], { generator });
  return { tokens, labels };
}

function summarize(
  times: readonly number[],
  w: Workload,
): Pick<SpeedRecord, 'median_ms' | 'min_ms' | 'max_ms' | 'tokens_per_s'> {
  const med = median(times);
  return {
    median_ms: round(med, 3),
    min_ms: round(Math.min(...times), 3),
    max_ms: round(Math.max(...times), 3),
    tokens_per_s: round((w.batch * w.seq) / (med / 1e3), 1),
  };
}

/**
 * Times a workload as torch_bench.py's `bench_workload` does, yielding one record per mode as soon
 * as it is measured. One model and one fixed batch serve both modes (train first, so infer runs on
 * the trained weights).
 *
 * - train: `train()` mode (dropout active); per step zeroGrad + forward + cross-entropy + backward
 *   + clipGradNorm(5) + Adam(1e-3) step, timed end to end.
 * - infer: `eval()` mode, forward only inside `noGrad` (torch.inference_mode()).
 *
 * Porting note: `zeroGrad()` drops the gradients (set to null), as torch_bench's
 * `zero_grad(set_to_none=True)`.
 */
export function* benchWorkload(
  name: string,
  w: Workload,
  modes: readonly SpeedMode[],
  options: SpeedOptions,
): IterableIterator<SpeedRecord> {
  manualSeed(options.seed);
  const model = new SeqClassifier(w);
  const { tokens, labels } = makeBatch(w, options.seed + 1);
  const params = model.parameters();
  const optimizer = new Adam(params, { lr: 1e-3 });
  const total = options.warmup + options.steps;
  const base = {
    system: 'seqlab' as const,
    backend: getBackend().name,
    node: process.version,
    workload: name,
    batch: w.batch,
    seq: w.seq,
    params: model.numParameters(),
  };
  const done = (mode: SpeedMode, times: number[], extra: Partial<SpeedRecord>): SpeedRecord => ({
    ...base,
    mode,
    steps: times.length,
    warmup: options.warmup,
    ...summarize(times, w),
    ...extra,
    loadavg_1m: round(loadavg()[0], 2),
  });

  if (modes.includes('train')) {
    model.train();
    const times: number[] = [];
    const losses: number[] = [];
    for (let i = 0; i < total; i++) {
      const t0 = performance.now();
      optimizer.zeroGrad();
      const loss = crossEntropy(model.forward(tokens), labels);
      loss.backward();
      clipGradNorm(params, 5);
      optimizer.step();
      const dt = performance.now() - t0;
      losses.push(loss.item());
      if (i >= options.warmup) times.push(dt);
    }
    yield done('train', times, {
      loss_first: round(losses[0], 5),
      loss_last: round(losses[losses.length - 1], 5),
    });
  }

  if (modes.includes('infer')) {
    model.eval();
    const times: number[] = [];
    let logits: Tensor | null = null;
    noGrad(() => {
      for (let i = 0; i < total; i++) {
        const t0 = performance.now();
        logits = model.forward(tokens);
        const dt = performance.now() - t0;
        if (i >= options.warmup) times.push(dt);
      }
    });
    const sum = (logits as Tensor | null)?.sum().item() ?? Number.NaN;
    yield done('infer', times, { logits_sum: round(sum, 5) });
  }
}
