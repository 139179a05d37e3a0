/**
 * Guide 8's runs, off the page's main thread: the exploding RNN trained twice, without clipping and
 * with `clipGradNorm(params, 1)`, one step of each at a time (examples/exploding-gradients.ts), on
 * the wasm backend. Posts every step's norms, stops when asked.
 *
 * Messages in: `{ type: 'run', clip, steps }`, `{ type: 'stop' }`.
 * Messages out: `{ type: 'step', step, steps, free, clipped, backend }` per step, then
 * `{ type: 'done', stopped, steps, ms, backend, testMse }` or `{ type: 'error', message }`.
 */
import { getBackend, ready } from '@seqlab/tensor';
import { type ExplodingStep, explodingSteps } from '../../examples/exploding-gradients';

/** What the worker posts. */
export type ExplodingWorkerMessage =
  | {
      type: 'step';
      step: number;
      steps: number;
      free: ExplodingStep;
      clipped: ExplodingStep;
      backend: string;
    }
  | {
      type: 'done';
      stopped: boolean;
      steps: number;
      ms: number;
      backend: string;
      /** Test MSE of each run after its last step (null when stopped). */
      testMse: { free: number; clipped: number } | null;
    }
  | { type: 'error'; message: string };

const scope = self as unknown as {
  postMessage(message: ExplodingWorkerMessage): void;
  onmessage:
    | ((event: MessageEvent<{ type: 'run'; clip: number; steps: number } | { type: 'stop' }>) => void)
    | null;
};

let stop = false;
const yieldToMessages = () => new Promise((resolve) => setTimeout(resolve, 0));

async function run(clip: number, steps: number): Promise<void> {
  stop = false;
  await ready(); // compiles the wasm kernels before the first op
  const backend = getBackend().name;
  const start = performance.now();
  const free = explodingSteps({ steps });
  const clipped = explodingSteps({ steps, clip });
  let step = 0;
  for (; step < steps && !stop; step++) {
    const a = free.next();
    const b = clipped.next();
    if (a.done || b.done) break;
    scope.postMessage({ type: 'step', step: step + 1, steps, free: a.value, clipped: b.value, backend });
    await yieldToMessages(); // lets a 'stop' message in
  }
  let testMse = null;
  if (!stop) {
    const a = free.next();
    const b = clipped.next();
    if (a.done && b.done) testMse = { free: a.value, clipped: b.value };
  }
  scope.postMessage({
    type: 'done',
    stopped: stop,
    steps: step,
    ms: performance.now() - start,
    backend,
    testMse,
  });
}

scope.onmessage = (event) => {
  if (event.data.type === 'stop') {
    stop = true;
    return;
  }
  run(event.data.clip, event.data.steps).catch((error: unknown) =>
    scope.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
};
