// loadRun on run directories someone sent: every file is validated with a typed error naming it,
// and the weights file's header is checked against config.json before the model is built, so a
// 577-byte config.json implying a 13 GB model is refused without allocating it.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPE_PATTERNS, LabelMap } from '@seqlab/data';
import {
  ConfigError,
  FileError,
  FormatError,
  MAX_JSON_DEPTH,
  manualSeed,
  type RawTensor,
  toRawTensor,
} from '@seqlab/tensor';
import { writeSafetensorsFile } from '@seqlab/tensor/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrainConfig, type TrainConfig } from './config';
import { classifierShapes, TextClassifier } from './model';
import { loadRun } from './run';
import { runPath, writeJson, writeStateDict } from './run-dir';
import { buildTextEncoder } from './text';

const TEXTS = [
  ['the team scored a goal', 'sports'],
  ['a rich chocolate cake', 'food'],
  ['rain and wind tomorrow', 'weather'],
  ['the striker missed the goal', 'sports'],
] as const;
const NAMES = ['sports', 'food', 'weather'];

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A run directory as `seqlab train` writes it (a tiny untrained model), then `edit` applied. */
async function makeRun(options: Partial<TrainConfig> = {}): Promise<{ dir: string; model: TextClassifier }> {
  const dir = await mkdtemp(join(tmpdir(), 'seqlab-run-'));
  dirs.push(dir);
  await mkdir(join(dir, 'checkpoint'));
  const config = parseTrainConfig({ hidden: 4, embed: 3, layers: 2, minFreq: 1, train: 'x.csv', ...options });
  const examples = TEXTS.map(([text, label]) => ({ text, label: NAMES.indexOf(label) }));
  const encoder = buildTextEncoder(config, examples);
  manualSeed(1);
  const model = new TextClassifier(config, encoder.vocabSize, NAMES.length);
  await writeJson(runPath(dir, 'config'), { ...config, out: dir, resume: null });
  await writeJson(runPath(dir, 'tokenizer'), encoder.toJSON());
  await writeJson(runPath(dir, 'labels'), { names: NAMES, map: new LabelMap(NAMES).toJSON() });
  await writeStateDict(runPath(dir, 'model'), model.stateDict());
  return { dir, model };
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

let good: { dir: string; model: TextClassifier };
beforeAll(async () => {
  good = await makeRun();
});

describe('loadRun on a good run', () => {
  it.each(['lstm', 'gru', 'rnn', 'bag'] as const)('loads a %s run with its exact weights', async (model) => {
    const { dir, model: saved } = await makeRun({ model, bidirectional: model !== 'rnn' });
    const run = await loadRun(dir);
    expect(run.labelNames).toEqual(NAMES);
    expect(run.labels.encode('food')).toBe(1);
    for (const [name, t] of saved.stateDict()) {
      expect([...(run.model.stateDict().get(name)?.data ?? [])], name).toEqual([...t.data]);
    }
  });
});

describe('classifierShapes', () => {
  it.each([
    ['lstm', true, 2],
    ['gru', true, 2],
    ['rnn', false, 3],
    ['bag', false, 1],
  ] as const)(
    'agrees with the built %s model (bidirectional %s, %d layers)',
    (model, bidirectional, layers) => {
      const config = parseTrainConfig({ model, bidirectional, layers, hidden: 5, embed: 3 });
      const built = new TextClassifier(config, 11, 4);
      const shapes = [...built.namedParameters()].map(([name, p]) => [name, p.shape]);
      expect([...classifierShapes(config, 11, 4)]).toEqual(shapes);
    },
  );
});

describe('a 577-byte config.json that implies a 13 GB model', () => {
  /** The good run with config.json replaced by `options` over the defaults. */
  async function huge(options: Partial<TrainConfig>): Promise<{ dir: string; bytes: number }> {
    const dir = await mkdtemp(join(tmpdir(), 'seqlab-run-'));
    dirs.push(dir);
    for (const file of ['tokenizer', 'labels', 'model'] as const) {
      await writeFile(runPath(dir, file), await readFile(runPath(good.dir, file)));
    }
    const config = parseTrainConfig({ hidden: 4096, embed: 4096, bidirectional: true, ...options });
    const text = JSON.stringify(config);
    expect(text.length).toBeLessThan(700);
    await writeFile(runPath(dir, 'config'), text);
    const shapes = classifierShapes(config, 20, 3);
    const numel = [...shapes.values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
    return { dir, bytes: numel * 4 };
  }

  it.each([
    [8, /its parameter names, got missing lstm\.weight_ih_l2, lstm\.weight_hh_l2, .*…$/],
    [2, /: embedding\.weight of shape \[\d+, 4096\], got \[\d+, 3\]$/],
  ])(
    '%d layers: refused from the weights header, naming the tensor, with no big allocation',
    async (layers, message) => {
      const { dir, bytes } = await huge({ layers });
      expect(bytes).toBeGreaterThan(layers === 8 ? 12e9 : 2e9); // what building it would allocate
      const rss = process.memoryUsage().rss;
      const error = await errorOf(loadRun(dir));
      expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 2 ** 20);
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toMatch(
        /^--run: expected .*model\.safetensors to hold the model of config\.json/,
      );
      expect(error.message).toMatch(message);
    },
  );
});

describe('hostile files of a run directory', () => {
  /** A copy of the good run with one file's text replaced. */
  async function withFile(file: 'config' | 'tokenizer' | 'labels' | 'model', text: string | null) {
    const { dir } = await makeRun();
    if (text === null) {
      await rm(runPath(dir, file));
      await mkdir(runPath(dir, file));
    } else {
      await writeFile(runPath(dir, file), text);
    }
    return { dir, path: runPath(dir, file) };
  }

  const deep = (n: number) => `{"a": ${'['.repeat(n)}${']'.repeat(n)}}`;

  it.each(['config', 'tokenizer', 'labels'] as const)(
    '%s.json nested 5,000 deep: a FormatError naming the file and the limit',
    async (file) => {
      const { dir, path } = await withFile(file, deep(5000));
      const error = await errorOf(loadRun(dir));
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toBe(
        `--run: expected JSON nested at most ${MAX_JSON_DEPTH} deep in ${path}, got more than ${MAX_JSON_DEPTH} levels of arrays or objects`,
      );
    },
  );

  it('a tokenizer.json whose BPE pattern backtracks exponentially is refused, naming the field and the file', async () => {
    const { dir: bpeRun } = await makeRun({ tokenizer: 'bpe' });
    const json = JSON.parse(await readFile(runPath(bpeRun, 'tokenizer'), 'utf8'));
    expect(json.bpe.pattern).toBe('gpt2');
    json.bpe.pattern = '(a+)+b|\\S+';
    await writeFile(runPath(bpeRun, 'tokenizer'), JSON.stringify(json));
    const error = await errorOf(loadRun(bpeRun));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toContain(
      'loadTextEncoder: expected pattern to be the name of a built-in pattern (gpt2)',
    );
    expect(error.message).toContain(`in ${runPath(bpeRun, 'tokenizer')}`);
  });

  it('an old tokenizer.json (version 1, the GPT-2 pattern written out) still loads', async () => {
    const { dir: bpeRun } = await makeRun({ tokenizer: 'bpe' });
    const ids = (await loadRun(bpeRun)).encoder.encode('the striker scored');
    const path = runPath(bpeRun, 'tokenizer');
    const json = JSON.parse(await readFile(path, 'utf8'));
    json.bpe = { ...json.bpe, version: 1, pattern: BPE_PATTERNS.gpt2 };
    await writeFile(path, JSON.stringify(json));
    expect((await loadRun(bpeRun)).encoder.encode('the striker scored')).toEqual(ids);
  });

  it.each([
    [
      'null',
      'null',
      /labels\.json written by seqlab train, got \(file\): expected object, received null \(given null\)/,
    ],
    ['names not a list', '{"names": "x", "map": {}}', /names: expected array/],
    [
      'a map with two ids swapped',
      JSON.stringify({
        names: NAMES,
        map: { ...new LabelMap(NAMES).toJSON(), ids: { sports: 1, food: 0, weather: 2 } },
      }),
      /map\.ids\["sports"\]: expected 0, the position of the name in names, got 1/,
    ],
    [
      'an id of 1e300',
      JSON.stringify({
        names: NAMES,
        map: { ...new LabelMap(NAMES).toJSON(), ids: { sports: 1e300, food: 1, weather: 2 } },
      }),
      /map\.ids\.sports: Too big: expected number to be <=99999 \(given 1e\+300\)/,
    ],
    [
      'duplicate names',
      JSON.stringify({ names: ['a', 'a'], map: new LabelMap(['a', 'b']).toJSON() }),
      /expected distinct names, got "a" twice/,
    ],
    [
      'an unknown key',
      JSON.stringify({ names: NAMES, map: new LabelMap(NAMES).toJSON(), extra: 1 }),
      /unknown key\(s\) "extra"/,
    ],
  ])('labels.json: %s', async (_, text, message) => {
    const { dir, path } = await withFile('labels', text);
    const error = await errorOf(loadRun(dir));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`in ${path}`);
  });

  it('labels.json may name a class "__proto__" (zod records drop that key; the check does not)', async () => {
    const names = ['__proto__', 'b'];
    const { dir } = await withFile('labels', JSON.stringify({ names, map: new LabelMap(names).toJSON() }));
    // The run's model has 3 classes, so the load fails later, at the weights, not at labels.json.
    await expect(loadRun(dir)).rejects.toThrow(/fc\.weight of shape \[2, 8\], got \[3, 8\]/);
    const swapped = { ...new LabelMap(names).toJSON(), ids: JSON.parse('{"__proto__": 1, "b": 0}') };
    const { dir: bad } = await withFile('labels', JSON.stringify({ names, map: swapped }));
    await expect(loadRun(bad)).rejects.toThrow(/map\.ids\["__proto__"\]: expected 0/);
  });

  it('tokenizer.json: null, a wrong kind, a maxLen of 1e300', async () => {
    for (const [text, message] of [
      ['null', /tokenizer\.json written by seqlab train, got \(file\): expected object/],
      [
        '{"type": "seqlab.TextEncoder", "kind": "sentencepiece", "maxLen": 5}',
        /kind: Invalid option: expected one of "word"\|"char"\|"bpe" \(given "sentencepiece"\)/,
      ],
      [
        '{"type": "seqlab.TextEncoder", "kind": "word", "maxLen": 1e300, "vocab": {}}',
        /maxLen: Too big: expected number to be <=100000 \(given 1e\+300\)/,
      ],
      [
        '{"type": "seqlab.TextEncoder", "kind": "word", "maxLen": 5, "bpe": {}}',
        /vocab: expected a vocab for kind word/,
      ],
    ] as const) {
      const { dir, path } = await withFile('tokenizer', text);
      const error = await errorOf(loadRun(dir));
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(`in ${path}`);
    }
  });

  it('a directory where a file should be names the path', async () => {
    for (const file of ['config', 'labels', 'model'] as const) {
      const { dir, path } = await withFile(file, null);
      const error = await errorOf(loadRun(dir));
      expect(error.message, file).toContain(path);
      expect(error.message, file).toContain('EISDIR');
      expect(error, file).toBeInstanceOf(file === 'model' ? FileError : ConfigError);
    }
  });

  it.skipIf(process.platform === 'win32')(
    'a FIFO planted as config.json or model.safetensors is refused, not waited on',
    async () => {
      for (const file of ['config', 'model'] as const) {
        const { dir } = await makeRun();
        await rm(runPath(dir, file));
        execFileSync('mkfifo', [runPath(dir, file)]);
        const error = await errorOf(loadRun(dir));
        expect(error.message, file).toContain(runPath(dir, file));
        expect(error.message, file).toMatch(/not a regular file|not a FIFO/);
      }
    },
  );

  it('a missing model file names it and the option', async () => {
    const { dir } = await makeRun();
    await rm(runPath(dir, 'model'));
    await expect(loadRun(dir)).rejects.toThrow(
      `--run: expected an existing model file, got ${runPath(dir, 'model')} (missing)`,
    );
  });

  it('weights of another dtype, or another model, name the tensor', async () => {
    const { dir: ints, model } = await makeRun();
    const raw = new Map([...model.stateDict()].map(([name, t]) => [name, toRawTensor(t)]));
    const fc = raw.get('fc.bias') as RawTensor;
    raw.set('fc.bias', { dtype: 'I32', shape: fc.shape, data: new Int32Array(fc.data.length) });
    await writeSafetensorsFile(runPath(ints, 'model'), raw);
    await expect(loadRun(ints)).rejects.toThrow(
      /fc\.bias of a float dtype \(F32, F16, BF16 or F64\), got I32$/,
    );

    const { dir: bag } = await makeRun({ model: 'bag' });
    const { dir } = await makeRun();
    await writeFile(runPath(dir, 'model'), await readFile(runPath(bag, 'model')));
    await expect(loadRun(dir)).rejects.toThrow(
      /its parameter names, got missing lstm\.weight_ih_l0, .*; unexpected mlp\.0\.bias, mlp\.0\.weight/,
    );
  });
});
