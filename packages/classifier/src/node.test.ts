// loadTextClassifier on run directories someone sent: every file is validated with a typed error
// naming it, and the weights file's header is checked against config.json before the model is
// built, so a 577-byte config.json implying a 13 GB model is refused without allocating it. The
// same checks hold for a run fetched from a URL or given as bytes (the browser's ways in).
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BPE_PATTERNS, LabelMap } from '@seqlab/data';
import {
  ConfigError,
  FileError,
  FormatError,
  MAX_JSON_DEPTH,
  manualSeed,
  NumericError,
  type RawTensor,
  saveSafetensors,
  toRawTensor,
} from '@seqlab/tensor';
import { writeSafetensorsFile } from '@seqlab/tensor/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTextEncoder,
  CLASSIFIER_FILES,
  type ClassifierFile,
  classifierShapes,
  loadTextClassifier as loadFromBrowserEntry,
  type ModelConfig,
  type RunFiles,
  TextClassifier,
} from './index';
import { loadTextClassifier } from './node';

/** config.json as `seqlab train` writes it: the model's fields and the training options. */
function trainConfig(options: Partial<ModelConfig> & Record<string, unknown> = {}) {
  return {
    dataset: null,
    train: 'x.csv',
    model: 'lstm',
    layers: 2,
    hidden: 4,
    embed: 3,
    bidirectional: true,
    dropout: 0.3,
    forgetBias: 0,
    tokenizer: 'word',
    maxLen: 160,
    minFreq: 1,
    vocabSize: 20000,
    lr: 0.002,
    epochs: 4,
    out: null,
    resume: null,
    ...options,
  } as ModelConfig & {
    tokenizer: 'word' | 'char' | 'bpe';
    maxLen: number;
    minFreq: number;
    vocabSize: number;
  };
}

const runPath = (dir: string, file: ClassifierFile) => join(dir, CLASSIFIER_FILES[file]);
const writeJson = (path: string, value: unknown) => writeFile(path, `${JSON.stringify(value, null, 2)}\n`);

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
async function makeRun(
  options: Partial<ModelConfig> & Record<string, unknown> = {},
): Promise<{ dir: string; model: TextClassifier }> {
  const dir = await mkdtemp(join(tmpdir(), 'seqlab-run-'));
  dirs.push(dir);
  await mkdir(join(dir, 'checkpoint'));
  const config = trainConfig(options);
  const examples = TEXTS.map(([text, label]) => ({ text, label: NAMES.indexOf(label) }));
  const encoder = buildTextEncoder(config, examples);
  manualSeed(1);
  const model = new TextClassifier(config, encoder.vocabSize, NAMES.length);
  await writeJson(runPath(dir, 'config'), { ...config, out: dir, resume: null });
  await writeJson(runPath(dir, 'tokenizer'), encoder.toJSON());
  await writeJson(runPath(dir, 'labels'), { names: NAMES, map: new LabelMap(NAMES).toJSON() });
  await writeFile(runPath(dir, 'model'), saveSafetensors(model.stateDict(), { metadata: { format: 'pt' } }));
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

describe('loadTextClassifier on a good run directory', () => {
  it.each(['lstm', 'gru', 'rnn', 'bag'] as const)('loads a %s run with its exact weights', async (model) => {
    const { dir, model: saved } = await makeRun({ model, bidirectional: model !== 'rnn' });
    const run = await loadTextClassifier(dir);
    expect(run.labelNames).toEqual(NAMES);
    expect(run.labels.encode('food')).toBe(1);
    for (const [name, t] of saved.stateDict()) {
      expect([...(run.model.stateDict().get(name)?.data ?? [])], name).toEqual([...t.data]);
    }
  });
});

describe('the backend', () => {
  it('awaits ready() while it loads: the wasm kernels compile asynchronously, before the first prediction', async () => {
    // A fresh process, so that nothing has compiled the kernels yet; only our module counts
    // (Node's fetch compiles an HTTP parser of its own).
    const script = `
      const ours = (m) => WebAssembly.Module.exports(m).some((e) => e.name === 'recurrent_forward');
      const calls = { Module: 0, compile: 0 };
      const { Module, compile } = WebAssembly;
      WebAssembly.Module = Object.assign(function (bytes) {
        const m = new Module(bytes);
        calls.Module += ours(m);
        return m;
      }, { exports: Module.exports });
      WebAssembly.compile = (bytes) => compile(bytes).then((m) => { calls.compile += ours(m); return m; });
      const { loadTextClassifier } = await import('@seqlab/classifier/node');
      const { getBackend } = await import('@seqlab/tensor');
      const run = await loadTextClassifier(${JSON.stringify(good.dir)});
      const loaded = { ...calls };
      const labels = run.predict(['the team scored a goal']);
      console.log(JSON.stringify({ loaded, predicted: { ...calls }, backend: getBackend().name, labels }));`;
    const out = execFileSync(
      process.execPath,
      ['--conditions=@seqlab/source', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, SEQLAB_BACKEND: '' },
        encoding: 'utf8',
      },
    );
    const got = JSON.parse(out);
    expect(got.loaded).toEqual({ Module: 0, compile: 1 });
    expect(got.predicted).toEqual({ Module: 0, compile: 1 });
    expect(got.backend).toBe('wasm');
    expect(got.labels).toHaveLength(1);
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
      const config = trainConfig({ model, bidirectional, layers, hidden: 5, embed: 3 });
      const built = new TextClassifier(config, 11, 4);
      const shapes = [...built.namedParameters()].map(([name, p]) => [name, p.shape]);
      expect([...classifierShapes(config, 11, 4)]).toEqual(shapes);
    },
  );
});

describe('a 577-byte config.json that implies a 13 GB model', () => {
  /** The good run with config.json replaced by `options` over the defaults. */
  async function huge(options: Partial<ModelConfig>): Promise<{ dir: string; bytes: number }> {
    const dir = await mkdtemp(join(tmpdir(), 'seqlab-run-'));
    dirs.push(dir);
    for (const file of ['tokenizer', 'labels', 'model'] as const) {
      await writeFile(runPath(dir, file), await readFile(runPath(good.dir, file)));
    }
    const config = trainConfig({ hidden: 4096, embed: 4096, bidirectional: true, ...options });
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
      const error = await errorOf(loadTextClassifier(dir));
      expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 2 ** 20);
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toMatch(
        /^loadTextClassifier: expected .*model\.safetensors to hold the model of config\.json/,
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
      const error = await errorOf(loadTextClassifier(dir));
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toBe(
        `loadTextClassifier: expected JSON nested at most ${MAX_JSON_DEPTH} deep in ${path}, got more than ${MAX_JSON_DEPTH} levels of arrays or objects`,
      );
    },
  );

  it('a tokenizer.json whose BPE pattern backtracks exponentially is refused, naming the field and the file', async () => {
    const { dir: bpeRun } = await makeRun({ tokenizer: 'bpe' });
    const json = JSON.parse(await readFile(runPath(bpeRun, 'tokenizer'), 'utf8'));
    expect(json.bpe.pattern).toBe('gpt2');
    json.bpe.pattern = '(a+)+b|\\S+';
    await writeFile(runPath(bpeRun, 'tokenizer'), JSON.stringify(json));
    const error = await errorOf(loadTextClassifier(bpeRun));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toContain(
      'loadTextEncoder: expected pattern to be the name of a built-in pattern (gpt2)',
    );
    expect(error.message).toContain(`in ${runPath(bpeRun, 'tokenizer')}`);
  });

  it('an old tokenizer.json (version 1, the GPT-2 pattern written out) still loads', async () => {
    const { dir: bpeRun } = await makeRun({ tokenizer: 'bpe' });
    const ids = (await loadTextClassifier(bpeRun)).encoder.encode('the striker scored');
    const path = runPath(bpeRun, 'tokenizer');
    const json = JSON.parse(await readFile(path, 'utf8'));
    json.bpe = { ...json.bpe, version: 1, pattern: BPE_PATTERNS.gpt2 };
    await writeFile(path, JSON.stringify(json));
    expect((await loadTextClassifier(bpeRun)).encoder.encode('the striker scored')).toEqual(ids);
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
    const error = await errorOf(loadTextClassifier(dir));
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`in ${path}`);
  });

  it('labels.json may name a class "__proto__" (zod records drop that key; the check does not)', async () => {
    const names = ['__proto__', 'b'];
    const { dir } = await withFile('labels', JSON.stringify({ names, map: new LabelMap(names).toJSON() }));
    // The run's model has 3 classes, so the load fails later, at the weights, not at labels.json.
    await expect(loadTextClassifier(dir)).rejects.toThrow(/fc\.weight of shape \[2, 8\], got \[3, 8\]/);
    const swapped = { ...new LabelMap(names).toJSON(), ids: JSON.parse('{"__proto__": 1, "b": 0}') };
    const { dir: bad } = await withFile('labels', JSON.stringify({ names, map: swapped }));
    await expect(loadTextClassifier(bad)).rejects.toThrow(/map\.ids\["__proto__"\]: expected 0/);
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
      const error = await errorOf(loadTextClassifier(dir));
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(`in ${path}`);
    }
  });

  it('a directory where a file should be names the path', async () => {
    for (const file of ['config', 'labels', 'model'] as const) {
      const { dir, path } = await withFile(file, null);
      const error = await errorOf(loadTextClassifier(dir));
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
        const error = await errorOf(loadTextClassifier(dir));
        expect(error.message, file).toContain(runPath(dir, file));
        expect(error.message, file).toMatch(/not a regular file|not a FIFO/);
      }
    },
  );

  it('a missing model file names it and the option', async () => {
    const { dir } = await makeRun();
    await rm(runPath(dir, 'model'));
    await expect(loadTextClassifier(dir)).rejects.toThrow(
      `loadTextClassifier: expected an existing model file, got ${runPath(dir, 'model')} (missing). Is it a run directory written by seqlab train?`,
    );
  });

  it('weights of another dtype, or another model, name the tensor', async () => {
    const { dir: ints, model } = await makeRun();
    const raw = new Map([...model.stateDict()].map(([name, t]) => [name, toRawTensor(t)]));
    const fc = raw.get('fc.bias') as RawTensor;
    raw.set('fc.bias', { dtype: 'I32', shape: fc.shape, data: new Int32Array(fc.data.length) });
    await writeSafetensorsFile(runPath(ints, 'model'), raw);
    await expect(loadTextClassifier(ints)).rejects.toThrow(
      /fc\.bias of a float dtype \(F32, F16, BF16 or F64\), got I32$/,
    );

    const { dir: bag } = await makeRun({ model: 'bag' });
    const { dir } = await makeRun();
    await writeFile(runPath(dir, 'model'), await readFile(runPath(bag, 'model')));
    await expect(loadTextClassifier(dir)).rejects.toThrow(
      /its parameter names, got missing lstm\.weight_ih_l0, .*; unexpected mlp\.0\.bias, mlp\.0\.weight/,
    );
  });
});

describe('the browser ways in: a URL (fetch) and the files as bytes', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  beforeAll(async () => {
    // A static server of the good run at /run/, as a site would serve a copied run directory.
    server = createServer(async (request, response) => {
      requests.push(request.url ?? '');
      const name = (request.url ?? '').replace(/^\/run\//, '');
      const file = Object.entries(CLASSIFIER_FILES).find(([, f]) => f === name);
      if (!request.url?.startsWith('/run/') || !file) {
        response.writeHead(404, 'Not Found').end();
        return;
      }
      response.writeHead(200).end(await readFile(runPath(good.dir, file[0] as ClassifierFile)));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const TEXTS_TO_CLASSIFY = ['the goal', 'chocolate cake and rain', '', 'unseen words only'];

  async function bytesOf(dir: string): Promise<RunFiles> {
    const read = (file: ClassifierFile) => readFile(runPath(dir, file));
    return {
      config: await read('config'),
      tokenizer: await read('tokenizer'),
      labels: await read('labels'),
      model: await read('model'),
    };
  }

  it('gives the same probabilities from a directory, a file: URL, an http URL and bytes, from both entries', async () => {
    const expected = (await loadTextClassifier(good.dir)).predictProba(TEXTS_TO_CLASSIFY);
    expect(expected).toHaveLength(4);
    for (const row of expected) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const bytes = await bytesOf(good.dir);
    const text = { ...bytes, config: bytes.config.toString(), labels: bytes.labels.toString() };
    const sources = [
      pathToFileURL(good.dir),
      `${base}/run`,
      new URL('/run/', base),
      bytes,
      text,
      { ...bytes, model: new Uint8Array(bytes.model as Uint8Array).buffer },
    ];
    for (const source of sources) {
      const classifier = await loadTextClassifier(source);
      expect(classifier.predictProba(TEXTS_TO_CLASSIFY), String(source)).toEqual(expected);
      if (!(source instanceof URL && source.protocol === 'file:'))
        expect((await loadFromBrowserEntry(source)).predictProba(TEXTS_TO_CLASSIFY)).toEqual(expected);
    }
    expect(requests).toContain('/run/model.safetensors');
  });

  it('predict, predictProba and classify agree, in batches of 64', async () => {
    const classifier = await loadFromBrowserEntry(await bytesOf(good.dir));
    const many = Array.from({ length: 130 }, (_, i) => TEXTS_TO_CLASSIFY[i % 4]);
    const predictions = classifier.classify(many);
    expect(predictions).toHaveLength(130);
    expect(classifier.predictProba(many)).toEqual(predictions.map((p) => p.probabilities));
    expect(classifier.predict(many)).toEqual(predictions.map((p) => NAMES[p.index]));
    for (const [i, p] of predictions.entries()) {
      expect(p.probabilities).toEqual(predictions[i % 4].probabilities);
      expect(Math.max(...p.probabilities)).toBe(p.probabilities[p.index]);
    }
  });

  it('fetches through the fetch option; with two bad files, the first in order (config.json) is named', async () => {
    const fetched: string[] = [];
    const classifier = await loadFromBrowserEntry(`${base}/run/`, {
      fetch: (url) => {
        fetched.push(url.slice(base.length));
        return fetch(url);
      },
    });
    expect(classifier.labelNames).toEqual(NAMES);
    expect(fetched.sort()).toEqual([
      '/run/config.json',
      '/run/labels.json',
      '/run/model.safetensors',
      '/run/tokenizer.json',
    ]);
    const bytes = await bytesOf(good.dir);
    for (let i = 0; i < 5; i++) {
      await expect(loadFromBrowserEntry({ ...bytes, config: 'null', labels: 'null' })).rejects.toThrow(
        /^loadTextClassifier: expected a config\.json written by seqlab train/,
      );
    }
  });

  it('a missing file on the server is a FileError naming its URL and the HTTP status', async () => {
    const error = await errorOf(loadFromBrowserEntry(`${base}/elsewhere/`));
    expect(error).toBeInstanceOf(FileError);
    expect(error.message).toBe(
      `loadTextClassifier: expected a run file to fetch, got ${base}/elsewhere/config.json (HTTP 404 Not Found)`,
    );
  });

  it('a relative URL with no page to resolve it against, or a source of another type, is a ConfigError', async () => {
    await expect(loadFromBrowserEntry('runs/spam')).rejects.toThrow(
      /^loadTextClassifier: expected an absolute URL of a run directory .*, got "runs\/spam"$/,
    );
    await expect(loadFromBrowserEntry(42 as never)).rejects.toBeInstanceOf(ConfigError);
    const bytes = await bytesOf(good.dir);
    const error = await errorOf(loadFromBrowserEntry({ ...bytes, model: 'not bytes' as never }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^loadTextClassifier: expected model: the bytes of model\.safetensors/);
  });

  it('hostile bytes are refused as hostile files are, naming the file', async () => {
    const bytes = await bytesOf(good.dir);
    const deep = `{"a": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    await expect(loadFromBrowserEntry({ ...bytes, labels: deep })).rejects.toThrow(
      `loadTextClassifier: expected JSON nested at most ${MAX_JSON_DEPTH} deep in labels.json`,
    );
    await expect(loadFromBrowserEntry({ ...bytes, config: '{"model": ' })).rejects.toThrow(
      'loadTextClassifier: expected valid JSON, got a corrupt file config.json',
    );
    const model = bytes.model as Uint8Array;
    const truncated = await errorOf(
      loadFromBrowserEntry({ ...bytes, model: model.subarray(0, model.length - 1) }),
    );
    expect(truncated).toBeInstanceOf(FormatError);
    expect(truncated.message).toMatch(/^loadTextClassifier: expected .* in model\.safetensors/);
    // A small config.json implying a model of gigabytes: refused from the header of the bytes.
    const config = JSON.stringify(trainConfig({ hidden: 4096, embed: 4096, layers: 8 }));
    const rss = process.memoryUsage().rss;
    const huge = await errorOf(loadFromBrowserEntry({ ...bytes, config }));
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 2 ** 20);
    expect(huge.message).toMatch(
      /^loadTextClassifier: expected model\.safetensors to hold the model of config\.json: its parameter names, got missing lstm\.weight_ih_l2/,
    );
  });

  it("config.json: the model's fields are checked, naming the file; the training options are not read", async () => {
    const bytes = await bytesOf(good.dir);
    const config = JSON.parse(bytes.config.toString());
    const error = await errorOf(
      loadFromBrowserEntry({
        ...bytes,
        config: JSON.stringify({ ...config, hidden: 1e300, model: 'x'.repeat(1e6) }),
      }),
    );
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(
      /^loadTextClassifier: expected a config\.json written by seqlab train, got model: .* \(given "xxx+…\); hidden: expected an integer in \[1, 4096\] \(given 1e\+300\) in config\.json$/,
    );
    expect(error.message.length).toBeLessThan(600);
    const { hidden: _, ...noHidden } = config;
    await expect(loadFromBrowserEntry({ ...bytes, config: JSON.stringify(noHidden) })).rejects.toThrow(
      /hidden: expected number, received undefined \(given nothing\) in config\.json$/,
    );
    const loaded = await loadFromBrowserEntry({
      ...bytes,
      config: JSON.stringify({ ...config, lr: 'fast', extra: 1 }),
    });
    expect(loaded.config).toEqual({
      model: 'lstm',
      layers: 2,
      hidden: 4,
      embed: 3,
      bidirectional: true,
      dropout: 0.3,
      forgetBias: 0,
    });
  });

  it('weights holding a NaN are a NumericError at load; outputs that overflow one at classify', async () => {
    const { dir, model } = await makeRun({ model: 'bag' });
    const bytes = await bytesOf(dir);
    /** The run's weights with some tensors filled with one value. */
    const withWeights = (values: Record<string, number>): RunFiles => {
      const dict = new Map(
        [...model.stateDict()].map(([name, t]) => [name, name in values ? t.mul(0).add(values[name]) : t]),
      );
      return { ...bytes, model: saveSafetensors(dict) };
    };
    const nan = await errorOf(loadFromBrowserEntry(withWeights({ 'mlp.2.bias': Number.NaN })));
    expect(nan).toBeInstanceOf(NumericError);
    expect(nan.message).toMatch(
      /^loadTextClassifier: expected finite weights in model\.safetensors, got NaN at element 0 of mlp\.2\.bias \[3\]/,
    );
    // Every embedding 1, then two layers of 1e30: the logits overflow to Infinity, softmax gives NaN.
    const big = await loadFromBrowserEntry(
      withWeights({ 'embedding.weight': 1, 'mlp.0.weight': 1e30, 'mlp.2.weight': 1e30 }),
    );
    expect(() => big.classify(['the goal', 'cake'])).toThrow(NumericError);
    expect(() => big.classify(['the goal', 'cake'])).toThrow(
      /^Classifier\.classify: expected finite class probabilities, got NaN for class 0 of text 1 of 2/,
    );
  });

  it('classify takes an array of strings', async () => {
    const classifier = await loadFromBrowserEntry(await bytesOf(good.dir));
    expect(() => classifier.classify('a text' as never)).toThrow(
      'Classifier.classify: expected an array of texts, got "a text"',
    );
    expect(() => classifier.classify(['a', 3 as never])).toThrow(
      'Classifier.classify: expected texts[1] to be a string, got 3',
    );
  });
});
