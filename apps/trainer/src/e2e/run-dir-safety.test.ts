// End-to-end: a run directory is never mixed with another run or other data. `--resume` refuses
// data that differs from what the run recorded (unless --allow-data-change), a new run refuses an
// --out that holds a run (unless --overwrite, which removes only seqlab's files), and what a killed
// process left behind is removed at the next start.
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, fixture, readJsonFile, requireBuiltCli, runCli, TempDirs } from './cli-harness';

const temp = new TempDirs();
beforeAll(requireBuiltCli);
afterAll(() => temp.cleanup());

const TINY = ['--hidden', '6', '--embed', '6', '--epochs', '2', '--max-len', '12', '--batch-size', '16'];

function expectUserError(r: CliResult, ...fragments: string[]): string {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const line = r.stderr.trim();
  expect(line.split('\n')).toHaveLength(1);
  for (const f of fragments) expect(line).toContain(f);
  return line;
}

const modelBytes = (dir: string) => readFile(join(dir, 'model.safetensors'));

/** A copy of topics.csv in a fresh directory, and a finished run on it. */
async function runOnCopy(): Promise<{ data: string; run: string }> {
  const root = await temp.make();
  const data = join(root, 'data.csv');
  await copyFile(fixture('topics.csv'), data);
  const run = join(root, 'run');
  const r = await runCli(['--quiet', 'train', '--train', data, ...TINY, '--out', run]);
  expect(r.code).toBe(0);
  return { data, run };
}

describe('seqlab train --resume: the data must be the run’s', () => {
  it('an edited file with a new label is refused, even with --allow-data-change', async () => {
    const { data, run } = await runOnCopy();
    const recorded = await readFile(join(run, 'data.json'), 'utf8');
    const text = await readFile(data, 'utf8');
    await writeFile(data, text.replace(/,food\n/, ',cooking\n'));
    expectUserError(
      await runCli(['train', '--resume', run]),
      'train --resume: expected the data the run was trained on',
      `--train file ${data} changed`,
      'labels added: "cooking"',
      'Pass --allow-data-change',
    );
    // The model has one output per label of the run: a new label cannot be trained.
    expectUserError(
      await runCli(['train', '--resume', run, '--allow-data-change']),
      'only the run\'s labels ("sports", "food", "weather")',
      '"cooking"',
    );
    expect(await readFile(join(run, 'data.json'), 'utf8')).toBe(recorded);
  });

  it('reordered labels are refused; --allow-data-change continues with the run’s label order', async () => {
    const { data, run } = await runOnCopy();
    const labelsBefore = await readFile(join(run, 'labels.json'), 'utf8');
    // Swap the first two rows: food now comes before sports, so the labels are numbered differently.
    const [header, first, second, ...rest] = (await readFile(data, 'utf8')).split('\n');
    expect([first, second].map((l) => l.split(',').at(-1))).toEqual(['sports', 'food']);
    await writeFile(data, [header, second, first, ...rest].join('\n'));

    expectUserError(
      await runCli(['train', '--resume', run]),
      `--train file ${data} changed`,
      'labels reordered: "sports", "food", "weather" → "food", "sports", "weather"',
    );
    const r = await runCli(['train', '--resume', run, '--allow-data-change']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: --allow-data-change: continuing on changed data');
    // The run keeps its classes: labels.json as it was, metrics in the run's label order.
    expect(await readFile(join(run, 'labels.json'), 'utf8')).toBe(labelsBefore);
    const metrics = await readJsonFile<{ test: { labels: string[] } }>(join(run, 'metrics.json'));
    expect(metrics.test.labels).toEqual(['sports', 'food', 'weather']);
    // The accepted data is recorded: the next resume checks against it and passes.
    const again = await runCli(['--quiet', 'train', '--resume', run]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  });

  it('a run without data.json is refused; --allow-data-change resumes it and records the data', async () => {
    const { run } = await runOnCopy();
    const recorded = await readFile(join(run, 'data.json'), 'utf8');
    await rm(join(run, 'data.json'));
    expectUserError(
      await runCli(['train', '--resume', run]),
      `train --resume: expected the run's record of its data, ${join(run, 'data.json')}, got none`,
      'Pass --allow-data-change to resume without the check',
    );
    const r = await runCli(['--quiet', 'train', '--resume', run, '--allow-data-change']);
    expect(r.code).toBe(0);
    expect(await readFile(join(run, 'data.json'), 'utf8')).toBe(recorded);
  });

  it('--allow-data-change without --resume, and --overwrite with it, are configuration errors', async () => {
    expectUserError(
      await runCli(['train', '--train', fixture('topics.csv'), '--allow-data-change']),
      'train --allow-data-change: expected --resume with it',
    );
    expectUserError(
      await runCli(['train', '--resume', await temp.make(), '--overwrite']),
      'train --resume: expected no --overwrite',
    );
  });
});

describe('seqlab train --out: never on top of another run', () => {
  it('refuses a directory holding a run; --overwrite replaces it, as if the directory were new', async () => {
    const { run } = await runOnCopy();
    const other = ['--quiet', 'train', '--train', fixture('topics.csv'), ...TINY, '--seed', '5'];
    const before = await modelBytes(run);
    expectUserError(
      await runCli([...other, '--out', run]),
      `train: expected a new or empty --out directory, got ${run}, which holds a finished seqlab run`,
      'Pass --overwrite to replace it',
    );
    expect(await modelBytes(run)).toEqual(before);

    // A file seqlab did not write is never deleted: refused even with --overwrite.
    await writeFile(join(run, 'notes.txt'), 'mine');
    expectUserError(
      await runCli([...other, '--out', run, '--overwrite']),
      'which holds notes.txt',
      'choose another --out',
    );
    expect(await readFile(join(run, 'notes.txt'), 'utf8')).toBe('mine');
    expect(await modelBytes(run)).toEqual(before);

    await rm(join(run, 'notes.txt'));
    const r = await runCli([...other, '--out', run, '--overwrite']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const fresh = join(await temp.make(), 'fresh');
    expect((await runCli([...other, '--out', fresh])).code).toBe(0);
    expect(await modelBytes(run)).toEqual(await modelBytes(fresh));
    expect((await readdir(join(run, 'checkpoint'))).length).toBe(4); // state.json and its three files
  });

  it('an --overwrite run killed before its first checkpoint resumes from epoch 1, not from the old run', async () => {
    const { run } = await runOnCopy();
    const root = await temp.make();
    const [traced, killed] = [join(root, 'traced'), join(root, 'killed')];
    await cp(run, traced, { recursive: true });
    await cp(run, killed, { recursive: true });
    const other = [
      '--quiet',
      'train',
      '--train',
      fixture('topics.csv'),
      ...TINY,
      '--seed',
      '9',
      '--overwrite',
    ];
    const t = await runCli([...other, '--out', traced], { env: { SEQLAB_TEST_FAULT_TRACE: '1' } });
    expect(t.code).toBe(0);
    const step = /^seqlab-test-fault-point (\d+) checkpoint\//m.exec(t.stderr)?.[1];
    expect(step).toBeDefined();
    const k = await runCli([...other, '--out', killed], { env: { SEQLAB_TEST_KILL_AT: String(step) } });
    expect(k.signal).toBe('SIGKILL');
    // The old run's checkpoint is gone: only the new run's config, and no checkpoint yet.
    expect(existsSync(join(killed, 'checkpoint/state.json'))).toBe(false);
    const r = await runCli(['train', '--resume', killed]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no checkpoint yet: starting from epoch 1');
    expect(await modelBytes(killed)).toEqual(await modelBytes(traced));
  });

  it('reuses without --overwrite a directory that a run killed before it started left', async () => {
    const dir = join(await temp.make(), 'run');
    await mkdir(join(dir, 'checkpoint'), { recursive: true });
    await writeFile(join(dir, 'tokenizer.json'), '{}');
    await writeFile(join(dir, '.labels.json.0123456789ab.tmp'), '{');
    const r = await runCli(['--quiet', 'train', '--train', fixture('topics.csv'), ...TINY, '--out', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('seqlab train --resume: leftovers of a killed process', () => {
  it('removes temporary files and unnamed checkpoint files, and keeps files seqlab did not write', async () => {
    const { run } = await runOnCopy();
    const leftovers = [
      '.model.safetensors.0123456789ab.tmp',
      '.metrics.json.abcdefabcdef.tmp',
      'checkpoint/.state.json.0123456789ab.tmp',
      'checkpoint/.model.0badcafe.safetensors.0123456789ab.tmp',
      'checkpoint/model.0badcafe.safetensors',
      'checkpoint/optimizer.0badcafe.safetensors',
    ];
    const mine = ['mine.txt', 'checkpoint/notes.txt', '.hidden.tmp'];
    for (const name of [...leftovers, ...mine]) await writeFile(join(run, name), 'x');
    const r = await runCli(['--quiet', 'train', '--resume', run]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const name of leftovers) expect(existsSync(join(run, name)), name).toBe(false);
    for (const name of mine) expect(existsSync(join(run, name)), name).toBe(true);
  });
});
