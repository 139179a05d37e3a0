// Padding fraction of one epoch over the SST-2 dev set (valid.jsonl) at batch size 32: padded
// token slots / all token slots, without bucketing, with length bucketing, and with packing.
// The text pipeline is the PyTorch reference's (train_reference.py): tokens =
// re.findall(r"[a-z0-9']+", text.lower())[:50], vocabulary from train.jsonl (10,000 entries),
// an empty text encoded as [<unk>].
//
// Run from the repository root:
//   npx tsx --conditions=@seqlab/source packages/data/bench/padding.ts [DATASET_DIR]
// DATASET_DIR defaults to ../shared/datasets/sentiment (beside the repository).
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DataLoader,
  type DataLoaderOptions,
  type EncodedExample,
  type PackedBatch,
  type PaddedBatch,
  packCollate,
  padCollate,
  Vocab,
  WordTokenizer,
} from '@seqlab/data';
import { readJsonl } from '@seqlab/data/node';

const dir =
  process.argv[2] ?? fileURLToPath(new URL('../../../../shared/datasets/sentiment', import.meta.url));
if (!existsSync(join(dir, 'valid.jsonl'))) {
  console.error(`padding bench: ${join(dir, 'valid.jsonl')} not found; pass the sentiment dataset folder`);
  process.exit(1);
}

const BATCH = 32;
const SEEDS = Array.from({ length: 10 }, (_, i) => i);
const tokenizer = new WordTokenizer({ pattern: "[a-z0-9']+", normalize: false, maxLength: 50 });
const read = async (name: string) =>
  readJsonl(join(dir, name), { textColumn: 'text', labelColumn: 'label', labels: 'integer' }).toArray();

const train = await read('train.jsonl');
const valid = await read('valid.jsonl');
const vocab = Vocab.build(
  train.map((x) => tokenizer.tokenize(x.text)),
  { maxSize: 10_000 },
);
const encoded: EncodedExample[] = valid.map((x) => ({
  ids: vocab.encode(tokenizer.tokenize(x.text), { emptyAsUnk: true }),
  label: x.label,
}));

function epoch(options: DataLoaderOptions<EncodedExample, PaddedBatch | PackedBatch>): number {
  const loader = new DataLoader(encoded, { batchSize: BATCH, ...options });
  for (const _ of loader);
  return loader.stats.paddingFraction;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows: [string, number, number][] = [];
const bySeed = (options: DataLoaderOptions<EncodedExample, PaddedBatch | PackedBatch>) =>
  SEEDS.map((seed) => epoch({ ...options, shuffle: true, seed }));
for (const [name, options] of [
  ['padded, no bucketing', { collate: padCollate() }],
  ['padded, bucketing (chunks of 100 batches)', { collate: padCollate(), bucketing: true }],
  ['padded, bucketing (chunks of 10 batches)', { collate: padCollate(), bucketing: { chunkBatches: 10 } }],
  ['packed (packCollate)', { collate: packCollate() }],
] as const) {
  const fractions = bySeed(options);
  rows.push([name, fractions[0], mean(fractions)]);
}

const lengths = encoded.map((x) => x.ids.length);
console.log(`SST-2 dev: ${encoded.length} sentences, ${lengths.reduce((a, b) => a + b, 0)} tokens`);
console.log(
  `lengths: mean ${mean(lengths).toFixed(1)}, max ${Math.max(...lengths)}; batch size ${BATCH}, shuffled`,
);
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}\n`);
console.log('| collate | padding, seed 0 | padding, mean of seeds 0-9 |');
console.log('|---|---:|---:|');
for (const [name, first, avg] of rows) console.log(`| ${name} | ${pct(first)} | ${pct(avg)} |`);
