/**
 * The Web Worker of guide 7's demo: it fetches the shipped sentences, trains `TinyClassifier` with
 * `trainClassifier` on the wasm backend once `ready()` has compiled it (js where WebAssembly SIMD does not compile), posts
 * progress after every batch, stops when told, then classifies the texts the page sends.
 */
import { getBackend, ready } from '@seqlab/tensor';
import type { ReviewSets } from './reviews';
import { type DemoOptions, type TrainedClassifier, trainClassifier } from './train-classifier';
import type { FromWorker, ToWorker } from './train-classifier-messages';

const post = (message: FromWorker) => postMessage(message);
let stopRequested = false;
let trained: TrainedClassifier | undefined;
// A macrotask, so the stop message (queued behind the training) gets handled between batches.
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function train(url: string, model: DemoOptions['model']): Promise<void> {
  stopRequested = false;
  trained = undefined;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`expected ${url}, got HTTP ${response.status}`);
  const sets = (await response.json()) as ReviewSets;
  // Compile the wasm kernels asynchronously before the first op, as a published build needs.
  await ready();
  post({
    type: 'started',
    backend: getBackend().name,
    model,
    train: sets.train.length,
    test: sets.test.length,
  });
  const start = performance.now();
  let lastPost = 0;
  trained = await trainClassifier(
    sets.train,
    sets.test,
    { model },
    {
      pause,
      shouldStop: () => stopRequested,
      onProgress: (p) => {
        const now = performance.now();
        // Every epoch, and at most every 50 ms in between: the page needs no more.
        if (now - lastPost < 50 && p.batchesDone % 25 !== 0) return;
        lastPost = now;
        post({
          type: 'progress',
          batchesDone: p.batchesDone,
          batchesTotal: p.batchesTotal,
          epochs: [...p.epochs],
        });
      },
    },
  );
  post({
    type: 'done',
    backend: getBackend().name,
    epochs: trained.epochs,
    accuracy: trained.accuracy,
    stopped: trained.stopped,
    ms: performance.now() - start,
  });
}

addEventListener('message', (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'stop') stopRequested = true;
  else if (message.type === 'train') {
    train(message.url, message.model).catch((error: unknown) =>
      post({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
  } else if (message.type === 'classify' && trained) {
    post({ type: 'prediction', text: message.text, ...trained.classify(message.text) });
  }
});
