/**
 * Training does not grow memory: 200 steps of a small stacked bidirectional LSTM classifier (the
 * W1 model's layout at a tenth of its size: embedding, 2 layers, dropout between them, the last
 * step's output into a Linear head, cross-entropy, SGD by hand since layers does not import optim)
 * must end with the live JS heap and ArrayBuffer bytes they had after the first 40 steps, on every
 * backend. A control run that keeps every step's graph alive, as a leak would, must fail the same
 * measure, so the check is known to catch one. The 1,000-step check of the W1 model itself is in
 * tools/bench/README.md (`seqlab bench speed --steps 1000` and its peak RSS).
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { crossEntropy, Embedding, Linear, LSTM, Module } from '@seqlab/layers';
import {
  Generator,
  getBackend,
  listBackends,
  manualSeed,
  noGrad,
  randint,
  setBackend,
  type Tensor,
} from '@seqlab/tensor';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live heap + ArrayBuffer bytes after two full collections. */
function live(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

class Classifier extends Module {
  readonly emb = this.registerModule('emb', new Embedding(1000, 32));
  readonly rnn = this.registerModule(
    'rnn',
    new LSTM({
      inputSize: 32,
      hiddenSize: 32,
      numLayers: 2,
      batchFirst: true,
      bidirectional: true,
      dropout: 0.3,
    }),
  );
  readonly fc = this.registerModule('fc', new Linear(64, 2));

  forward(tokens: Tensor): Tensor {
    const { output } = this.rnn.forward(this.emb.forward(tokens));
    return this.fc.forward(output.select(1, -1));
  }
}

/**
 * Bytes of live memory gained per step between step `warm` and step `steps` (after a full GC at
 * each), training as described above; `keep` holds on to every loss and so to every graph.
 */
function growthPerStep(steps: number, warm: number, keep: Tensor[] | null): number {
  manualSeed(0);
  const model = new Classifier();
  model.train();
  const generator = new Generator(1);
  const tokens = randint(0, 1000, [8, 12], { generator });
  const labels = randint(0, 2, [8], { generator });
  const params = model.parameters();
  let start = 0;
  for (let i = 0; i < steps; i++) {
    if (i === warm) start = live();
    for (const p of params) p.grad = null;
    const loss = crossEntropy(model.forward(tokens), labels);
    loss.backward();
    noGrad(() => {
      for (const p of params) {
        const g = p.grad?.data;
        if (g) for (let k = 0; k < g.length; k++) p.data[k] -= 0.01 * g[k];
      }
    });
    keep?.push(loss);
  }
  return (live() - start) / (steps - warm);
}

describe.each(listBackends())('[%s backend] training memory', (name) => {
  const initial = getBackend().name;
  beforeAll(() => setBackend(name));
  afterAll(() => setBackend(initial));

  test('200 steps: no growth of live heap and ArrayBuffers after the first 40', () => {
    // One step's graph holds ≈ 780 KB; measured growth is within ±3 KB per step (GC noise). A leak
    // of 2% of a graph per step fails.
    expect(growthPerStep(200, 40, null)).toBeLessThan(16_000);
  });

  test('control: keeping every graph alive is caught by the same measure', () => {
    expect(growthPerStep(60, 20, [])).toBeGreaterThan(16_000);
  });
});
