// End-to-end: `seqlab export --run DIR --format onnx` on trained runs of every model kind, run by
// ONNX Runtime (onnxruntime-node) on padded batches of real texts: the same probabilities as
// `seqlab predict --json`. When Python's onnx package is installed (apt-get install -y
// python3-onnx), ONNX's own checker validates the files too; otherwise that test is skipped, saying so.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRun } from '../run';
import { type CliResult, lines, REPO, runCli, TempDirs, trainTinyRuns } from './cli-harness';

const TEXTS = [
  'the striker scored a late goal in the stadium',
  'hot tomato soup',
  'rain',
  '',
  'humid and sunny with a chance of pizza',
];

const RUNS: Array<[string, string[]]> = [
  ['biLSTM, 2 layers', ['--model', 'lstm', '--layers', '2', '--bidirectional']],
  ['GRU', ['--model', 'gru', '--layers', '1']],
  ['biRNN, 2 layers', ['--model', 'rnn', '--layers', '2', '--bidirectional']],
  ['bag of embeddings', ['--model', 'bag']],
];

const temp = new TempDirs();
const dirs = new Map<string, string>();
afterAll(() => temp.cleanup());

beforeAll(async () => {
  for (const [name, dir] of await trainTinyRuns(await temp.make(), RUNS)) dirs.set(name, dir);
}, 180_000); // four small trainings, on a busy machine

/**
 * `seqlab export --run RUN --format onnx --out FILE --json` of each run, once: the ONNX Runtime test
 * checks its output and the file, ONNX's checker validates the same file.
 */
const exported = new Map<string, Promise<{ r: CliResult; out: string }>>();
function exportOnce(name: string): Promise<{ r: CliResult; out: string }> {
  if (!exported.has(name)) {
    exported.set(
      name,
      (async () => {
        const out = join(await temp.make(), 'model.onnx');
        const r = await runCli([
          'export',
          '--run',
          dirs.get(name) as string,
          '--format',
          'onnx',
          '--out',
          out,
          '--json',
        ]);
        return { r, out };
      })(),
    );
  }
  return exported.get(name) as Promise<{ r: CliResult; out: string }>;
}

/** The texts as ONNX inputs: ids padded with 0 to the longest, and the lengths. */
async function feeds(run: string): Promise<Record<string, ort.Tensor>> {
  const { encoder } = await loadRun(run);
  const ids = TEXTS.map((text) => encoder.encode(text));
  const T = Math.max(...ids.map((s) => s.length));
  const padded = new BigInt64Array(TEXTS.length * T);
  ids.forEach((s, b) => {
    s.forEach((id, t) => {
      padded[b * T + t] = BigInt(id);
    });
  });
  return {
    input_ids: new ort.Tensor('int64', padded, [TEXTS.length, T]),
    lengths: new ort.Tensor(
      'int32',
      Int32Array.from(ids, (s) => s.length),
      [TEXTS.length],
    ),
  };
}

describe('seqlab export --format onnx', () => {
  it.each(RUNS.map(([name]) => name))(
    '%s: ONNX Runtime gives seqlab predict’s probabilities',
    async (name) => {
      const run = dirs.get(name) as string;
      const { r, out } = await exportOnce(name);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ event: 'export', format: 'onnx', out });

      const predict = await runCli(['predict', '--json', '--run', run, ...TEXTS]);
      expect(predict.code).toBe(0);
      const want = lines(predict.stdout).map(
        (line) => JSON.parse(line) as { probabilities: Record<string, number> },
      );

      const session = await ort.InferenceSession.create(out);
      const got = await session.run(await feeds(run));
      await session.release();
      const probabilities = got.probabilities as ort.Tensor;
      const C = Object.keys(want[0]?.probabilities ?? {}).length;
      expect([...probabilities.dims]).toEqual([TEXTS.length, C]);
      want.forEach((row, b) => {
        Object.values(row.probabilities).forEach((p, c) => {
          // predict prints 6 decimals
          expect(
            Math.abs((probabilities.data as Float32Array)[b * C + c] - p),
            `${TEXTS[b]} class ${c}`,
          ).toBeLessThan(1e-5);
        });
      });
    },
  );

  it('writes DIR/model.onnx by default', async () => {
    const run = dirs.get('GRU') as string;
    const r = await runCli(['export', '--run', run, '--format', 'onnx']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(join(run, 'model.onnx'));
    const session = await ort.InferenceSession.create(join(run, 'model.onnx'));
    expect(session.inputNames).toEqual(['input_ids', 'lengths']);
    expect(session.outputNames).toEqual(['logits', 'probabilities']);
    await session.release();
  });

  it('refuses a missing or unknown --format and an opset out of range, with exit 2', async () => {
    const run = dirs.get('GRU') as string;
    const format = await runCli(['export', '--run', run, '--format', 'tflite']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("export: expected --format onnx, got 'tflite'");
    const opset = await runCli(['export', '--run', run, '--format', 'onnx', '--opset', '9']);
    expect(opset.code).toBe(2);
    expect(opset.stderr).toContain('exportOnnx: expected opset an integer in [14, 21], got 9');
  });
});

const PYTHON = '/usr/bin/python3';
const checker = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
const noChecker = checker.error || checker.status !== 0;
if (noChecker) {
  console.warn(
    `export-onnx.test.ts: ONNX checker skipped: ${PYTHON} has no onnx (apt-get install -y python3-onnx)`,
  );
}

describe.skipIf(noChecker)('ONNX’s own checker', () => {
  it.each(RUNS.map(([name]) => name))(
    '%s: onnx.checker.check_model(full_check=True) passes',
    async (name) => {
      const { r: exportRun, out } = await exportOnce(name);
      expect(exportRun.code).toBe(0);
      const r = spawnSync(
        PYTHON,
        [
          '-c',
          'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print("ok")',
          out,
        ],
        { encoding: 'utf8', cwd: REPO },
      );
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('ok');
    },
  );
});

describe('seqlab bench speed --engine onnxruntime (the built CLI)', () => {
  it('loads onnxruntime-node on demand and times W2 inference of the exported model', async () => {
    const r = await runCli([
      'bench',
      'speed',
      '--engine',
      'onnxruntime',
      '--workload',
      'W2',
      '--steps',
      '1',
      '--warmup',
      '0',
      '--threads',
      '1',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const record = JSON.parse(r.stdout);
    expect(record).toMatchObject({
      workload: 'W2',
      mode: 'infer',
      backend: 'onnxruntime',
      isa: 'onnxruntime-cpu',
      threads: 1,
    });
    expect(record.median_ms).toBeGreaterThan(0);
  });
});
