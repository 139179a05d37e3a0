import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EarlyStopping } from '@seqlab/metrics';
import { defaultGenerator, FormatError, type Tensor, tensor } from '@seqlab/tensor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CheckpointState, cleanCheckpointDir, readCheckpoint, writeCheckpoint } from './checkpoint';
import { parseTrainConfig } from './config';

const config = parseTrainConfig({ epochs: 3 });
let run: string;
beforeEach(async () => {
  run = await mkdtemp(join(tmpdir(), 'seqlab-checkpoint-'));
  await mkdir(join(run, 'checkpoint'));
});
afterEach(() => rm(run, { recursive: true, force: true }));

const weights = (x: number): Map<string, Tensor> =>
  new Map([['fc.weight', tensor(new Float32Array([x, x + 1, x + 2, x + 3]), { shape: [2, 2] })]]);

const state = (epochsDone: number): CheckpointState => ({
  type: 'seqlab.TrainState',
  epochsDone,
  finished: false,
  history: Array.from({ length: epochsDone }, (_, i) => ({
    epoch: i + 1,
    train_loss: 1,
    valid_loss: 1,
    valid_accuracy: 0.5,
    valid_macro_f1: 0.5,
    grad_norm: 0.1,
    lr: 0.002,
    seconds: 1,
    tokens_per_s: 100,
  })),
  steps: Array.from({ length: epochsDone * 2 }, (_, i) => ({
    step: i + 1,
    epoch: (i + 1) / 2,
    loss: 1,
    loss_ema: 1,
    lr: 0.002,
  })),
  optimizer: { optimizer: 'Adam', state: {}, param_groups: [{ params: [0] }] },
  scheduler: null,
  earlyStopping: new EarlyStopping({ mode: 'max', patience: 2 }).stateDict(),
  rng: defaultGenerator().getState(),
  partial: null,
});

const ls = async () => (await readdir(join(run, 'checkpoint'))).sort();

describe('writeCheckpoint / readCheckpoint', () => {
  it('commits with state.json, then removes the previous files; the best weights carry over', async () => {
    const first = await writeCheckpoint(
      run,
      { model: weights(1), optimizer: weights(2), best: weights(1) },
      state(1),
      null,
    );
    const second = await writeCheckpoint(
      run,
      { model: weights(3), optimizer: weights(4), best: null },
      state(2),
      first,
    );
    expect(second.best).toEqual(first.best);
    expect(second.model.name).not.toBe(first.model.name);
    expect(await ls()).toEqual(
      ['state.json', second.model.name, second.optimizer.name, second.best?.name ?? ''].sort(),
    );
    const read = await readCheckpoint(run, config);
    expect(read?.epochsDone).toBe(2);
    expect(read?.files).toEqual(second);
  });

  it('is null when the run has no checkpoint yet', async () => {
    expect(await readCheckpoint(run, config)).toBeNull();
  });

  it('refuses a checkpoint whose named file is missing or changed', async () => {
    const files = await writeCheckpoint(
      run,
      { model: weights(1), optimizer: weights(2), best: weights(1) },
      state(1),
      null,
    );
    const path = join(run, 'checkpoint', files.optimizer.name);
    const bytes = await readFile(path);
    bytes[bytes.length - 1] ^= 1;
    await writeFile(path, bytes);
    await expect(readCheckpoint(run, config)).rejects.toThrow(FormatError);
    await expect(readCheckpoint(run, config)).rejects.toThrow(
      /SHA-256 [0-9a-f]{16}…\), got \d+ bytes, SHA-256 [0-9a-f]{16}…\. The file changed after its checkpoint was written/,
    );
    await rm(path);
    await expect(readCheckpoint(run, config)).rejects.toThrow(`${path}, named by`);
    await expect(readCheckpoint(run, config)).rejects.toThrow('no such file. The checkpoint is incomplete');
  });

  it('refuses a state.json that names a file outside checkpoint/', async () => {
    await writeCheckpoint(
      run,
      { model: weights(1), optimizer: weights(2), best: weights(1) },
      state(1),
      null,
    );
    const path = join(run, 'checkpoint/state.json');
    const json = JSON.parse(await readFile(path, 'utf8'));
    json.files.model.name = '../../etc/passwd';
    await writeFile(path, JSON.stringify(json));
    await expect(readCheckpoint(run, config)).rejects.toThrow(
      'files.model.name: a model.<id>.safetensors name',
    );
  });
});

describe('cleanCheckpointDir', () => {
  it("removes temporary and unnamed weight files, and keeps the checkpoint's and unknown files", async () => {
    const files = await writeCheckpoint(
      run,
      { model: weights(1), optimizer: weights(2), best: weights(1) },
      state(1),
      null,
    );
    const leftovers = [
      '.state.json.0123456789ab.tmp',
      'model.0badcafe.safetensors',
      '.best.0badcafe.safetensors.abcdefabcdef.tmp',
    ];
    for (const name of [...leftovers, 'notes.txt', '.other.0123456789ab.tmp'])
      await writeFile(join(run, 'checkpoint', name), 'x');
    await cleanCheckpointDir(run, files);
    expect(await ls()).toEqual(
      [
        '.other.0123456789ab.tmp',
        'notes.txt',
        'state.json',
        files.model.name,
        files.optimizer.name,
        files.best?.name ?? '',
      ].sort(),
    );
    // With no committed state, every weight file is a leftover.
    await cleanCheckpointDir(run, null);
    expect(await ls()).toEqual(['.other.0123456789ab.tmp', 'notes.txt', 'state.json']);
  });
});
