// The messages between a page and a Worker that `serveWorker` serves (NOTE(worker-protocol)).
//
// NOTE(worker-protocol): the page posts `call` (a job: a method name and its input, under an id it
// chose) and `stop` (that id); the Worker answers with any number of `progress` messages, then one
// `done` (the method's result) or `error`. Every message carries `seqlab: 1`, so the helpers
// ignore the other messages a Worker may exchange. Inputs, progress values and results go through
// the structured clone (plain objects, arrays, typed arrays; no Tensor, no class instance: send
// `tensor.data` and the shape, or a safetensors file's bytes).

/** A job's method, input and id, from the page. */
export interface CallMessage {
  seqlab: 1;
  type: 'call';
  id: number;
  method: string;
  input: unknown;
}

/** Stop the job `id` (its `job.signal` aborts), from the page. */
export interface StopMessage {
  seqlab: 1;
  type: 'stop';
  id: number;
}

/** An error as it crosses to the page: a SeqlabError keeps its class and fields. */
export interface SentError {
  name: string;
  message: string;
  op?: string;
  expected?: string;
  actual?: string;
  hint?: string;
}

/** What the Worker posts about a job. */
export type JobMessage =
  | { seqlab: 1; type: 'progress'; id: number; value: unknown }
  | { seqlab: 1; type: 'done'; id: number; result: unknown }
  | { seqlab: 1; type: 'error'; id: number; error: SentError };

/** The side of a channel the helpers use: a Worker, a Worker's global scope, a MessagePort. */
export interface WorkerEndpoint {
  /** Sends a message to the other side (structured clone). */
  postMessage(message: unknown): void;
  /** Listens for the other side's messages. */
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** Stops listening for the other side's messages. */
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

/** Whether `data` is one of the helpers' messages. */
export function isProtocolMessage(data: unknown): data is { seqlab: 1; type: string; id: number } {
  return typeof data === 'object' && data !== null && (data as { seqlab?: unknown }).seqlab === 1;
}
