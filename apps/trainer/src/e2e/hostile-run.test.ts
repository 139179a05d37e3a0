// End-to-end: run directories and data files someone sent. Each hostile file is refused with ONE
// `error:` line naming the file, exit code 2, in well under the child's timeout: no stack overflow
// (exit 1), no regex that backtracks for minutes, no 13 GB model built from a 577-byte config.json.
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, fixture, requireBuiltCli, runCli, TempDirs, TINY } from './cli-harness';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

/** Exit code 2 and exactly one `error: ` line on stderr holding every fragment. */
function expectUserError(r: CliResult, ...fragments: string[]): string {
  expect(r.code, `stderr: ${r.stderr}`).toBe(2);
  const stderr = r.stderr.replace(/\n$/, '');
  expect(stderr.split('\n'), stderr).toHaveLength(1);
  expect(stderr.startsWith('error: ')).toBe(true);
  for (const f of fragments) expect(stderr).toContain(f);
  return stderr;
}

const deep = (n: number) => `{"a": ${'['.repeat(n)}${']'.repeat(n)}}`;

let run: string;
beforeAll(async () => {
  requireBuiltCli();
  run = join(await temp.make(), 'run');
  const r = await runCli([
    '--quiet',
    'train',
    '--train',
    fixture('topics.csv'),
    ...TINY,
    '--epochs',
    '1',
    '--tokenizer',
    'bpe',
    '--out',
    run,
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});

/** A copy of the trained run with one file replaced (`null`: a directory in its place). */
async function broken(file: string, content: string | null): Promise<string> {
  const dir = join(await temp.make(), 'run');
  await cp(run, dir, { recursive: true });
  if (content === null) {
    await rm(join(dir, file));
    await mkdir(join(dir, file));
  } else {
    await writeFile(join(dir, file), content);
  }
  return dir;
}

const predict = (dir: string, text = 'the team scored a goal') => ['predict', '--run', dir, text];

describe.concurrent('hostile run directories (predict, eval, train --resume)', () => {
  it('a tokenizer.json whose BPE pattern backtracks exponentially', async () => {
    const json = JSON.parse(await readFile(join(run, 'tokenizer.json'), 'utf8'));
    expect(json.bpe.pattern).toBe('gpt2');
    const dir = await broken(
      'tokenizer.json',
      JSON.stringify({ ...json, bpe: { ...json.bpe, pattern: '(a+)+b|\\S+' } }),
    );
    expectUserError(
      await runCli(predict(dir, 'a'.repeat(40))),
      'expected pattern to be the name of a built-in pattern',
      join(dir, 'tokenizer.json'),
    );
  });

  it.each(['config.json', 'tokenizer.json', 'labels.json'])('%s nested 5,000 deep', async (file) => {
    const dir = await broken(file, deep(5000));
    expectUserError(
      await runCli(predict(dir)),
      `expected JSON nested at most 128 deep in ${join(dir, file)}`,
    );
  });

  it('a 577-byte config.json implying a 13 GB model (predict and train --resume)', async () => {
    const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
    const huge = JSON.stringify({ ...config, hidden: 4096, embed: 4096, layers: 8, bidirectional: true });
    const dir = await broken('config.json', huge);
    expectUserError(
      await runCli(predict(dir)),
      `${join(dir, 'model.safetensors')} to hold the model of config.json`,
      'missing lstm.weight_ih_l1',
    );
    // The checkpoint's weights are the file its state.json names (checkpoint/model.<id>.safetensors).
    const resumed = expectUserError(await runCli(['train', '--resume', dir]), 'missing lstm.weight_ih_l1');
    expect(resumed).toMatch(
      /--resume: expected \S+\/checkpoint\/model\.[0-9a-f]+\.safetensors to hold the model of config\.json/,
    );
  });

  it('labels.json: null, and a map that swaps two classes', async () => {
    expectUserError(
      await runCli(predict(await broken('labels.json', 'null'))),
      'labels.json written by seqlab train',
    );
    const labels = JSON.parse(await readFile(join(run, 'labels.json'), 'utf8'));
    const [a, b] = labels.names;
    const swapped = { ...labels, map: { ...labels.map, ids: { ...labels.map.ids, [a]: 1, [b]: 0 } } };
    const dir = await broken('labels.json', JSON.stringify(swapped));
    expectUserError(
      await runCli(['eval', '--run', dir, '--data', fixture('topics.csv')]),
      `map.ids["${a}"]: expected 0`,
      join(dir, 'labels.json'),
    );
  });

  it('a directory where model.safetensors or labels.json should be names the path', async () => {
    const model = await broken('model.safetensors', null);
    expectUserError(
      await runCli(predict(model)),
      `${join(model, 'model.safetensors')} (EISDIR: a directory)`,
    );
    const labels = await broken('labels.json', null);
    expectUserError(await runCli(predict(labels)), join(labels, 'labels.json'), 'EISDIR');
  });
});

describe.concurrent('hostile data and config files', () => {
  it('eval --data: a JSONL line nested 5,000 deep names the line', async () => {
    const data = join(await temp.make(), 'deep.jsonl');
    await writeFile(
      data,
      `{"text": "goal", "label": "sports"}\n{"text": ${'['.repeat(5000)}${']'.repeat(5000)}, "label": "sports"}\n`,
    );
    expectUserError(
      await runCli(['eval', '--run', run, '--data', data]),
      `nested at most 128 deep at ${data}:2`,
    );
  });

  it('eval --data: a directory names the path', async () => {
    const data = join(await temp.make(), 'data.csv');
    await mkdir(data);
    expectUserError(await runCli(['eval', '--run', run, '--data', data]), `${data} (EISDIR: a directory)`);
  });

  it('train --config nested 5,000 deep', async () => {
    const config = join(await temp.make(), 'deep.json');
    await writeFile(config, deep(5000));
    expectUserError(
      await runCli(['train', '--config', config]),
      `--config: expected JSON nested at most 128 deep in ${config}`,
    );
  });
});
