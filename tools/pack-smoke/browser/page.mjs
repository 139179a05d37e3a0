// The page side of the Worker (tools/pack-smoke/browser-bundle.slow.test.ts): runs a method in a
// new Worker with @seqlab/tensor/worker, collects its progress, and stops it after `stopAfter`
// progress values.
import { connectWorker } from '@seqlab/tensor/worker';

export async function inWorker(method, input, { stopAfter } = {}) {
  const worker = connectWorker(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
  const stop = new AbortController();
  const progress = [];
  try {
    const result = await worker.call(method, input, {
      signal: stop.signal,
      onProgress: (value) => {
        progress.push(value);
        if (progress.length === stopAfter) stop.abort();
      },
    });
    return { result, progress };
  } catch (error) {
    return { error: `${error.name}: ${error.message}`, progress };
  } finally {
    worker.close();
  }
}
