// exportOnnx against ONNX Runtime: every exported model is run by onnxruntime-node (its CPU
// provider) and must give seqlab's outputs within 1e-5, on padded and variable-length batches.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dropout, Embedding, GRU, Linear, LSTM, Module, ReLU, RNN, Sequential, Tanh } from '@seqlab/layers';
import {
  ConfigError,
  manualSeed,
  packPaddedSequence,
  padPackedSequence,
  randint,
  randn,
  type Tensor,
  tensor,
} from '@seqlab/tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from './index';

type Feeds = Record<string, ort.Tensor>;

async function run(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

const floats = (t: Tensor) =>
  new ort.Tensor('float32', Float32Array.from(t.data as Float32Array), [...t.shape]);

function expectClose(got: ort.Tensor, want: Tensor, what: string): void {
  expect([...got.dims], what).toEqual([...want.shape]);
  const a = got.data as Float32Array;
  const b = want.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  expect(worst, what).toBeLessThanOrEqual(1e-5);
}

interface Case {
  cell: 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';
  layers: number;
  bidirectional: boolean;
  bias: boolean;
  batchFirst: boolean;
  initialState: boolean;
}

// Random configurations from a fixed seed: every cell with every flag at least once.
function cases(): Case[] {
  const out: Case[] = [];
  let s = 12345;
  const bit = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % 2 === 1;
  };
  for (const cell of ['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'] as const) {
    for (let k = 0; k < 4; k++) {
      out.push({
        cell,
        layers: k < 2 ? 1 + k : bit() ? 2 : 3,
        bidirectional: k % 2 === 0 ? true : bit(),
        bias: k === 3 ? false : true,
        batchFirst: k === 1 ? false : bit(),
        initialState: k === 2 ? true : bit(),
      });
    }
  }
  return out;
}

function build(c: Case, inputSize: number, hiddenSize: number): LSTM | GRU | RNN {
  const options = {
    inputSize,
    hiddenSize,
    numLayers: c.layers,
    bidirectional: c.bidirectional,
    bias: c.bias,
    batchFirst: c.batchFirst,
  };
  if (c.cell === 'LSTM') return new LSTM(options);
  if (c.cell === 'GRU') return new GRU(options);
  return new RNN({ ...options, nonlinearity: c.cell === 'RNN_RELU' ? 'relu' : 'tanh' });
}

const name = (c: Case) =>
  `${c.cell} L${c.layers}${c.bidirectional ? ' bi' : ''}${c.bias ? '' : ' no-bias'}${c.batchFirst ? ' batch-first' : ''}${c.initialState ? ' h0' : ''}`;

describe('exportOnnx: recurrent layers in ONNX Runtime', () => {
  it.each(cases().map((c) => [name(c), c] as const))('%s, lengths 7, 3, 5, 1', async (_, c) => {
    manualSeed(3);
    const [I, H, T, B] = [5, 6, 7, 4];
    const layer = build(c, I, H);
    layer.eval();
    const lengths = [7, 3, 5, 1];
    const x = randn(c.batchFirst ? [B, T, I] : [T, B, I]);
    const D = c.bidirectional ? 2 : 1;
    const h0 = randn([c.layers * D, B, H]);
    const c0 = randn([c.layers * D, B, H]);
    const packed = packPaddedSequence(x, lengths, { batchFirst: c.batchFirst, enforceSorted: false });
    const state = c.initialState ? (layer instanceof LSTM ? [h0, c0] : h0) : undefined;
    const result = (layer as LSTM).forward(packed, state as [Tensor, Tensor] | undefined);
    const [output] = padPackedSequence(result.output, { batchFirst: c.batchFirst });

    const bytes = exportOnnx(layer, { initialState: c.initialState });
    const feeds: Feeds = {
      input: floats(x),
      sequence_lens: new ort.Tensor('int32', Int32Array.from(lengths), [B]),
    };
    if (c.initialState) {
      feeds.h0 = floats(h0);
      if (layer instanceof LSTM) feeds.c0 = floats(c0);
    }
    const got = await run(bytes, feeds);
    expectClose(got.output as ort.Tensor, output, 'output');
    expectClose(got.h_n as ort.Tensor, result.hN, 'h_n');
    if (layer instanceof LSTM) expectClose(got.c_n as ort.Tensor, (result as { cN: Tensor }).cN, 'c_n');
  });

  it('without sequence_lens, every sequence runs T steps (a padded tensor forward)', async () => {
    manualSeed(4);
    const lstm = new LSTM({
      inputSize: 3,
      hiddenSize: 4,
      numLayers: 2,
      bidirectional: true,
      batchFirst: true,
    });
    const x = randn([3, 9, 3]);
    const want = lstm.forward(x);
    const got = await run(exportOnnx(lstm, { lengths: false }), { input: floats(x) });
    expectClose(got.output as ort.Tensor, want.output, 'output');
    expectClose(got.h_n as ort.Tensor, want.hN, 'h_n');
    expectClose(got.c_n as ort.Tensor, want.cN, 'c_n');
  });

  it('the batch and sequence axes are dynamic: one model, several shapes', async () => {
    manualSeed(5);
    const gru = new GRU({ inputSize: 2, hiddenSize: 3, batchFirst: true });
    const session = await ort.InferenceSession.create(exportOnnx(gru));
    try {
      for (const [B, T] of [
        [1, 1],
        [2, 11],
        [5, 4],
      ] as const) {
        const x = randn([B, T, 2]);
        const got = await session.run({
          input: floats(x),
          sequence_lens: new ort.Tensor('int32', new Int32Array(B).fill(T), [B]),
        });
        expectClose(got.output as ort.Tensor, gru.forward(x).output, `output B=${B} T=${T}`);
      }
    } finally {
      await session.release();
    }
  });

  it('refuses a projected LSTM, saying why', () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 8, projSize: 4 });
    expect(() => exportOnnx(lstm)).toThrow(ConfigError);
    expect(() => exportOnnx(lstm)).toThrow(
      /exportOnnx: expected an LSTM without projSize, got projSize 4\. ONNX/,
    );
  });

  it('refuses an opset below 14 or above 21', () => {
    const rnn = new RNN({ inputSize: 2, hiddenSize: 2 });
    expect(() => exportOnnx(rnn, { opset: 13 })).toThrow(/expected opset an integer in \[14, 21\], got 13/);
    expect(() => exportOnnx(rnn, { opset: 22 })).toThrow(ConfigError);
  });
});

describe('exportOnnx: Embedding, Linear and Sequential in ONNX Runtime', () => {
  it('Sequential(Embedding, Linear, ReLU, Dropout, Linear, Tanh) on int64 and int32 ids', async () => {
    manualSeed(6);
    const model = new Sequential(
      new Embedding(50, 8),
      new Linear(8, 16),
      new ReLU(),
      new Dropout(0.5),
      new Linear(16, 3),
      new Tanh(),
    );
    model.eval();
    const ids = randint(0, 50, [4, 6]);
    const want = model.forward(ids);
    const i64 = new ort.Tensor(
      'int64',
      BigInt64Array.from(ids.data as Int32Array, (v) => BigInt(v)),
      [4, 6],
    );
    expectClose((await run(exportOnnx(model), { input: i64 })).output as ort.Tensor, want, 'int64 ids');
    const i32 = new ort.Tensor('int32', Int32Array.from(ids.data as Int32Array), [4, 6]);
    expectClose(
      (await run(exportOnnx(model, { idsType: 'int32' }), { input: i32 })).output as ort.Tensor,
      want,
      'int32 ids',
    );
  });

  it('a Linear without bias, and a Linear on its own', async () => {
    manualSeed(7);
    const mlp = new Sequential(new Linear(5, 4, { bias: false }), new ReLU(), new Linear(4, 2));
    const x = randn([3, 5]);
    expectClose(
      (await run(exportOnnx(mlp), { input: floats(x) })).output as ort.Tensor,
      mlp.forward(x),
      'mlp',
    );
    const fc = new Linear(5, 7);
    expectClose((await run(exportOnnx(fc), { input: floats(x) })).output as ort.Tensor, fc.forward(x), 'fc');
  });

  it('refuses what it cannot export, naming the layer', () => {
    expect(() => exportOnnx(new Sequential(new Linear(2, 2), new Embedding(3, 2)))).toThrow(
      /expected an Embedding only as the first layer, got an Embedding at position 1/,
    );
    const odd = new Sequential(new Linear(2, 2), new (class Square extends Linear {})(2, 2));
    expect(() => exportOnnx(odd)).not.toThrow(); // a subclass of Linear is a Linear
    expect(() => exportOnnx(new Scale())).toThrow(/expected layer 0 to be Embedding \(first\), Linear/);
  });
});

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
const noChecker = Boolean(probe.error) || probe.status !== 0;
if (noChecker)
  console.warn(
    `export.test.ts: ONNX checker skipped: ${PYTHON} has no onnx (apt-get install -y python3-onnx)`,
  );

describe.skipIf(noChecker)('ONNX’s own checker (onnx.checker.check_model, full_check)', () => {
  it('passes every recurrent case and a Sequential, at opsets 14 and 17', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqlab-onnx-'));
    try {
      const files: string[] = [];
      for (const opset of [14, 17]) {
        cases().forEach((c, i) => {
          const file = join(dir, `case${i}-${opset}.onnx`);
          writeFileSync(file, exportOnnx(build(c, 3, 4), { opset, initialState: c.initialState }));
          files.push(file);
        });
        const mlp = join(dir, `mlp-${opset}.onnx`);
        writeFileSync(
          mlp,
          exportOnnx(new Sequential(new Embedding(9, 4), new Linear(4, 2), new ReLU()), { opset }),
        );
        files.push(mlp);
      }
      const r = spawnSync(
        PYTHON,
        [
          '-c',
          'import onnx, sys\nfor f in sys.argv[1:]: onnx.checker.check_model(onnx.load(f), full_check=True)\nprint(len(sys.argv) - 1)',
          ...files,
        ],
        { encoding: 'utf8' },
      );
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(String(files.length));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A module exportOnnx does not know. */
class Scale extends Module {
  forward(x: Tensor): Tensor {
    return x.mul(tensor(2));
  }
}
