// @seqlab/tensor/worker: training and inference in a Web Worker, so the page stays responsive. The
// Worker's script serves methods (`serveWorker`); the page calls them (`connectWorker`), gets
// progress values as they come and can stop a job (see NOTE(worker-protocol)). The pattern, step
// by step: apps/docs/guides/responsive-page.md.

export type { CallOptions, WorkerClient, WorkerInput, WorkerProgress, WorkerResult } from './connect-worker';
export { connectWorker } from './connect-worker';
export type { WorkerEndpoint } from './protocol';
export type { Job, WorkerMethod, WorkerMethods } from './serve-worker';
export { serveWorker } from './serve-worker';
