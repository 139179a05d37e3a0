// @seqlab/tensor/worker over a MessageChannel (the two ends a page and its Worker hold; in a real
// Worker in headless Chromium: tools/pack-smoke/browser-bundle.slow.test.ts): a training loop that
// reports progress and stops when asked, errors that keep their class, unknown methods, close.
import {
  ConfigError,
  manualSeed,
  matmul,
  noGrad,
  randn,
  ShapeError,
  type Tensor,
  tensor,
} from '@seqlab/tensor';
import { connectWorker, type Job, serveWorker } from '@seqlab/tensor/worker';
import { afterEach, describe, expect, test } from 'vitest';

/** Least squares by gradient descent: y = x @ w, w [3, 1] learned from 16 samples. */
function regression() {
  manualSeed(3);
  const x = randn([16, 3]);
  const y = matmul(x, tensor([[1.5], [-2], [0.5]]));
  const w = tensor([[0], [0], [0]], { requiresGrad: true });
  const step = () => {
    const loss = matmul(x, w).sub(y).pow(2).mean();
    loss.backward();
    noGrad(() => {
      w.data.set(w.sub((w.grad as Tensor).mul(0.1)).data);
    });
    w.grad = null;
    return loss.item();
  };
  return { w, step };
}

const methods = {
  async train(input: { steps: number }, job: Job<{ step: number; loss: number }>) {
    const { w, step } = regression();
    let done = 0;
    while (done < input.steps && !job.signal.aborted) {
      const loss = step();
      done++;
      await job.progress({ step: done, loss });
    }
    return { steps: done, w: Array.from(w.data) };
  },
  shapes(input: { a: number[]; b: number[] }) {
    return matmul(randn(input.a), randn(input.b)).shape;
  },
  fails() {
    throw new TypeError('not a number');
  },
};

let ports: MessagePort[] = [];
afterEach(() => {
  for (const port of ports) port.close();
  ports = [];
});

/** A served `methods` at one end of a channel, and its client at the other. */
function connected() {
  const channel = new MessageChannel();
  ports.push(channel.port1, channel.port2);
  serveWorker(methods, channel.port1);
  return connectWorker<typeof methods>(channel.port2);
}

describe('serveWorker and connectWorker', () => {
  test('a training job posts its progress in order and resolves with its result', async () => {
    const worker = connected();
    const seen: { step: number; loss: number }[] = [];
    const result = await worker.call('train', { steps: 60 }, { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(seen[59]!.loss).toBeLessThan(seen[0]!.loss / 100);
    expect(result.steps).toBe(60);
    // The same numbers as the loop run here, on this thread.
    const here = regression();
    for (let i = 0; i < 60; i++) here.step();
    expect(result.w).toEqual(Array.from(here.w.data));
  });

  test('aborting the signal stops the job, which resolves with what it has', async () => {
    const worker = connected();
    const stop = new AbortController();
    const result = await worker.call(
      'train',
      { steps: 10_000 },
      { onProgress: (p) => p.step === 5 && stop.abort(), signal: stop.signal },
    );
    expect(result.steps).toBeGreaterThanOrEqual(5);
    expect(result.steps).toBeLessThan(20);
  });

  test('a signal aborted before the call stops the job at its first progress', async () => {
    const worker = connected();
    const result = await worker.call('train', { steps: 100 }, { signal: AbortSignal.abort() });
    expect(result.steps).toBe(1);
  });

  test('errors keep their class and message; other errors their name', async () => {
    const worker = connected();
    expect(await worker.call('shapes', { a: [2, 3], b: [3, 4] })).toEqual([2, 4]);
    const error = await worker.call('shapes', { a: [2, 3], b: [5, 4] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShapeError);
    const local = (() => {
      try {
        matmul(randn([2, 3]), randn([5, 4]));
      } catch (e) {
        return e as Error;
      }
    })();
    expect((error as Error).message).toBe(local?.message);
    await expect(worker.call('fails', undefined)).rejects.toMatchObject({
      name: 'TypeError',
      message: 'not a number',
    });
  });

  test('an unknown method is a ConfigError naming the methods served', async () => {
    const worker = connected();
    // @ts-expect-error: not a method of the Worker
    const error = await worker.call('predict', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe("serveWorker: expected one of train, shapes, fails, got 'predict'");
  });

  test('close rejects the calls still running, and later calls', async () => {
    const worker = connected();
    const running = worker.call('train', { steps: 10_000 });
    worker.close();
    await expect(running).rejects.toThrow(
      /WorkerClient.call: expected a result, got a client closed while job 1 ran/,
    );
    await expect(worker.call('train', { steps: 1 })).rejects.toThrow(ConfigError);
  });
});
