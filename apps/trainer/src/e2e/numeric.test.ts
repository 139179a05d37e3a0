// End-to-end: numeric faults. A run that diverges stops at the first non-finite loss, gradient or
// weight with one line naming where (epoch, batch, step, parameter), keeps its last good checkpoint
// and exits 2; run directories whose weights hold NaN or Infinity are refused by predict, eval and
// --resume with an error naming the file and the tensor.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tensor } from '@seqlab/tensor';
import { saveSafetensorsFile } from '@seqlab/tensor/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  fixture,
  readJsonFile,
  readWeights,
  requireBuiltCli,
  runCli,
  TempDirs,
  TINY,
} from './cli-harness';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

/** Exit code 2, one `error: ` line on stderr (no stack trace) holding every fragment. */
function expectOneLineError(r: CliResult, ...fragments: (string | RegExp)[]): string {
  expect(r.code, `stderr: ${r.stderr}`).toBe(2);
  // progress lines (stderr when piped) may come first; then the one error line
  const stderr = r.stderr
    .replace(/\n$/, '')
    .split('\n')
    .filter((l) => !/ \d+\/\d+ batches {2}loss /.test(l))
    .join('\n');
  expect(stderr.split('\n'), stderr).toHaveLength(1);
  expect(stderr.startsWith('error: ')).toBe(true);
  for (const f of fragments) {
    if (typeof f === 'string') expect(stderr).toContain(f);
    else expect(stderr).toMatch(f);
  }
  return stderr;
}

interface FileEntry {
  name: string;
  bytes: number;
  sha256: string;
}
interface CheckpointState {
  epochsDone: number;
  finished: boolean;
  files: { model: FileEntry; optimizer: FileEntry; best: FileEntry | null };
}

/** checkpoint/state.json, which names the checkpoint's weight files (see checkpoint.ts). */
const checkpointState = (run: string) => readJsonFile<CheckpointState>(join(run, 'checkpoint/state.json'));

const allFinite = (weights: Map<string, { values: number[] }>) =>
  [...weights.values()].every((w) => w.values.every(Number.isFinite));

// SGD (momentum 0.9) at lr 10 with weight decay 1, both within their ranges: every step multiplies
// the weights by about -9, so the loss reaches 1e12 in epoch 1 and overflows in epoch 2 or 3.
const DIVERGING = [
  '--train',
  fixture('topics.csv'),
  '--hidden',
  '8',
  '--embed',
  '8',
  '--max-len',
  '20',
  '--optimizer',
  'sgd',
  '--lr',
  '10',
  '--weight-decay',
  '1',
  '--batch-size',
  '4',
  '--patience',
  '10',
];

describe('seqlab train: a diverging run stops at the first non-finite value', () => {
  beforeAll(requireBuiltCli);

  it('names the epoch, batch, step and parameter, keeps the last good checkpoint and exits 2', async () => {
    const dir = await temp.make();
    const out = join(dir, 'run');
    const r = await runCli(['train', ...DIVERGING, '--epochs', '6', '--out', out]);
    const line = expectOneLineError(
      r,
      /^error: train: expected (a )?finite [a-z ]+, got (NaN|-?Infinity)/,
      /at epoch \d, batch \d+ of 16 \(step \d+\)/,
      /(embedding|lstm|fc)\.\w+/,
    );
    expect(line).not.toMatch(/TypeError|undefined/);
    // The epoch depends on the backend's rounding (epoch 2 with wasm, 3 with js); step and batch agree.
    const [, epoch, batch, step] = (/at epoch (\d), batch (\d+) of 16 \(step (\d+)\)/.exec(line) ?? []).map(
      Number,
    );
    expect(epoch).toBeGreaterThanOrEqual(2);
    expect(step).toBe((epoch - 1) * 16 + batch);
    expect(line).toContain(`checkpoint/ keeps epoch ${epoch - 1}.`);
    // The epochs before were finite and reported; nothing of the failing one was reported or saved.
    expect(r.stdout).toMatch(new RegExp(`epoch ${epoch - 1}: train loss \\d`));
    expect(r.stdout).not.toMatch(new RegExp(`epoch ${epoch}:|NaN|test accuracy`));
    const state = await checkpointState(out);
    expect(state).toMatchObject({ epochsDone: epoch - 1, finished: false });
    // The checkpoint is the one a run of epoch - 1 epochs writes, byte for byte.
    const ref = join(dir, 'reference');
    const done = await runCli(['train', ...DIVERGING, '--epochs', String(epoch - 1), '--out', ref]);
    expect(done.code, done.stderr).toBe(0);
    const refState = await checkpointState(ref);
    const kept = await readFile(join(out, 'checkpoint', state.files.model.name));
    expect(kept.equals(await readFile(join(ref, 'checkpoint', refState.files.model.name)))).toBe(true);
    expect(allFinite(await readWeights(join(out, 'checkpoint', state.files.model.name)))).toBe(true);
    expect(allFinite(await readWeights(join(out, 'checkpoint', state.files.best?.name ?? '')))).toBe(true);
    for (const file of ['model.safetensors', 'metrics.json'])
      expect(existsSync(join(out, file)), file).toBe(false);
    // The live report of the epochs before no longer says running (nor reloads itself): it says why.
    const report = await readFile(join(out, 'report.html'), 'utf8');
    expect(report).toContain(`<b>stopped after epoch ${epoch - 1} of `);
    expect(report).toContain(`at epoch ${epoch}, batch ${batch} of 16 (step ${step})`);
    expect(report).not.toMatch(/http-equiv="refresh"|running, epoch/);
  });
});

describe.concurrent('run directories whose weights hold NaN or Infinity', () => {
  let good: string;

  beforeAll(async () => {
    requireBuiltCli();
    good = join(await temp.make(), 'run');
    const r = await runCli(['--quiet', 'train', '--train', fixture('topics.csv'), ...TINY, '--out', good]);
    expect(r.code, r.stderr).toBe(0);
  });

  /** A copy of the good run with `value` planted at `index` of tensor `name` in each weights file. */
  async function poisoned(files: string[], name: string, index: number, value: number): Promise<string> {
    const run = join(await temp.make(), 'run');
    await cp(good, run, { recursive: true });
    for (const file of files) {
      const weights = await readWeights(join(run, file));
      const dict = new Map(
        [...weights].map(([k, w]) => {
          const values = [...w.values];
          if (k === name) values[index] = value;
          return [k, tensor(Float32Array.from(values), { shape: w.shape })];
        }),
      );
      await saveSafetensorsFile(join(run, file), dict, { metadata: { format: 'pt' } });
    }
    return run;
  }

  it('predict names the file and the tensor instead of a TypeError', async () => {
    const run = await poisoned(['model.safetensors'], 'lstm.weight_hh_l0', 5, Number.NaN);
    const r = await runCli(['predict', '--run', run, 'the team scored a late goal']);
    const line = expectOneLineError(
      r,
      `--run: expected finite weights in ${join(run, 'model.safetensors')}`,
      'got NaN at element 5 of lstm.weight_hh_l0 [32, 8]',
    );
    expect(line).not.toContain('TypeError');
    expect(r.stdout).toBe('');
  });

  it('eval names an infinite weight', async () => {
    const run = await poisoned(['model.safetensors'], 'fc.bias', 1, -Infinity);
    const r = await runCli(['eval', '--run', run, '--data', fixture('topics.csv')]);
    expectOneLineError(
      r,
      `--run: expected finite weights in ${join(run, 'model.safetensors')}`,
      'got -Infinity at element 1 of fc.bias [3]',
    );
  });

  it('--resume of a finished run that trained on NaN names the tensor, not a crash in the report writer', async () => {
    // What a trainer without the guard left behind: NaN weights, in a checkpoint whose state.json
    // names its files with their sizes and hashes (so only the finite check can refuse them).
    const state = await checkpointState(good);
    const weights = [state.files.model.name, state.files.best?.name ?? ''].map((f) => `checkpoint/${f}`);
    const run = await poisoned(['model.safetensors', ...weights], 'embedding.weight', 0, Number.NaN);
    const statePath = join(run, 'checkpoint/state.json');
    const raw = await readJsonFile<CheckpointState & { history: Record<string, number | null>[] }>(statePath);
    for (const entry of [raw.files.model, raw.files.best]) {
      if (!entry) continue;
      const bytes = await readFile(join(run, 'checkpoint', entry.name));
      entry.bytes = bytes.length;
      entry.sha256 = createHash('sha256').update(bytes).digest('hex');
    }
    await writeFile(statePath, JSON.stringify(raw));
    const r = await runCli(['train', '--resume', run]);
    const line = expectOneLineError(
      r,
      `--resume: expected finite weights in ${join(run, 'checkpoint', state.files.model.name)}`,
      'got NaN at element 0 of embedding.weight [24, 8]',
    );
    expect(line).not.toMatch(/toFixed|TypeError/);
    // Its NaN history (null in JSON) is refused by state.json's schema, before the report writer.
    for (const h of raw.history) for (const key of ['train_loss', 'valid_loss', 'grad_norm']) h[key] = null;
    await writeFile(statePath, JSON.stringify(raw));
    expectOneLineError(
      await runCli(['train', '--resume', run]),
      'history.0.train_loss: expected number (given null)',
    );
  });
});
