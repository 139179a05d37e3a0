// The Worker of the headless-Chromium test (tools/pack-smoke/browser-bundle.slow.test.ts): serves
// the LSTM forward and the training loop with @seqlab/tensor/worker.
import { serveWorker } from '@seqlab/tensor/worker';
import { lstmForward, readyWasm } from './lstm-forward.mjs';
import { train } from './training.mjs';

serveWorker({ lstmForward, readyWasm, train });
