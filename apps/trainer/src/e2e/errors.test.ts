// End-to-end: errors a user can cause. Each one is ONE line on stderr (`error: …`), no stack trace
// (unless --verbose), exit code 2, and names what was wrong: the file, the column, the option with
// what it expected and what it was given.
import { existsSync } from 'node:fs';
import { copyFile, cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  fixture,
  readJsonFile,
  requireBuiltCli,
  runCli,
  TempDirs,
  TINY,
} from './cli-harness';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

/** Exit code 2, exactly one `error: ` line on stderr, no stack trace, and every fragment in it. */
function expectUserError(r: CliResult, ...fragments: (string | RegExp)[]): string {
  expect(r.code, `stderr: ${r.stderr}`).toBe(2);
  const stderr = r.stderr.replace(/\n$/, '');
  // one line, or (a configuration's problems) one line then one indented line per problem
  const [first, ...problems] = stderr.split('\n');
  expect(first?.startsWith('error: '), stderr).toBe(true);
  for (const line of problems) expect(line, stderr).toMatch(/^ {2}\S/);
  expect(stderr).not.toMatch(/^\s+at /m);
  for (const f of fragments) {
    if (typeof f === 'string') expect(stderr).toContain(f);
    else expect(stderr).toMatch(f);
  }
  return stderr;
}

/** Runs `seqlab train` on `args` into a fresh --out directory; returns the result and the directory. */
async function train(args: string[]): Promise<{ r: CliResult; out: string }> {
  const out = join(await temp.make(), 'run');
  return { r: await runCli(['train', ...args, '--out', out]), out };
}

describe.concurrent('seqlab train: data errors', () => {
  beforeAll(requireBuiltCli);

  it('a missing --train file names the file and leaves no run directory behind', async () => {
    const { r, out } = await train(['--train', fixture('nope.csv'), ...TINY]);
    expectUserError(r, 'no such file', fixture('nope.csv'));
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown text column (CSV) names the column and the header', async () => {
    const { r, out } = await train(['--train', fixture('topics.csv'), '--text-column', 'body', ...TINY]);
    expectUserError(r, 'a column "body"', '["text", "label"]', fixture('topics.csv'));
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown label column (TSV) names the column and the header', async () => {
    const { r } = await train([
      '--train',
      fixture('topics.tsv'),
      '--text-column',
      'sentence',
      '--label-column',
      'label',
      ...TINY,
    ]);
    expectUserError(r, 'a column "label"', '["id", "sentence", "topic"]');
  });

  it('an unknown text or label key (JSONL) names the key, the line and the keys found, with no library hint', async () => {
    const text = await train(['--train', fixture('topics.jsonl'), '--text-column', 'body', ...TINY]);
    const line = expectUserError(
      text.r,
      'a "body" key',
      `${fixture('topics.jsonl')}:1`,
      'keys [id, text, label]',
    );
    // The CLI has no onError option: the reader's hint for library callers must not show.
    expect(line).not.toContain('onError');
    const label = await train(['--train', fixture('topics.jsonl'), '--label-column', 'cls', ...TINY]);
    expectUserError(label.r, 'a "cls" key');
  });

  it('an empty dataset', async () => {
    const { r, out } = await train(['--train', fixture('empty.csv'), ...TINY]);
    expectUserError(r, 'a non-empty train set', '0 examples', fixture('empty.csv'));
    expect(existsSync(out)).toBe(false);
  });

  it('a label column with one class', async () => {
    const { r } = await train(['--train', fixture('one-class.csv'), ...TINY]);
    expectUserError(r, 'at least two classes', 'only food');
  });

  it('a --valid file with a label train never saw', async () => {
    const { r } = await train([
      '--train',
      fixture('topics.csv'),
      '--valid',
      fixture('unknown-label.csv'),
      ...TINY,
    ]);
    const line = expectUserError(
      r,
      `${fixture('unknown-label.csv')}:3`,
      '"cooking"',
      '"sports", "food", "weather"',
    );
    expect(line).not.toContain('onError');
  });

  it('a data file of an unsupported kind', async () => {
    const { r } = await train(['--train', fixture('README.md'), ...TINY]);
    expectUserError(r, '--train', 'a .csv, .tsv or .jsonl file', 'README.md');
  });
});

describe.concurrent('seqlab train: configuration errors', () => {
  beforeAll(requireBuiltCli);

  it('--hidden -3: the path, what was expected and what was given', async () => {
    const { r, out } = await train(['--train', fixture('topics.csv'), ...TINY, '--hidden', '-3']);
    expectUserError(r, '--hidden: expected an integer in [1, 4096] (given -3)');
    expect(existsSync(out)).toBe(false);
  });

  it('--optimizer sgd --weight-decay 1e30 is refused before any work (the range and the value)', async () => {
    const { r, out } = await train([
      '--train',
      fixture('topics.csv'),
      ...TINY,
      '--optimizer',
      'sgd',
      '--weight-decay',
      '1e30',
    ]);
    expectUserError(r, '--weight-decay: expected a number in [0, 1] (given 1e+30)');
    expect(existsSync(out)).toBe(false);
  });

  it('a built-in dataset beside --train, and --valid without --train', async () => {
    const both = await train(['--train', fixture('topics.csv'), ...TINY, '--dataset', 'names']);
    expectUserError(both.r, /dataset: expected no built-in dataset with --train[^;]*\(given "names"\)/);
    expect(existsSync(both.out)).toBe(false);
    const alone = await train(['--valid', fixture('topics.csv'), ...TINY]);
    expectUserError(alone.r, /--valid: expected --train with it/);
  });

  it('--lr abc', async () => {
    const { r } = await train(['--train', fixture('topics.csv'), ...TINY, '--lr', 'abc']);
    expectUserError(r, /lr: expected number[^;]*\(given "abc"\)/);
  });

  it('--model transformer', async () => {
    const { r } = await train(['--train', fixture('topics.csv'), ...TINY, '--model', 'transformer']);
    expectUserError(r, /model: [^;]*expected one of "lstm"\|"gru"\|"rnn"\|"bag" \(given "transformer"\)/);
  });

  it('several bad values are all reported, one per line, named by their flags', async () => {
    const { r } = await train([
      '--train',
      fixture('topics.csv'),
      ...TINY,
      '--hidden',
      '-3',
      '--lr',
      'abc',
      '--model',
      'transformer',
      '--dropout',
      '1.5',
    ]);
    const line = expectUserError(
      r,
      'got 4 problems:',
      '\n  --hidden: expected an integer in [1, 4096] (given -3)',
      '\n  --lr: expected number, received string (given "abc")',
      '\n  --model: ',
      '\n  --dropout: expected a number in [0, 1) (given 1.5)',
    );
    expect(line.split('\n')).toHaveLength(5);
  });

  it('an unknown key in the config file', async () => {
    const dir = await temp.make();
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ train: fixture('topics.csv'), hidden: 8, colour: 'red' }));
    const r = await runCli(['train', '--config', file, '--out', join(dir, 'run')]);
    expectUserError(r, 'unknown option(s) colour');
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('a wrong type in the config file names the key and the value', async () => {
    const dir = await temp.make();
    const file = join(dir, 'config.json');
    await writeFile(
      file,
      JSON.stringify({ train: fixture('topics.csv'), hidden: '8', bidirectional: 'yes' }),
    );
    const r = await runCli(['train', '--config', file, '--out', join(dir, 'run')]);
    expectUserError(
      r,
      /hidden: expected number[^;]*\(given "8"\)/,
      /bidirectional: expected boolean[^;]*\(given "yes"\)/,
    );
  });

  it('a malformed JSON config file', async () => {
    const dir = await temp.make();
    const file = join(dir, 'config.json');
    await writeFile(file, '{"train": "x.csv", "hidden": 8,');
    const r = await runCli(['train', '--config', file, '--out', join(dir, 'run')]);
    expectUserError(r, '--config: expected valid JSON', file);
  });

  it('a config file that is not an object, or is missing', async () => {
    const dir = await temp.make();
    const file = join(dir, 'config.json');
    await writeFile(file, '[1, 2]');
    const out = ['--out', join(dir, 'run')]; // never the default runs/<timestamp>, even if this regresses
    expectUserError(
      await runCli(['train', '--config', file, ...out]),
      'a JSON object of options',
      'an array',
    );
    const missing = join(dir, 'missing.json');
    expectUserError(
      await runCli(['train', '--config', missing, ...out]),
      'a readable JSON file',
      missing,
      'ENOENT',
    );
  });

  it('an unwritable --out (a path under a regular file)', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'file'), 'not a directory');
    const out = join(dir, 'file', 'run');
    const r = await runCli(['train', '--train', fixture('topics.csv'), ...TINY, '--out', out]);
    expectUserError(r, 'a writable --out directory', out, 'ENOTDIR');
  });

  it('--verbose adds the stack trace (and only then)', async () => {
    const out = join(await temp.make(), 'run');
    const r = await runCli(['--verbose', 'train', '--train', fixture('empty.csv'), ...TINY, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: train: expected a non-empty train set/);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});

describe.concurrent('broken run directories: train --resume, eval, predict', () => {
  let run: string;
  let bag: string;

  beforeAll(async () => {
    requireBuiltCli();
    const dir = await temp.make();
    run = join(dir, 'lstm');
    bag = join(dir, 'bag');
    const base = ['--quiet', 'train', '--train', fixture('topics.csv'), ...TINY, '--epochs', '1'];
    const [a, b] = await Promise.all([
      runCli([...base, '--out', run]),
      runCli([...base, '--model', 'bag', '--out', bag]),
    ]);
    expect(a.stderr + b.stderr).toBe('');
  });

  /** A copy of the trained run, with one file replaced by `content` (bytes or a file to copy). */
  async function broken(file: string, content: string | Buffer | { from: string }): Promise<string> {
    const dir = join(await temp.make(), 'run');
    await cp(run, dir, { recursive: true });
    if (typeof content === 'object' && 'from' in content) await copyFile(content.from, join(dir, file));
    else await writeFile(join(dir, file), content);
    return dir;
  }

  const evalArgs = (dir: string) => ['eval', '--run', dir, '--data', fixture('topics.csv')];
  const predictArgs = (dir: string) => ['predict', '--run', dir, 'the team scored a goal'];

  it('a truncated model.safetensors (eval)', async () => {
    const bytes = await readFile(join(run, 'model.safetensors'));
    const dir = await broken('model.safetensors', bytes.subarray(0, 100));
    expectUserError(await runCli(evalArgs(dir)), join(dir, 'model.safetensors'), 'truncated');
  });

  it('a model.safetensors of random bytes (predict)', async () => {
    const noise = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 251));
    const dir = await broken('model.safetensors', noise);
    expectUserError(await runCli(predictArgs(dir)), join(dir, 'model.safetensors'));
  });

  it("a model.safetensors of another run's model names the file, with no library hint (predict)", async () => {
    const dir = await broken('model.safetensors', { from: join(bag, 'model.safetensors') });
    const line = expectUserError(
      await runCli(predictArgs(dir)),
      `--run: expected ${join(dir, 'model.safetensors')} to hold the model of config.json`,
      'missing lstm.weight_ih_l0',
      'unexpected mlp.0.bias',
    );
    expect(line).not.toContain('strict: false');
  });

  it('a corrupt tokenizer.json or labels.json', async () => {
    const tok = await broken('tokenizer.json', '{not json');
    expectUserError(await runCli(predictArgs(tok)), 'valid JSON', join(tok, 'tokenizer.json'));
    const labels = await broken('labels.json', '{"names": "x"}');
    expectUserError(await runCli(evalArgs(labels)), join(labels, 'labels.json'));
  });

  it('--run that is not a run directory', async () => {
    const dir = await temp.make();
    const r = await runCli(evalArgs(dir));
    expectUserError(r, `--run: expected an existing run file, got ${join(dir, 'config.json')} (missing)`);
  });

  it('eval --data: a label the run never saw, an empty file, an unsupported kind', async () => {
    const unknown = expectUserError(
      await runCli(['eval', '--run', run, '--data', fixture('unknown-label.csv')]),
      `${fixture('unknown-label.csv')}:3`,
      '"cooking"',
      'one of "sports", "food", "weather"',
    );
    expect(unknown).not.toContain('onError');
    expectUserError(
      await runCli(['eval', '--run', run, '--data', fixture('empty.csv')]),
      'a non-empty --data file',
    );
    const kind = expectUserError(
      await runCli(['eval', '--run', run, '--data', fixture('README.md')]),
      'a .csv, .tsv or .jsonl file',
    );
    expect(kind).toMatch(/^error: --data: /);
  });

  it('predict with no texts and an empty stdin', async () => {
    expectUserError(
      await runCli(['predict', '--run', run], { input: '\n  \n' }),
      'texts as arguments or lines on stdin',
    );
  });

  it('train --resume: a directory that is not a run names --resume', async () => {
    const dir = await temp.make();
    const line = expectUserError(
      await runCli(['train', '--resume', dir]),
      join(dir, 'config.json'),
      'missing',
    );
    expect(line).toContain('--resume');
    expect(line).not.toContain('--run');
  });

  it('train --resume: a corrupt checkpoint (state.json, or a weight file it names)', async () => {
    const notState = await broken('checkpoint/state.json', JSON.stringify({ type: 'something else' }));
    const line = expectUserError(
      await runCli(['train', '--resume', notState]),
      join(notState, 'checkpoint/state.json'),
    );
    expect(line).not.toContain('Adam');

    // The weight files are named by state.json, with their size and SHA-256.
    const { files } = await readJsonFile<{ files: { model: { name: string } } }>(
      join(run, 'checkpoint/state.json'),
    );
    const model = `checkpoint/${files.model.name}`;
    const bytes = await readFile(join(run, model));
    const truncated = await broken(model, bytes.subarray(0, 50));
    expectUserError(
      await runCli(['train', '--resume', truncated]),
      join(truncated, model),
      'SHA-256',
      'the checkpoint cannot be resumed',
    );
  });

  it('train --resume: a state.json with wrong values is refused with the path of each problem', async () => {
    const state = await readJsonFile<Record<string, unknown>>(join(run, 'checkpoint/state.json'));
    const cases: [Record<string, unknown>, string][] = [
      [{ history: [null] }, 'history.0: expected object (given null)'],
      [{ epochsDone: 99 }, 'epochsDone: expected at most the 1 epochs of config.json (given 99)'],
      [
        { partial: { epoch: 1, batchesDone: 1, lossSum: 'abc', gradNormSum: 0, tokens: 0, seconds: 0 } },
        'partial.lossSum: expected number (given "abc")',
      ],
    ];
    for (const [change, fragment] of cases) {
      const dir = await broken('checkpoint/state.json', JSON.stringify({ ...state, ...change }));
      expectUserError(await runCli(['train', '--resume', dir]), join(dir, 'checkpoint/state.json'), fragment);
    }
    // A __proto__ key in the optimizer state is refused, not dropped.
    const text = JSON.stringify(state).replace('"state":{"0":{', '"state":{"0":{"__proto__":{"step":1},');
    expect(text).toContain('__proto__');
    const proto = await broken('checkpoint/state.json', text);
    expectUserError(await runCli(['train', '--resume', proto]), 'optimizer.state.0.__proto__');
  });
});

describe('command-line usage errors are one line with exit code 2', () => {
  it.each([
    ['an unknown flag', ['train', '--bogus'], "unknown option '--bogus'"],
    ['a flag missing its value', ['eval', '--run'], "option '--run <dir>' argument missing"],
    ['a bad --log-format choice', ['--log-format', 'xml', 'doctor'], "'xml' is invalid"],
    ['an unknown command', ['trian'], "unknown command 'trian'"],
  ])('%s', async (_name, args, fragment) => {
    expectUserError(await runCli(args), fragment);
  });

  it('train --resume refuses other training options instead of ignoring them', async () => {
    const dir = await temp.make();
    expectUserError(
      await runCli(['train', '--resume', dir, '--epochs', '3', '--lr', '0.1']),
      "train --resume: expected no other training options (the run's config.json is used), got --epochs, --lr",
    );
  });
});
