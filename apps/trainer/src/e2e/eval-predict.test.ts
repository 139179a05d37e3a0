// End-to-end: `seqlab eval` and `seqlab predict` on a run trained here (tiny LSTM, CSV train file,
// JSONL test file), in text and JSON output.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, lines, readJsonFile, requireBuiltCli, runCli, TempDirs, TINY } from './cli-harness';

const temp = new TempDirs();
let run: string;
let metrics: {
  test: { accuracy: number; macro_f1: number; loss: number; confusion_matrix: number[][]; examples: number };
};
const LABELS = ['sports', 'food', 'weather'];

beforeAll(async () => {
  requireBuiltCli();
  run = join(await temp.make(), 'run');
  // The test split is a file, so eval on that file must reproduce train's test metrics exactly.
  const r = await runCli([
    '--quiet',
    'train',
    '--train',
    fixture('topics.csv'),
    '--test',
    fixture('topics.jsonl'),
    ...TINY,
    '--out',
    run,
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  metrics = await readJsonFile(join(run, 'metrics.json'));
});
afterAll(() => temp.cleanup());

describe.concurrent('seqlab eval', () => {
  it("reproduces train's test metrics on the same file (text output)", async () => {
    const r = await runCli(['eval', '--run', run, '--data', fixture('topics.jsonl')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const t = metrics.test;
    const [head, ...rows] = lines(r.stdout);
    expect(head).toBe(
      `accuracy ${t.accuracy.toFixed(4)}  macro-F1 ${t.macro_f1.toFixed(4)}  loss ${t.loss.toFixed(4)}  (72 examples)`,
    );
    expect(t.examples).toBe(72);
    expect(rows).toHaveLength(3);
    rows.forEach((row, i) => {
      const [name, ...counts] = row.trim().split(/\s+/);
      expect(name).toBe(LABELS[i]);
      expect(counts.map(Number)).toEqual(t.confusion_matrix[i]);
    });
  });

  it('--log-format json prints one eval event with the same numbers', async () => {
    const r = await runCli(['--log-format', 'json', 'eval', '--run', run, '--data', fixture('topics.jsonl')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(1);
    const event = JSON.parse(out[0]);
    expect(event).toEqual({
      event: 'eval',
      run,
      data: fixture('topics.jsonl'),
      examples: 72,
      accuracy: metrics.test.accuracy,
      macro_f1: metrics.test.macro_f1,
      loss: metrics.test.loss,
      confusion_matrix: metrics.test.confusion_matrix,
      labels: LABELS,
    });
  });

  it('reads a CSV too (every row counted once)', async () => {
    const r = await runCli(['--log-format', 'json', 'eval', '--run', run, '--data', fixture('topics.csv')]);
    expect(r.code).toBe(0);
    const event = JSON.parse(r.stdout);
    expect(event.examples).toBe(90);
    expect(event.confusion_matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(90);
    expect(event.confusion_matrix.map((row: number[]) => row.reduce((a, b) => a + b, 0))).toEqual([
      30, 30, 30,
    ]);
  });
});

describe.concurrent('seqlab predict', () => {
  const texts = ['the team scored a late goal', 'rain and a cold wind all day', 'spicy soup and fresh bread'];

  it('labels texts given as arguments: label, probability, text', async () => {
    const r = await runCli(['predict', '--run', run, ...texts]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(3);
    out.forEach((line, i) => {
      const [label, p, text] = line.split('\t');
      expect(LABELS).toContain(label);
      expect(Number(p)).toBeGreaterThanOrEqual(0.333); // the most likely of 3 classes
      expect(Number(p)).toBeLessThanOrEqual(1);
      expect(text).toBe(texts[i]);
    });
  });

  it('--json: label and probabilities (summing to 1, the label the most likely), same for stdin lines', async () => {
    const args = await runCli(['predict', '--run', run, '--json', ...texts]);
    // stdin: one text per line; blank lines are skipped.
    const stdin = await runCli(['predict', '--run', run, '--json'], {
      input: `${texts[0]}\n\n${texts[1]}\n${texts[2]}\n`,
    });
    for (const r of [args, stdin]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    expect(stdin.stdout).toBe(args.stdout);
    const rows = lines(args.stdout).map(
      (l) => JSON.parse(l) as { text: string; label: string; probabilities: Record<string, number> },
    );
    expect(rows.map((p) => p.text)).toEqual(texts);
    for (const p of rows) {
      expect(Object.keys(p.probabilities)).toEqual(LABELS);
      const values = Object.values(p.probabilities);
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      for (const v of values) expect(v).toBeGreaterThan(0);
      expect(p.probabilities[p.label]).toBe(Math.max(...values));
    }
  });

  it('agrees with eval: the predicted labels give the confusion matrix eval reports', async () => {
    // The test file's rows through predict (stdin) vs train's confusion matrix on the same file.
    const rows = lines(await readFile(fixture('topics.jsonl'), 'utf8')).map(
      (l) => JSON.parse(l) as { text: string; label: string },
    );
    const r = await runCli(['predict', '--run', run, '--json'], {
      input: rows.map((x) => x.text).join('\n'),
    });
    expect(r.code).toBe(0);
    const predicted = lines(r.stdout).map((l) => (JSON.parse(l) as { label: string }).label);
    expect(predicted).toHaveLength(rows.length);
    const cm = LABELS.map(() => LABELS.map(() => 0));
    rows.forEach((row, i) => {
      cm[LABELS.indexOf(row.label)][LABELS.indexOf(predicted[i])]++;
    });
    expect(cm).toEqual(metrics.test.confusion_matrix);
  });
});
