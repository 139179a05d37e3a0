import { loadavg } from 'node:os';
import { crossEntropy, type Module } from '@seqlab/layers';
import { Adam, clipGradNorm } from '@seqlab/optim';
import {
  Generator,
  manualSeed,
  noGrad,
  randint,
  setDefaultGenerator,
  type Tensor,
  TorchGenerator,
  tidy,
} from '@seqlab/tensor';
import { backendInfo } from './backends';
import { makePackedBatch, PackedClassifier, type PackedWorkload } from './packed';
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
  /**
   * The 10th and 90th percentiles of the timed steps (linear interpolation between the two nearest
   * ranks, as numpy's default `percentile`): p90 well above the median means a share of slow steps.
   */
  p10_ms: number;
  p90_ms: number;
  /** Every timed step, in the order it ran (ms, 3 decimals): where the slow steps fall. */
  times_ms: number[];
  /** batch · seq / median. */
  tokens_per_s: number;
  /** Train: the loss of the first (warm-up) and last step, a sanity check that training ran. */
  loss_first?: number;
  loss_last?: number;
  /** Infer: the sum of the last logits, a sanity check that the forward ran. */
  logits_sum?: number;
  /** 1-minute load average when the measurement ended (a busy machine slows every number). */
  loadavg_1m: number;
  /** Threads the backend computes on (1 for js and wasm). */
  threads: number;
  /** The instruction set the backend runs: `js`, `wasm-simd128`, or what a backend reports. */
  isa: string;
  /** Peak resident set size of the whole process so far, in MiB (`process.resourceUsage().maxRSS`). */
  peak_rss_mb: number;
  /** Packed workloads: the shortest sequence length (`seq` is the longest allowed, T). */
  min_len?: number;
  /** Packed workloads: Σ lengths, the real tokens of the batch (`tokens_per_s` counts these). */
  tokens?: number;
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

/**
 * The q-th percentile (0 ≤ q ≤ 100) of `values`, interpolating linearly between the two nearest
 * ranks as numpy's default `percentile` does: rank q/100 · (n - 1) of the sorted values.
 */
export function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const rank = (q / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

/** The step statistics of a record from its timed steps (ms) and the tokens of one step. */
export function summarizeSteps(
  times: readonly number[],
  tokens: number,
): Pick<SpeedRecord, 'median_ms' | 'min_ms' | 'max_ms' | 'p10_ms' | 'p90_ms' | 'times_ms' | 'tokens_per_s'> {
  const med = median(times);
  return {
    median_ms: round(med, 3),
    min_ms: round(Math.min(...times), 3),
    max_ms: round(Math.max(...times), 3),
    p10_ms: round(percentile(times, 10), 3),
    p90_ms: round(percentile(times, 90), 3),
    times_ms: times.map((t) => round(t, 3)),
    tokens_per_s: round(tokens / (med / 1e3), 1),
  };
}

/** Peak resident set size of this process so far, in MiB (maxRSS is in KiB). */
export const peakRssMb = (): number => round(process.resourceUsage().maxRSS / 1024, 1);

/** What `timeModes` runs: a model, its logits on the fixed batch, and the record fields it knows. */
interface Subject {
  model: Module;
  logits: () => Tensor;
  labels: Tensor;
  /** Tokens per step (B·T, or Σ lengths when packed). */
  tokens: number;
  base: Pick<SpeedRecord, 'workload' | 'batch' | 'seq'> & Partial<SpeedRecord>;
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
export function benchWorkload(
  name: string,
  w: Workload,
  modes: readonly SpeedMode[],
  options: SpeedOptions,
): IterableIterator<SpeedRecord> {
  manualSeed(options.seed);
  const model = new SeqClassifier(w);
  const { tokens, labels } = makeBatch(w, options.seed + 1);
  return timeModes(
    {
      model,
      logits: () => model.forward(tokens),
      labels,
      tokens: w.batch * w.seq,
      base: { workload: name, batch: w.batch, seq: w.seq },
    },
    modes,
    options,
  );
}

/**
 * Times a packed workload as tools/bench/torch_packed.py does: the protocol of `benchWorkload`, with
 * `PackedClassifier` on `makePackedBatch`'s batch (`seed + 1`). The weights come from a
 * `TorchGenerator(seed)`, as `torch.manual_seed(seed)` gives PyTorch's, so the first loss of both
 * (up to the dropout mask) is the same number. `tokens_per_s` counts the real tokens (Σ lengths).
 */
export function benchPackedWorkload(
  name: string,
  w: PackedWorkload,
  modes: readonly SpeedMode[],
  options: SpeedOptions,
): IterableIterator<SpeedRecord> {
  const previous = setDefaultGenerator(new TorchGenerator(options.seed));
  let model: PackedClassifier;
  try {
    model = new PackedClassifier(w);
  } finally {
    setDefaultGenerator(previous);
  }
  const batch = makePackedBatch(w, options.seed + 1);
  return timeModes(
    {
      model,
      logits: () => model.forwardPacked(batch.tokens, batch.lengths),
      labels: batch.labels,
      tokens: batch.numTokens,
      base: { workload: name, batch: w.batch, seq: w.seq, min_len: w.minLen, tokens: batch.numTokens },
    },
    modes,
    options,
  );
}

function* timeModes(
  subject: Subject,
  modes: readonly SpeedMode[],
  options: SpeedOptions,
): IterableIterator<SpeedRecord> {
  const { model, logits: forward, labels } = subject;
  const params = model.parameters();
  const optimizer = new Adam(params, { lr: 1e-3 });
  const total = options.warmup + options.steps;
  const { backend, threads, isa } = backendInfo();
  const { workload, batch, seq, ...packedFields } = subject.base;
  const base = {
    system: 'seqlab' as const,
    backend,
    node: process.version,
    workload,
    batch,
    seq,
    params: model.numParameters(),
  };
  const done = (mode: SpeedMode, times: number[], extra: Partial<SpeedRecord>): SpeedRecord => ({
    ...base,
    mode,
    steps: times.length,
    warmup: options.warmup,
    ...summarizeSteps(times, subject.tokens),
    ...extra,
    loadavg_1m: round(loadavg()[0], 2),
    threads,
    isa,
    peak_rss_mb: peakRssMb(),
    ...packedFields,
  });

  if (modes.includes('train')) {
    model.train();
    const times: number[] = [];
    const losses: number[] = [];
    for (let i = 0; i < total; i++) {
      const t0 = performance.now();
      // The whole step in tidy: what it made goes back to the storage pool for the next (NOTE(tidy)).
      const loss = tidy(() => {
        optimizer.zeroGrad();
        const l = crossEntropy(forward(), labels);
        l.backward();
        clipGradNorm(params, 5);
        optimizer.step();
        return l.item();
      });
      const dt = performance.now() - t0;
      losses.push(loss);
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
        // What the step made goes back to the storage pool for the next (NOTE(tidy)).
        logits = tidy(forward);
        const dt = performance.now() - t0;
        if (i >= options.warmup) times.push(dt);
      }
    });
    const sum = (logits as Tensor | null)?.sum().item() ?? Number.NaN;
    yield done('infer', times, { logits_sum: round(sum, 5) });
  }
}
