import { existsSync } from 'node:fs';
import { expect, test } from 'vitest';
import { trainSentiment } from './sentiment-lstm';

const dataDir = new URL('../../../../shared/datasets/sentiment', import.meta.url).pathname;
const present = existsSync(`${dataDir}/train.jsonl`);
if (!present) console.warn(`skipped: the SentimentLSTM test needs ${dataDir} (../shared/datasets/sentiment)`);

test.skipIf(!present)(
  "the article's SentimentLSTM learns SST-2 sentiment: valid accuracy well above chance",
  () => {
    // All 6,911 training sentences, one epoch at small sizes (embedding 32, hidden 32): under a minute
    // on 2 cores, where the reference's full-size model takes hours in plain JS.
    const accuracies = trainSentiment(dataDir, { epochs: 1, maxLen: 30, lr: 3e-3 });
    expect(Math.max(...accuracies)).toBeGreaterThan(0.65); // the valid set is balanced: chance is 0.5
  },
);
