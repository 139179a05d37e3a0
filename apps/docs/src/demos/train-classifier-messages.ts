/** The messages between guide 7's demo page and its worker (`train-classifier.worker.ts`). */
import type { DemoOptions, EpochReport } from './train-classifier';

/** Page → worker. */
export type ToWorker =
  | { type: 'train'; url: string; model: DemoOptions['model'] }
  | { type: 'stop' }
  | { type: 'classify'; text: string };

/** Worker → page. */
export type FromWorker =
  | { type: 'started'; backend: string; model: DemoOptions['model']; train: number; test: number }
  | { type: 'progress'; batchesDone: number; batchesTotal: number; epochs: EpochReport[] }
  | { type: 'done'; backend: string; epochs: EpochReport[]; accuracy: number; stopped: boolean; ms: number }
  | { type: 'prediction'; text: string; tokens: string[]; known: boolean[]; probabilities: number[] }
  | { type: 'error'; message: string };
