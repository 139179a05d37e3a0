// End-to-end: a checkpoint written by an earlier seqlab (fixtures/run-1841ab3, before the
// optimizer's state dict held tensors) resumes with this one and ends exactly like the same run
// trained here without a break: Adam's moments from its optimizer.<id>.safetensors load bit for bit.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
const CONFIG = ['--train', fixture('topics.csv'), '--hidden', '4', '--embed', '4', '--epochs', '2'];
CONFIG.push('--max-len', '12', '--batch-size', '8', '--seed', '3');

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
    const a = await runCli(['--quiet', 'train', ...CONFIG, '--out', full]);
    expect(a.code, a.stderr).toBe(0);

    const run = join(root, 'earlier');
    await cp(fixture('run-1841ab3'), run, { recursive: true });
    for (const name of ['config.json', 'data.json']) {
      const text = await readFile(join(run, name), 'utf8');
      await writeFile(
        join(run, name),
        text.replaceAll('$FIXTURES/', fixture('')).replaceAll('"$RUN"', JSON.stringify(run)),
      );
    }
    const state = await readJsonFile<{ optimizer: { state: Record<string, { step: number }> } }>(
      join(run, 'checkpoint/state.json'),
    );
    expect(state.optimizer.state['0'].step).toBe(8);
    const b = await runCli(['train', '--resume', run]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain('resuming after epoch 1');
    expect(await outcome(run)).toEqual(await outcome(full));
  });
});
