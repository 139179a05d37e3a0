// End-to-end: a run directory in PyTorch and PyTorch weights in seqlab, through
// python/seqlab_torch.py. Runs when /usr/bin/python3 has torch (`apt-get install -y python3-torch`);
// skipped, with the reason printed, otherwise.
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collate } from '@seqlab/classifier';
import { loadTextClassifier } from '@seqlab/classifier/node';
import { GRU, LSTM, RNN } from '@seqlab/layers';
import { noGrad, type Tensor } from '@seqlab/tensor';
import { loadSafetensorsFile } from '@seqlab/tensor/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, REPO, runCli, TempDirs, trainTinyRuns } from './cli-harness';

const PYTHON = '/usr/bin/python3';
const MODULE = join(REPO, 'python', 'seqlab_torch.py');

function torchMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found`;
  if (probe.status !== 0) return `${PYTHON} has no torch (apt-get install -y python3-torch)`;
  return null;
}
const missing = torchMissing();
if (missing) console.warn(`torch-interop.test.ts: skipped: ${missing}`);

function python(args: string[], input?: string, timeout = 60_000): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', input, cwd: REPO, timeout });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

interface Prediction {
  text: string;
  label: string;
  probabilities: Record<string, number>;
}

const TEXTS = [
  'the striker scored a late goal',
  'hot tomato soup with fresh bread',
  'heavy rain and strong wind tomorrow',
  'the goal',
  '',
  'zzz unknown words only',
  "sunny and humid, isn't it? the stadium's pizza was great",
];

/** Both sides' predictions of the same texts agree: labels equal, probabilities within `tol`. */
function expectSamePredictions(seqlab: Prediction[], torch: Prediction[], tol: number): void {
  expect(torch.map((p) => p.text)).toEqual(seqlab.map((p) => p.text));
  seqlab.forEach((s, i) => {
    const t = torch[i];
    expect(Object.keys(t.probabilities)).toEqual(Object.keys(s.probabilities));
    for (const [label, p] of Object.entries(s.probabilities)) {
      expect(Math.abs(t.probabilities[label] - p), `${s.text} / ${label}`).toBeLessThanOrEqual(tol);
    }
    expect(t.label).toBe(s.label);
  });
}

async function seqlabPredict(run: string): Promise<Prediction[]> {
  const r = await runCli(['predict', '--json', '--run', run, ...TEXTS]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return lines(r.stdout).map((line) => JSON.parse(line));
}

/**
 * What torch says about a run: `seqlab_torch.py predict --run RUN TEXTS` (its `main`, stdout
 * captured) and `load_run(RUN).logits_from_ids(ids)`.
 */
interface TorchView {
  predictions: Prediction[];
  logits: number[][];
}

/**
 * One Python process for every run: importing torch costs a second or more of CPU per process, so
 * the work of ~30 `python3` starts is done in one. For each job, in order: torch's predictions and
 * logits of the run; then, when `copy` is given, the run's weights changed in torch
 * (`torch.manual_seed(7)`, `p += 0.5 * randn_like(p)`) and written with `save_safetensors` to
 * `copy/model.safetensors`, and torch's predictions and logits of the copy (loaded from that file).
 */
function torchSession(jobs: { run: string; ids: number[][]; copy?: string }[]): TorchView[][] {
  const out = python(
    [
      '-c',
      [
        'import sys, json, io, contextlib, torch',
        'sys.path.insert(0, "python")',
        'import seqlab_torch',
        'from seqlab_torch import load_run, save_safetensors',
        'def view(run, ids, texts):',
        '    buf = io.StringIO()',
        '    with contextlib.redirect_stdout(buf):',
        '        seqlab_torch.main(["predict", "--run", run, *texts])',
        '    predictions = [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]',
        '    return {"predictions": predictions, "logits": load_run(run).logits_from_ids(ids).tolist()}',
        'req = json.load(sys.stdin)',
        'result = []',
        'for job in req["jobs"]:',
        '    views = [view(job["run"], job["ids"], req["texts"])]',
        '    if job.get("copy"):',
        '        run = load_run(job["run"])',
        '        torch.manual_seed(7)',
        '        with torch.no_grad():',
        '            for p in run.model.parameters(): p.add_(0.5 * torch.randn_like(p))',
        '        save_safetensors(run.model.state_dict(), job["copy"] + "/model.safetensors")',
        '        views.append(view(job["copy"], job["ids"], req["texts"]))',
        '    result.append(views)',
        'print(json.dumps(result))',
      ].join('\n'),
    ],
    JSON.stringify({ texts: TEXTS, jobs }),
    300_000,
  );
  return JSON.parse(out) as TorchView[][];
}

/** seqlab's logits of TEXTS (the run loaded by @seqlab/classifier) equal torch's within 1e-5. */
async function expectSameLogits(run: string, torch: TorchView, ids: number[][]): Promise<void> {
  const classifier = await loadTextClassifier(run);
  // torch was given these ids: the ones this run's tokenizer gives.
  expect(TEXTS.map((text) => classifier.encoder.encode(text))).toEqual(ids);
  const seqlab = noGrad(() =>
    classifier.model.forward(
      collate(
        classifier.model,
        ids.map((i) => ({ ids: i, label: 0 })),
      ),
    ),
  );
  expect(seqlab.shape).toEqual([TEXTS.length, torch.logits[0]?.length]);
  const C = seqlab.shape[1] as number;
  torch.logits.forEach((row, b) => {
    row.forEach((v, c) => {
      expect(Math.abs((seqlab.data[b * C + c] as number) - v), `${TEXTS[b]} class ${c}`).toBeLessThanOrEqual(
        1e-5,
      );
    });
  });
}

// seqlab prints probabilities to 6 decimals: half a unit of the last digit plus float32 noise.
const TOL = 1e-5;

const temp = new TempDirs();
afterAll(() => temp.cleanup());

const RUNS: Array<[string, string[]]> = [
  ['biLSTM, 2 layers', ['--model', 'lstm', '--layers', '2', '--bidirectional']],
  ['LSTM, forget bias 1', ['--model', 'lstm', '--layers', '1', '--forget-bias', '1']],
  ['biGRU, 2 layers', ['--model', 'gru', '--layers', '2', '--bidirectional']],
  ['RNN', ['--model', 'rnn', '--layers', '1']],
  ['bag of embeddings', ['--model', 'bag']],
  ['char-level LSTM', ['--model', 'lstm', '--tokenizer', 'char', '--max-len', '40']],
];

describe.skipIf(missing !== null)('a run directory in PyTorch (python/seqlab_torch.py)', () => {
  const dirs = new Map<string, string>();
  /** Per run: TEXTS' ids by its tokenizer, torch's view of it and of its copy with weights changed in torch. */
  const torch = new Map<string, { ids: number[][]; run: TorchView; copy: TorchView; copyDir: string }>();
  /** seqlab predict of each run, once: two tests compare against it. */
  const predicted = new Map<string, Promise<Prediction[]>>();
  const seqlabPredictOnce = (run: string): Promise<Prediction[]> => {
    if (!predicted.has(run)) predicted.set(run, seqlabPredict(run));
    return predicted.get(run) as Promise<Prediction[]>;
  };
  beforeAll(async () => {
    for (const [name, dir] of await trainTinyRuns(await temp.make(), RUNS)) dirs.set(name, dir);
    const jobs = await Promise.all(
      RUNS.map(async ([name]) => {
        const run = dirs.get(name) as string;
        const classifier = await loadTextClassifier(run);
        // A copy of the run whose model.safetensors torch writes: new weights, same files otherwise.
        const copy = join(await temp.make(), 'run');
        await mkdir(copy);
        for (const file of ['config.json', 'tokenizer.json', 'labels.json']) {
          await copyFile(join(run, file), join(copy, file));
        }
        return { run, ids: TEXTS.map((text) => classifier.encoder.encode(text)), copy };
      }),
    );
    const views = torchSession(jobs);
    RUNS.forEach(([name], i) => {
      const [run, copy] = views[i] as [TorchView, TorchView];
      torch.set(name, { ids: jobs[i].ids, run, copy, copyDir: jobs[i].copy });
    });
  }, 300_000); // six small trainings and one Python session, on a busy machine

  it.each(RUNS.map(([name]) => name))('%s: torch predicts what seqlab predicts', async (name) => {
    const run = dirs.get(name) as string;
    expectSamePredictions(await seqlabPredictOnce(run), torch.get(name)?.run.predictions ?? [], TOL);
  });

  it.each(RUNS.map(([name]) => name))('%s: torch’s logits are seqlab’s within 1e-5', async (name) => {
    const t = torch.get(name);
    await expectSameLogits(dirs.get(name) as string, t?.run as TorchView, t?.ids ?? []);
  });

  it.each(RUNS.map(([name]) => name))(
    '%s: weights changed in torch and saved with save_safetensors load back into seqlab',
    async (name) => {
      const run = dirs.get(name) as string;
      const t = torch.get(name);
      const copy = t?.copyDir as string;
      const seqlab = await seqlabPredict(copy);
      expectSamePredictions(seqlab, t?.copy.predictions ?? [], TOL);
      await expectSameLogits(copy, t?.copy as TorchView, t?.ids ?? []);
      // The weights did change: the predictions differ from the original run's somewhere.
      const before = await seqlabPredictOnce(run);
      const moved = before.some((p, i) =>
        Object.entries(p.probabilities).some(
          ([label, v]) => Math.abs(seqlab[i].probabilities[label] - v) > 1e-3,
        ),
      );
      expect(moved).toBe(true);
    },
  );

  it('refuses a weights file that does not fit the config, naming the keys', async () => {
    const run = dirs.get('biGRU, 2 layers') as string;
    const other = dirs.get('RNN') as string;
    const r = spawnSync(
      PYTHON,
      [MODULE, 'predict', '--run', run, '--weights', join(other, 'model.safetensors'), 'x'],
      { encoding: 'utf8', cwd: REPO },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Missing key\(s\) in state_dict: "gru\.weight_ih_l0"/);
  });
});

describe.skipIf(missing !== null)('load_safetensors refuses a hostile file with a FormatError', () => {
  // header length, then the header: each case breaks one rule of the format
  const file = (header: string, data = 0): Buffer => {
    const h = Buffer.from(header, 'utf8');
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(h.length));
    return Buffer.concat([size, h, Buffer.alloc(data)]);
  };
  const huge = Buffer.alloc(8);
  huge.writeBigUInt64LE(2n ** 40n);
  const CASES: Array<[string, Buffer]> = [
    ['shorter than its length prefix', Buffer.from([1, 2, 3])],
    ['a header length past the end', huge],
    ['a header that is not JSON', file('{"a":')],
    ['a header that is a list', file('[1, 2]')],
    ['an unknown dtype', file('{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}', 16)],
    [
      'a size that does not match the shape',
      file('{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,8]}}', 8),
    ],
    [
      'overlapping tensors',
      file(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
        12,
      ),
    ],
    ['bytes after the last tensor', file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 8)],
  ];
  // One Python process loads every file (each import of torch costs a second or more of CPU): per
  // file, the exception load_safetensors raised, as the last line of its traceback would name it.
  const raised = new Map<string, string | null>();
  beforeAll(async () => {
    const dir = await temp.make();
    const paths = await Promise.all(
      CASES.map(async ([name, bytes], i) => {
        const path = join(dir, `${i}`, 'bad.safetensors');
        await mkdir(join(dir, `${i}`));
        await writeFile(path, bytes);
        return [name, path] as const;
      }),
    );
    const out = python(
      [
        '-c',
        [
          'import sys, json, traceback',
          'sys.path.insert(0, "python")',
          'import seqlab_torch as s',
          'def load(path):',
          '    try:',
          '        s.load_safetensors(path)',
          '    except Exception as e:',
          '        return "".join(traceback.format_exception_only(type(e), e)).strip()',
          '    return None',
          'print(json.dumps([load(path) for path in json.load(sys.stdin)]))',
        ].join('\n'),
      ],
      JSON.stringify(paths.map(([, path]) => path)),
    );
    (JSON.parse(out) as (string | null)[]).forEach((error, i) => {
      raised.set(paths[i][0], error);
    });
  }, 60_000); // starting Python and torch takes seconds
  it.each(CASES.map(([name]) => name))('%s', (name) => {
    const error = raised.get(name);
    expect(error, 'load_safetensors raised').toEqual(expect.any(String));
    expect(error).toMatch(/^seqlab_torch\.FormatError: .*bad\.safetensors: expected/);
  });
});

describe.skipIf(missing !== null)('PyTorch layers in seqlab (loadStateDict of a torch state dict)', () => {
  const cases: Array<{ name: string; cell: 'LSTM' | 'GRU' | 'RNN'; options: Record<string, unknown> }> = [];
  let dir: string;
  beforeAll(async () => {
    dir = await temp.make();
    cases.push(...JSON.parse(python([join(REPO, 'python', 'tests', 'torch_layers.py'), dir])));
  }, 60_000); // starting Python and torch takes seconds

  it('every case of python/tests/torch_layers.py gives torch’s outputs', async () => {
    expect(cases.map((c) => c.name)).toEqual([
      'lstm_bi_2',
      'lstm_proj',
      'lstm_nobias',
      'gru_bi_2',
      'rnn_relu',
      'rnn_tanh_3',
    ]);
    for (const { name, cell, options } of cases) {
      const { tensors } = await loadSafetensorsFile(join(dir, `${name}.safetensors`));
      const take = (key: string) => {
        const t = tensors.get(key) as Tensor;
        tensors.delete(key);
        return t;
      };
      const x = take('input.x');
      const h0 = take('input.h0');
      const c0 = tensors.has('input.c0') ? take('input.c0') : null;
      const y = take('output.y');
      const hn = take('output.hn');
      const cn = tensors.has('output.cn') ? take('output.cn') : null;
      const o = options as Record<string, number | boolean | string>;
      const common = {
        inputSize: o.input_size as number,
        hiddenSize: o.hidden_size as number,
        numLayers: (o.num_layers as number) ?? 1,
        bidirectional: (o.bidirectional as boolean) ?? false,
        bias: (o.bias as boolean) ?? true,
        batchFirst: true,
      };
      const layer =
        cell === 'LSTM'
          ? new LSTM({ ...common, projSize: (o.proj_size as number) ?? 0 })
          : cell === 'GRU'
            ? new GRU(common)
            : new RNN({ ...common, nonlinearity: (o.nonlinearity as 'tanh' | 'relu') ?? 'tanh' });
      // strict: exactly torch's keys, no more, no fewer
      layer.loadStateDict(tensors);
      const result =
        layer instanceof LSTM ? layer.forward(x, [h0, c0 as Tensor]) : (layer as GRU).forward(x, h0);
      const close = (a: Tensor, b: Tensor, what: string) => {
        expect(a.shape, `${name} ${what}`).toEqual(b.shape);
        const d = a.sub(b).abs().max().item();
        expect(d, `${name} ${what}`).toBeLessThanOrEqual(1e-5);
      };
      close(result.output as Tensor, y, 'output');
      close(result.hN, hn, 'h_n');
      if (cn) close((result as unknown as { cN: Tensor }).cN, cn, 'c_n');
    }
  });
});
