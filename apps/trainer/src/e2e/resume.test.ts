// End-to-end: Ctrl-C in the middle of an epoch writes a checkpoint and exits 130, and
// `seqlab train --resume DIR` then ends with exactly the metrics, history and weights of the same
// run left uninterrupted.
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  fixture,
  readJsonFile,
  readJsonLines,
  readWeights,
  requireBuiltCli,
  runCli,
  spawnCli,
  TempDirs,
} from './cli-harness';

const temp = new TempDirs();
beforeAll(requireBuiltCli);
afterAll(() => temp.cleanup());

// Big enough that a batch takes a few ms and an epoch is 32 batches (63 train examples, batches of
// 2), with two stacked layers so that dropout draws from the random generator the checkpoint must
// restore, and a per-batch learning-rate schedule (OneCycleLR) whose state it must restore too.
// SIGINT goes out at batch 4 of epoch 2, leaving 28 batches for it to arrive mid-epoch.
const CONFIG = [
  '--train',
  'topics.csv',
  '--model',
  'lstm',
  '--layers',
  '2',
  '--dropout',
  '0.3',
  '--hidden',
  '16',
  '--embed',
  '8',
  '--epochs',
  '3',
  '--max-len',
  '20',
  '--batch-size',
  '2',
  '--patience',
  '5',
  '--seed',
  '7',
  '--scheduler',
  'onecycle',
];
const BATCHES = 32;

interface State {
  type: string;
  epochsDone: number;
  finished: boolean;
  history: unknown[];
  partial: { epoch: number; batchesDone: number } | null;
}

/** What must be equal between the uninterrupted and the resumed run. */
async function outcome(dir: string) {
  const metrics = await readJsonFile<Record<string, unknown>>(join(dir, 'metrics.json'));
  const { seconds: _, ...rest } = metrics;
  const history = (await readJsonLines<Record<string, number>>(join(dir, 'history.jsonl'))).map(
    ({ seconds: _s, tokens_per_s: _t, ...h }) => h,
  );
  return { metrics: rest, history, weights: await readWeights(join(dir, 'model.safetensors')) };
}

describe('seqlab train: Ctrl-C and --resume', () => {
  it('an interrupted run resumed with --resume ends exactly like the uninterrupted run', async () => {
    const root = await temp.make();
    const cwd = fixture('.');

    // (1) The reference: the same configuration, run to the end.
    const full = join(root, 'full');
    const a = await runCli(['--quiet', 'train', ...CONFIG, '--out', full], { cwd });
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);

    // (2) The same run, with SIGINT at the first progress line of epoch 2.
    const cut = join(root, 'cut');
    const child = spawnCli(['train', ...CONFIG, '--out', cut], { cwd });
    let seen = '';
    let sent = false;
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (!sent && /^epoch 2\/3 \d+\/32 batches/m.test(seen)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const b = await collect(child);
    expect(sent).toBe(true);
    expect(b.signal).toBeNull();
    expect(b.code).toBe(130);
    expect(b.stderr).toContain('Ctrl-C: finishing the current step, then writing a checkpoint');
    expect(b.stdout).toContain(
      `interrupted: checkpoint written. Continue with: seqlab train --resume ${cut}`,
    );
    expect(b.stdout).not.toContain('test accuracy');

    // It stopped inside epoch 2, not at its end: a partial epoch is in the checkpoint.
    const state = await readJsonFile<State>(join(cut, 'checkpoint/state.json'));
    expect(state.type).toBe('seqlab.TrainState');
    expect(state.finished).toBe(false);
    expect(state.epochsDone).toBe(1);
    expect(state.history).toHaveLength(1);
    expect(state.partial).not.toBeNull();
    expect(state.partial?.epoch).toBe(1);
    expect(state.partial?.batchesDone).toBeGreaterThanOrEqual(4);
    expect(state.partial?.batchesDone).toBeLessThan(BATCHES);
    // Nothing of a finished run yet.
    await expect(readFile(join(cut, 'metrics.json'))).rejects.toThrow(/ENOENT/);

    // (3) Resume from another working directory: the run directory alone must be enough.
    const c = await runCli(['train', '--resume', cut], { cwd: root });
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('resuming after epoch 1');
    expect(c.stdout).toMatch(new RegExp(`^epoch 2/3 \\d+/${BATCHES} batches`, 'm'));
    expect(c.stdout).not.toMatch(/^epoch 1\/3/m);

    const [A, B] = [await outcome(full), await outcome(cut)];
    expect(B.history).toHaveLength(3);
    expect(B.history).toEqual(A.history);
    expect(B.metrics).toEqual(A.metrics);
    expect(B.weights).toEqual(A.weights);
  });

  it('--resume of a finished run re-evaluates the best weights and changes nothing', async () => {
    const root = await temp.make();
    const done = join(root, 'done');
    const args = ['--quiet', 'train', '--train', fixture('topics.csv'), '--hidden', '8', '--embed', '8'];
    const first = await runCli([
      ...args,
      '--epochs',
      '2',
      '--max-len',
      '20',
      '--batch-size',
      '16',
      '--out',
      done,
    ]);
    expect(first.code).toBe(0);
    const before = await outcome(done);
    const copy = join(root, 'copy');
    await cp(done, copy, { recursive: true });
    const r = await runCli(['train', '--resume', copy]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('this run had already finished; re-evaluating the best weights');
    expect(r.stdout).not.toContain('batches');
    expect(await outcome(copy)).toEqual(before);
  });
});
