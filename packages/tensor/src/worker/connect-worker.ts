import { BackendError, ConfigError, DTypeError, FormatError, SeqlabError, ShapeError } from '@seqlab/tensor';
import {
  type CallMessage,
  isProtocolMessage,
  type JobMessage,
  type SentError,
  type WorkerEndpoint,
} from './protocol';
import type { Job, WorkerMethods } from './serve-worker';

/** A method's input type. */
export type WorkerInput<F> = F extends (input: infer I, ...rest: never[]) => unknown ? I : never;
/** A method's progress type (what it passes to `job.progress`). */
export type WorkerProgress<F> = F extends (input: never, job: Job<infer P>) => unknown ? P : never;
/** A method's result type. */
export type WorkerResult<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

/** Options of one call. */
export interface CallOptions<P> {
  /** Receives every value the method passes to `job.progress`, in order. */
  onProgress?: (value: P) => void;
  /**
   * Stops the job when it aborts: the Worker's `job.signal` aborts, and the call resolves with
   * what the method returns then (a stop is not an error: a training job returns the model so far).
   */
  signal?: AbortSignal;
}

/** The page's side of a Worker that `serveWorker` serves. */
export interface WorkerClient<M extends WorkerMethods> {
  /**
   * Runs `method` in the Worker with `input`; resolves with its result, or rejects with its error
   * (a SeqlabError keeps its class: a ShapeError in the Worker is a ShapeError here).
   */
  call<K extends keyof M & string>(
    method: K,
    input: WorkerInput<M[K]>,
    options?: CallOptions<WorkerProgress<M[K]>>,
  ): Promise<WorkerResult<M[K]>>;
  /** Stops listening; calls still running reject. Terminates the Worker when it can be. */
  close(): void;
}

const CLASSES: Record<
  string,
  new (
    op: string,
    expected: string,
    actual: string,
    hint?: string,
  ) => SeqlabError
> = {
  ShapeError,
  DTypeError,
  ConfigError,
  BackendError,
  FormatError,
};

/** The error a Worker sent, rebuilt on this side: its class when it is a SeqlabError. */
function received(sent: SentError): Error {
  if (sent.op !== undefined && sent.expected !== undefined && sent.actual !== undefined) {
    const Class = CLASSES[sent.name] ?? SeqlabError;
    const error = new Class(sent.op, sent.expected, sent.actual, sent.hint);
    error.name = sent.name;
    return error;
  }
  const error = new Error(sent.message);
  error.name = sent.name;
  return error;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  onProgress: ((value: unknown) => void) | undefined;
  stop: (() => void) | undefined;
}

/**
 * Connects to a Worker whose script calls `serveWorker`: `call` runs one of its methods, typed
 * by the methods the script exports (`typeof methods`; import it with `import type`, so the
 * Worker's code stays out of the page's bundle).
 *
 * @example
 * ```ts
 * import { connectWorker } from '@seqlab/tensor/worker';
 * import type { TrainWorker } from './train.worker';
 *
 * const worker = connectWorker<TrainWorker>(new Worker(new URL('./train.worker.js', import.meta.url), { type: 'module' }));
 * const stop = new AbortController();
 * stopButton.onclick = () => stop.abort();
 * const { weights } = await worker.call('train', { epochs: 20 }, {
 *   onProgress: ({ epoch, loss }) => (status.textContent = `epoch ${epoch}: loss ${loss.toFixed(4)}`),
 *   signal: stop.signal,
 * });
 * ```
 */
export function connectWorker<M extends WorkerMethods>(
  worker: WorkerEndpoint & { terminate?: () => void },
): WorkerClient<M> {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed = false;

  const listener = (event: { data: unknown }) => {
    const data = event.data;
    if (!isProtocolMessage(data)) return;
    const message = data as JobMessage;
    const job = pending.get(message.id);
    if (!job) return;
    if (message.type === 'progress') {
      job.onProgress?.(message.value);
      return;
    }
    pending.delete(message.id);
    job.stop?.();
    if (message.type === 'done') job.resolve(message.result);
    else job.reject(received(message.error));
  };
  worker.addEventListener('message', listener);
  (worker as { start?: () => void }).start?.();

  return {
    call(method, input, options = {}) {
      if (closed) {
        return Promise.reject(
          new ConfigError('WorkerClient.call', 'an open client', 'one that was closed', 'Connect again'),
        );
      }
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const { signal, onProgress } = options;
        const sendStop = () => worker.postMessage({ seqlab: 1, type: 'stop', id });
        signal?.addEventListener('abort', sendStop, { once: true });
        pending.set(id, {
          resolve: resolve as (result: unknown) => void,
          reject,
          onProgress: onProgress as ((value: unknown) => void) | undefined,
          stop: signal ? () => signal.removeEventListener('abort', sendStop) : undefined,
        });
        const call: CallMessage = { seqlab: 1, type: 'call', id, method, input };
        worker.postMessage(call);
        if (signal?.aborted) sendStop();
      });
    },
    close() {
      closed = true;
      worker.removeEventListener('message', listener);
      for (const [id, job] of pending) {
        job.stop?.();
        job.reject(new ConfigError('WorkerClient.call', 'a result', `a client closed while job ${id} ran`));
      }
      pending.clear();
      worker.terminate?.();
    },
  };
}
