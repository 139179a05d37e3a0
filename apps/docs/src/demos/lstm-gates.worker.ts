/**
 * Guide 4's training, off the page's main thread: a Web Worker that trains `GateTrainer` step by
 * step, posts its progress, stops when asked, and posts the trained weights back. The page then
 * runs the small model itself on whatever the reader types (a forward pass over one sentence).
 *
 * Messages in: `{ type: 'train', steps }`, `{ type: 'stop' }`.
 * Messages out: `{ type: 'progress', step, steps, loss, backend }`, then
 * `{ type: 'done', stopped, evaluation, weights, ms, backend }` or `{ type: 'error', message }`.
 */
import { getBackend, ready } from '@seqlab/tensor';
import { evaluate, exportWeights, GateTrainer } from './lstm-gates';

/** What the worker posts. */
export type GateWorkerMessage =
  | { type: 'progress'; step: number; steps: number; loss: number; backend: string }
  | {
      type: 'done';
      stopped: boolean;
      evaluation: ReturnType<typeof evaluate>;
      weights: ReturnType<typeof exportWeights>;
      ms: number;
      backend: string;
      first: number;
      last: number;
    }
  | { type: 'error'; message: string };

const scope = self as unknown as {
  postMessage(message: GateWorkerMessage): void;
  onmessage: ((event: MessageEvent<{ type: 'train'; steps?: number } | { type: 'stop' }>) => void) | null;
};

let stop = false;
const yieldToMessages = () => new Promise((resolve) => setTimeout(resolve, 0));

async function train(steps: number): Promise<void> {
  stop = false;
  // Compile the wasm kernels asynchronously before the first op, as a published build needs.
  await ready();
  const start = performance.now();
  const backend = getBackend().name;
  const trainer = new GateTrainer({ steps });
  let first = Number.NaN;
  let last = Number.NaN;
  while (trainer.step < trainer.steps && !stop) {
    const progress = trainer.next();
    if (progress.step === 1) first = progress.loss;
    last = progress.loss;
    scope.postMessage({ type: 'progress', ...progress, backend });
    await yieldToMessages(); // lets a 'stop' message in
  }
  scope.postMessage({
    type: 'done',
    stopped: stop,
    evaluation: evaluate(trainer.model),
    weights: exportWeights(trainer.model),
    ms: performance.now() - start,
    backend,
    first,
    last,
  });
}

scope.onmessage = (event) => {
  if (event.data.type === 'stop') {
    stop = true;
    return;
  }
  train(event.data.steps ?? 200).catch((error: unknown) =>
    scope.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
};
