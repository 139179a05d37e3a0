// End-to-end: a checkpoint written by an earlier seqlab (fixtures/run-1841ab3, before the
// optimizer's state dict held tensors) resumes with this one and ends exactly like the same run
// trained here without a break: Adam's moments from its optimizer.<id>.safetensors load bit for bit.
import { createHash } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors, tensor } from '@seqlab/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixture,
  readJsonFile,
  readJsonLines,
  readWeights,
  requireBuiltCli,
  runCli,
  TempDirs,
} from './cli-harness';

const temp = new TempDirs();
beforeAll(requireBuiltCli);
afterAll(() => temp.cleanup());

/** The command that wrote the fixture (see fixtures/README.md), without --out. */
// On the js backend, whose numbers do not move when a faster backend's kernels change (the native
// backend's activations did after 1841ab3): the fixture was written with SEQLAB_BACKEND=js too.
const JS = { env: { SEQLAB_BACKEND: 'js' } };
const CONFIG = ['--train', fixture('topics.csv'), '--hidden', '4', '--embed', '4', '--epochs', '2'];
CONFIG.push('--max-len', '12', '--batch-size', '8', '--seed', '3');

/** A copy of fixtures/run-1841ab3 at `run`, with its paths put back (see fixtures/README.md). */
async function copyFixture(run: string): Promise<string> {
  await cp(fixture('run-1841ab3'), run, { recursive: true });
  for (const name of ['config.json', 'data.json']) {
    const text = await readFile(join(run, name), 'utf8');
    await writeFile(
      join(run, name),
      text.replaceAll('$FIXTURES/', fixture('')).replaceAll('"$RUN"', JSON.stringify(run)),
    );
  }
  return run;
}

/** Metrics, history and steps without wall times, and the final weights. */
async function outcome(dir: string) {
  const { seconds: _, ...metrics } = await readJsonFile<Record<string, unknown>>(join(dir, 'metrics.json'));
  const history = (await readJsonLines<Record<string, number>>(join(dir, 'history.jsonl'))).map(
    ({ seconds: _s, tokens_per_s: _t, ...h }) => h,
  );
  const steps = await readJsonLines(join(dir, 'steps.jsonl'));
  return { metrics, history, steps, weights: await readWeights(join(dir, 'model.safetensors')) };
}

describe('seqlab train --resume: a checkpoint of an earlier version', () => {
  it('resumes the run of fixtures/run-1841ab3 and ends like the uninterrupted run', async () => {
    const root = await temp.make();
    const full = join(root, 'full');
    const a = await runCli(['--quiet', 'train', ...CONFIG, '--out', full], JS);
    expect(a.code, a.stderr).toBe(0);

    const run = await copyFixture(join(root, 'earlier'));
    const state = await readJsonFile<{ optimizer: { state: Record<string, { step: number }> } }>(
      join(run, 'checkpoint/state.json'),
    );
    expect(state.optimizer.state['0'].step).toBe(8);
    const b = await runCli(['train', '--resume', run], JS);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain('resuming after epoch 1');
    expect(await outcome(run)).toEqual(await outcome(full));
  });

  it('an optimizer file with a float64 buffer (its hash recorded) is a FormatError naming the file', async () => {
    const run = await copyFixture(join(await temp.make(), 'wide'));
    const statePath = join(run, 'checkpoint/state.json');
    const state = await readJsonFile<{
      files: { optimizer: { name: string; bytes: number; sha256: string } };
    }>(statePath);
    const file = join(run, 'checkpoint', state.files.optimizer.name);
    const buffers = loadSafetensors(await readFile(file)).tensors;
    const m = buffers.get('state.0.exp_avg');
    if (!m) throw new Error('no state.0.exp_avg in the fixture');
    buffers.set('state.0.exp_avg', tensor(m.data, { shape: m.shape, dtype: 'float64' }));
    const bytes = saveSafetensors(buffers);
    await writeFile(file, bytes);
    state.files.optimizer.bytes = bytes.length;
    state.files.optimizer.sha256 = createHash('sha256').update(bytes).digest('hex');
    await writeFile(statePath, JSON.stringify(state));
    const r = await runCli(['train', '--resume', run], JS);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `--resume: expected ${file} to hold the optimizer state of config.json's model: state["0"].exp_avg of dtype float32 (the parameter's), got float64`,
    );
  });
});
