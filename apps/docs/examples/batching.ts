/**
 * Padding vs bucketing vs packing, measured (guide 7): one training epoch of a small LSTM classifier
 * on the same sentences with each way of batching them, timed side by side (the four ways in turn,
 * several rounds, medians), with the recurrent steps spent on padding counted by the loader
 * (`DataLoader.stats`).
 *
 * - padded: `padCollate`, the LSTM runs every batch to its longest sentence (PyTorch's
 *   `pad_sequence` then `nn.LSTM` on the padded tensor). Its final state is the state after the
 *   padding, which is why packing is also about correctness (guides/packing.md).
 * - packed: `packCollate`, the LSTM runs only the real steps of each sentence (`PackedSequence`).
 * - shuffled or bucketed (`bucketing: true`: sorted by length inside chunks of 100 batches).
 *
 * Run: `npx tsx --conditions=@seqlab/source apps/docs/examples/batching.ts [DATASET_DIR] [SENTENCES] [ROUNDS]`
 * (DATASET_DIR defaults to ../shared/datasets/sentiment; the first SENTENCES of train.jsonl, default 2000).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DataLoader,
  type EncodedExample,
  type PackedBatch,
  type PaddedBatch,
  packCollate,
  padCollate,
  Vocab,
  WordTokenizer,
} from '@seqlab/data';
import { crossEntropy, Embedding, Linear, LSTM, Module } from '@seqlab/layers';
import { Adam } from '@seqlab/optim';
import { getBackend, manualSeed, PackedSequence, type Tensor } from '@seqlab/tensor';

/** The four ways to batch. */
export const STRATEGIES = [
  { name: 'padded, shuffled', packed: false, bucketing: false },
  { name: 'padded, bucketed', packed: false, bucketing: true },
  { name: 'packed, shuffled', packed: true, bucketing: false },
  { name: 'packed, bucketed', packed: true, bucketing: true },
] as const;

/** Embedding → LSTM → final hidden state → Linear, on a padded [B, T] or a packed batch. */
class Classifier extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly fc: Linear;

  constructor(vocabSize: number, embed: number, hidden: number) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embed, { paddingIdx: 0 }));
    this.lstm = this.registerModule(
      'lstm',
      new LSTM({ inputSize: embed, hiddenSize: hidden, batchFirst: true }),
    );
    this.fc = this.registerModule('fc', new Linear(hidden, 2));
  }

  forward(ids: PackedSequence | Tensor): Tensor {
    const x =
      ids instanceof PackedSequence
        ? ids.withData(this.embedding.forward(ids.data))
        : this.embedding.forward(ids);
    return this.fc.forward(this.lstm.forward(x).hN.select(0, 0));
  }
}

/** One strategy's epoch: time, and the steps the LSTM ran. */
export interface EpochMeasure {
  name: string;
  ms: number;
  /** Real tokens (the steps that carry a word). */
  tokens: number;
  /** Steps the LSTM computed: Σ B × T_max for padded batches, the tokens for packed ones. */
  steps: number;
  loss: number;
}

/** Trains one epoch from the same initial weights and returns what it cost. */
export function measureEpoch(
  examples: readonly EncodedExample[],
  vocabSize: number,
  strategy: (typeof STRATEGIES)[number],
  options: { embed?: number; hidden?: number; batchSize?: number; seed?: number } = {},
): EpochMeasure {
  const { embed = 32, hidden = 64, batchSize = 32, seed = 0 } = options;
  manualSeed(seed);
  const model = new Classifier(vocabSize, embed, hidden);
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const collate = strategy.packed ? packCollate() : padCollate({ batchFirst: true });
  const loader = new DataLoader<EncodedExample, PaddedBatch | PackedBatch>(examples, {
    batchSize,
    shuffle: true,
    seed,
    bucketing: strategy.bucketing,
    collate,
  });
  let lossSum = 0;
  let batches = 0;
  const start = performance.now();
  for (const batch of loader) {
    const loss = crossEntropy(model.forward(batch.input), batch.labels);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    lossSum += loss.item();
    batches++;
  }
  const ms = performance.now() - start;
  const { tokens, slots } = loader.stats;
  return {
    name: strategy.name,
    ms,
    tokens,
    steps: strategy.packed ? tokens : slots,
    loss: lossSum / batches,
  };
}

/** A warm-up epoch, then every strategy `rounds` times in turn (A B C D A B C D …); the median time of each. */
export function compareBatching(
  examples: readonly EncodedExample[],
  vocabSize: number,
  rounds = 3,
  options: Parameters<typeof measureEpoch>[3] = {},
): (EpochMeasure & { times: number[] })[] {
  const runs = STRATEGIES.map(() => [] as EpochMeasure[]);
  // One untimed epoch first, so the first strategy does not pay for the warm-up (JIT, wasm pages).
  measureEpoch(examples, vocabSize, STRATEGIES[0], options);
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of STRATEGIES.entries()) runs[i].push(measureEpoch(examples, vocabSize, s, options));
  }
  return runs.map((measures) => {
    const times = measures.map((m) => m.ms).sort((a, b) => a - b);
    return { ...measures[0], ms: times[Math.floor(times.length / 2)], times: measures.map((m) => m.ms) };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir =
    process.argv[2] ?? fileURLToPath(new URL('../../../../shared/datasets/sentiment', import.meta.url));
  const count = Number(process.argv[3] ?? 2000);
  const rounds = Number(process.argv[4] ?? 3);
  if (!existsSync(`${dir}/train.jsonl`)) {
    console.error(`batching: ${dir}/train.jsonl not found; pass the sentiment dataset folder`);
    process.exit(1);
  }
  const rows = readFileSync(`${dir}/train.jsonl`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, count)
    .map((l) => JSON.parse(l) as { text: string; label: number });
  // The reference's text pipeline (train_reference.py): [a-z0-9']+, lowercase, the first 50 tokens.
  const tokenizer = new WordTokenizer({ pattern: "[a-z0-9']+", normalize: false, maxLength: 50 });
  const tokens = rows.map((r) => tokenizer.tokenize(r.text));
  const vocab = Vocab.build(tokens, { maxSize: 10_000 });
  const examples = rows.map((r, i) => ({
    ids: vocab.encode(tokens[i], { emptyAsUnk: true }),
    label: r.label,
  }));
  console.log(
    `${examples.length} SST-2 train sentences, batch 32, Embedding 32 → LSTM 64, one epoch each, ${rounds} rounds in turn, ${getBackend().name} backend`,
  );
  const results = compareBatching(examples, vocab.size, rounds);
  const base = results[0];
  console.log('| batching | LSTM steps | on padding | ms / epoch (median) | time vs padded, shuffled |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of results) {
    const wasted = (100 * (r.steps - r.tokens)) / r.steps;
    console.log(
      `| ${r.name} | ${r.steps.toLocaleString('en-US')} | ${wasted.toFixed(1)} % | ${Math.round(r.ms).toLocaleString('en-US')} | ${(r.ms / base.ms).toFixed(2)}× |`,
    );
  }
  console.log(
    `every round (ms): ${results.map((r) => `${r.name}: ${r.times.map(Math.round).join(', ')}`).join('; ')}`,
  );
}
