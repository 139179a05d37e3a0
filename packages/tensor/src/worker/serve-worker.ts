import { ConfigError, SeqlabError } from '@seqlab/tensor';
import {
  type CallMessage,
  isProtocolMessage,
  type JobMessage,
  type SentError,
  type WorkerEndpoint,
} from './protocol';

/** What a method gets beside its input: how to report progress, and whether the page stopped it. */
export interface Job<P = unknown> {
  /**
   * Posts `value` to the page's `onProgress`, then yields to the event loop, so that a stop the
   * page sent meanwhile is received (`signal.aborted` is true after the `await`). Await it once per
   * step or epoch: a loop that never awaits keeps the Worker from hearing the stop.
   */
  progress(value: P): Promise<void>;
  /** Aborted when the page stops the job. The method decides what to return then. */
  readonly signal: AbortSignal;
}

/** A method a Worker serves: input in, result (or a Promise of it) out. */
// biome-ignore lint/suspicious/noExplicitAny: the input, progress and result types are the method's own.
export type WorkerMethod = (input: any, job: Job<any>) => unknown;

/** The methods a Worker serves, by name. */
export type WorkerMethods = Record<string, WorkerMethod>;

const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function sendable(error: unknown): SentError {
  if (error instanceof SeqlabError) {
    const { name, message, op, expected, actual, hint } = error;
    return { name, message, op, expected, actual, ...(hint === undefined ? {} : { hint }) };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/**
 * Serves `methods` to the page that started this Worker (call it once, in the Worker's script):
 * each `call` from `connectWorker` runs its method with the input and a `Job`, posts the
 * progress values, and the result or the error (a SeqlabError keeps its class on the page).
 * The Worker is one thread: jobs interleave only where a method awaits (`job.progress`). Returns
 * `methods`, so the script can export their type for the page:
 *
 * @example
 * ```ts
 * // train.worker.ts
 * import { ready } from '@seqlab/tensor';
 * import { type Job, serveWorker } from '@seqlab/tensor/worker';
 *
 * const methods = serveWorker({
 *   async train(input: { epochs: number }, job: Job<{ epoch: number; loss: number }>) {
 *     await ready();
 *     for (let epoch = 1; epoch <= input.epochs && !job.signal.aborted; epoch++) {
 *       const loss = trainOneEpoch();
 *       await job.progress({ epoch, loss });
 *     }
 *     return { weights: saveSafetensors(model.stateDict()) };
 *   },
 * });
 * export type TrainWorker = typeof methods;
 * ```
 */
export function serveWorker<M extends WorkerMethods>(
  methods: M,
  endpoint: WorkerEndpoint = globalThis as unknown as WorkerEndpoint,
): M {
  const running = new Map<number, AbortController>();
  const post = (message: JobMessage) => endpoint.postMessage(message);

  async function run({ id, method, input }: CallMessage): Promise<void> {
    const controller = new AbortController();
    running.set(id, controller);
    try {
      if (!Object.hasOwn(methods, method)) {
        throw new ConfigError('serveWorker', `one of ${Object.keys(methods).join(', ')}`, `'${method}'`);
      }
      const job: Job = {
        signal: controller.signal,
        async progress(value) {
          post({ seqlab: 1, type: 'progress', id, value });
          await yieldToEvents();
        },
      };
      const result = await methods[method]!(input, job);
      post({ seqlab: 1, type: 'done', id, result });
    } catch (error) {
      post({ seqlab: 1, type: 'error', id, error: sendable(error) });
    } finally {
      running.delete(id);
    }
  }

  endpoint.addEventListener('message', (event) => {
    const data = event.data;
    if (!isProtocolMessage(data)) return;
    if (data.type === 'call') void run(data as CallMessage);
    else if (data.type === 'stop') running.get(data.id)?.abort();
  });
  (endpoint as { start?: () => void }).start?.();
  return methods;
}
