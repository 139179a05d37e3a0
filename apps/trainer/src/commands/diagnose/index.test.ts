import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { buildTextEncoder, TextClassifier } from '@seqlab/classifier';
import { LabelMap } from '@seqlab/data';
import { Linear, LSTM, LSTMCell, RNN } from '@seqlab/layers';
import { ConfigError, manualSeed, randn, type Tensor } from '@seqlab/tensor';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseTrainConfig } from '../../config';
import { GATES, gateActivations } from '../../diagnostics/gate-activations';
import {
  GRADIENT_FLOW_DEFAULTS,
  type GradientFlowOptions,
  type GradientFlowResult,
  measureGradientFlow,
  relativeByDistance,
  stepNorms,
  tableDistances,
} from '../../diagnostics/gradient-flow';
import { gradientTable, sci } from '../../diagnostics/gradient-report';
import { gateHeatmapSvg, gateHeatmapText } from '../../diagnostics/heatmap';
import { loadRun } from '../../run';
import { runPath, writeJson, writeStateDict } from '../../run-dir';
import { gatesCommand, gradientsCommand } from './index';

const small: GradientFlowOptions = {
  ...GRADIENT_FLOW_DEFAULTS,
  length: 20,
  hidden: 16,
  seeds: 2,
  trainSteps: 0,
};

/** Mean over rows [B, F] of the L2 norm over F. */
function meanRowNorm(g: Tensor): number {
  const [B, F] = g.shape;
  let s = 0;
  for (let b = 0; b < B; b++) {
    let q = 0;
    for (let k = 0; k < F; k++) q += g.data[b * F + k] ** 2;
    s += Math.sqrt(q);
  }
  return s / B;
}

/**
 * Captures console.log lines while `fn` runs, without ANSI colors: the heatmap is colored whenever
 * picocolors says so, which FORCE_COLOR (set by many CI runners) turns on even on a pipe.
 */
async function captureLog(fn: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(stripVTControlCharacters(args.join(' ')));
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

describe('stepNorms', () => {
  it("matches the reference's step-by-step loop rebuilt with LSTMCell and autograd", () => {
    // The reference runs nn.LSTM one step at a time and keeps h.grad and c.grad. In that loop
    // c_t's only consumer is the next step, so we feed the next step an identity copy of c_t and
    // read that copy's gradient: the cell-path gradient, without the h_t path.
    const [B, T, I, H] = [3, 12, 5, 6];
    manualSeed(7);
    const lstm = new LSTM({ inputSize: I, hiddenSize: H, batchFirst: true, forgetBias: 1 });
    const head = new Linear(H, 1);
    const x = randn([B, T, I]);
    const ours = stepNorms(lstm, head, x);

    const cell = new LSTMCell({ inputSize: I, hiddenSize: H });
    cell.loadStateDict(new Map([...lstm.stateDict()].map(([k, v]) => [k.replace('_l0', ''), v])));
    let h: Tensor | undefined;
    let c: Tensor | undefined;
    const hs: Tensor[] = [];
    const links: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const state = h && c ? { h, c } : {};
      const next = cell.forward(x.select(1, t), state);
      h = next.h.retainGrad();
      hs.push(h);
      if (t < T - 1) {
        c = next.c.mul(1).retainGrad();
        links.push(c);
      }
    }
    head
      .forward(h as Tensor)
      .pow(2)
      .mean()
      .backward();
    const dh = hs.map((v) => meanRowNorm(v.grad as Tensor));
    const dc = links.map((v) => meanRowNorm(v.grad as Tensor));
    expect(ours.dh).toHaveLength(T);
    expect(ours.dc).toHaveLength(T - 1);
    for (let t = 0; t < T; t++) expect(ours.dh[t]).toBeCloseTo(dh[t], 5);
    for (let t = 0; t < T - 1; t++) expect((ours.dc as number[])[t]).toBeCloseTo(dc[t], 5);
  });

  it('leaves the layer as it found it (no tracking, no gradients)', () => {
    manualSeed(1);
    const rnn = new RNN({ inputSize: 4, hiddenSize: 5, batchFirst: true });
    const r = stepNorms(rnn, new Linear(5, 1), randn([2, 6, 4]));
    expect(r.dc).toBeNull();
    expect(rnn.trackGradients).toBe(false);
    expect(rnn.parameters().every((p) => p.grad === null || p.grad.data.every((v) => v === 0))).toBe(true);
  });
});

describe('relativeByDistance', () => {
  it('averages the seeds per step first, then divides by the last step, listed by distance', () => {
    // Means per step: [3, 2, 4]; relative to the last (4): distance 0 -> 1, 1 -> 0.5, 2 -> 0.75.
    const r = relativeByDistance([
      [2, 1, 6],
      [4, 3, 2],
    ]);
    expect(r.atLoss).toBe(4);
    expect(r.relative).toEqual([1, 0.5, 0.75]);
  });
});

describe('measureGradientFlow (T 20, hidden 16, 2 seeds, at init)', () => {
  let plain: GradientFlowResult;
  let biased: GradientFlowResult;
  beforeAll(() => {
    plain = measureGradientFlow(small);
    biased = measureGradientFlow({ ...small, forgetBias: 2 });
  });
  const get = (r: GradientFlowResult, name: string) => {
    const s = r.series.find((x) => x.name === name && x.phase === 'init');
    if (!s) throw new Error(`no series ${name}`);
    return s.relative;
  };

  it("has the reference's rows, lengths and distance 0 = 1", () => {
    expect(plain.series.map((s) => s.name)).toEqual(['rnn dL/dh', 'gru dL/dh', 'lstm dL/dh', 'lstm dL/dc']);
    for (const s of plain.series) {
      expect(s.relative).toHaveLength(s.path === 'dc' ? 19 : 20);
      expect(s.relative[0]).toBe(1);
      expect(s.atLoss).toBeGreaterThan(0);
    }
    expect(plain.training).toEqual([]);
  });

  it('decays with distance for RNN, GRU and the default LSTM', () => {
    for (const name of ['rnn dL/dh', 'gru dL/dh', 'lstm dL/dh', 'lstm dL/dc']) {
      const r = get(plain, name);
      for (let d = 0; d + 5 < 19; d += 5) expect(r[d + 5]).toBeLessThan(r[d]);
    }
  });

  it("keeps the LSTM's cell path open with forget bias 2, and only then", () => {
    const rnn = get(plain, 'rnn dL/dh')[15];
    const cellDefault = get(plain, 'lstm dL/dc')[15];
    const cellBiased = get(biased, 'lstm dL/dc')[15];
    expect(rnn).toBeLessThan(1e-3);
    expect(cellDefault).toBeLessThan(1e-2);
    expect(cellBiased).toBeGreaterThan(0.1);
    expect(cellBiased).toBeGreaterThan(100 * rnn);
    expect(cellBiased).toBeGreaterThan(20 * cellDefault);
  });

  it('reports the mean forget gate: σ(≈0) ≈ 0.5 at PyTorch init, σ(2) ≈ 0.88 with forget bias 2', () => {
    const forget = (r: GradientFlowResult) => r.series.find((s) => s.path === 'dc')?.meanForgetGate;
    expect(forget(plain)).toBeCloseTo(0.5, 1);
    expect(forget(biased)).toBeCloseTo(1 / (1 + Math.exp(-2)), 1);
    expect(plain.series.filter((s) => s.meanForgetGate !== undefined).map((s) => s.name)).toEqual([
      'lstm dL/dc',
    ]);
  });

  it('changes only the LSTM when the forget bias changes (same draws for the others)', () => {
    expect(get(biased, 'rnn dL/dh')).toEqual(get(plain, 'rnn dL/dh'));
    expect(get(biased, 'gru dL/dh')).toEqual(get(plain, 'gru dL/dh'));
    expect(get(biased, 'lstm dL/dh')).not.toEqual(get(plain, 'lstm dL/dh'));
  });

  it('trains briefly and probes again when trainSteps > 0', () => {
    const steps: number[] = [];
    const r = measureGradientFlow({
      ...small,
      length: 8,
      hidden: 6,
      batch: 4,
      seeds: 1,
      models: ['gru'],
      trainSteps: 5,
      onTrainStep: (e) => steps.push(e.step),
    });
    expect(steps).toEqual([0, 1, 2, 3, 4]);
    expect(r.series.map((s) => `${s.name} ${s.phase}`)).toEqual(['gru dL/dh init', 'gru dL/dh trained']);
    expect(r.series[1].relative).not.toEqual(r.series[0].relative);
    expect(r.training[0].model).toBe('gru');
    expect(r.training[0].lastLoss).toBeGreaterThan(0);
  });

  it('rejects sizes a user can get wrong', () => {
    expect(() => measureGradientFlow({ ...small, length: 2 })).toThrow(/--length an integer ≥ 3/);
    expect(() => measureGradientFlow({ ...small, input: 1, trainSteps: 5 })).toThrow(
      /--input an integer ≥ 2 \(the adding problem/,
    );
    expect(() => measureGradientFlow({ ...small, models: [] })).toThrow(ConfigError);
  });
});

describe('gradient table', () => {
  it("prints numbers the way the reference's Python does", () => {
    expect(sci(4.22e-6)).toBe('4.22e-06');
    expect(sci(1)).toBe('1.00e+00');
    expect(sci(0.267)).toBe('2.67e-01');
    expect(sci(1.5e-13)).toBe('1.50e-13');
  });

  it('shows the distances that exist for T', () => {
    expect(tableDistances(50)).toEqual([0, 1, 2, 5, 10, 20, 30, 40, 48]);
    expect(tableDistances(12)).toEqual([0, 1, 2, 5, 10]);
    const table = gradientTable(
      [
        {
          model: 'rnn',
          path: 'dh',
          phase: 'init',
          name: 'rnn dL/dh',
          relative: [1, 0.5, 0.25, 0.1, 0.05, 0.01],
          atLoss: 2,
        },
      ],
      7,
    );
    expect(table.split('\n')).toEqual([
      'distance             0         1         2         5',
      'rnn dL/dh     1.00e+00  5.00e-01  2.50e-01  1.00e-02',
    ]);
  });
});

describe('gradientsCommand', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seqlab-diagnose-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const tiny = { length: 8, hidden: 6, input: 4, batch: 3, seeds: 1, trainSteps: 3 };

  it('prints both tables and writes the plot', async () => {
    const svg = join(dir, 'grad.svg');
    const out = await captureLog(() => gradientsCommand({ ...tiny, forgetBias: 1, svg }));
    expect(out).toContain('at initialisation');
    expect(out).toContain('after 3 Adam steps on the adding problem');
    expect(out).toMatch(/^lstm dL\/dc {3}.*$/m);
    expect(out.match(/^distance {13}0 {9}1 {9}2 {9}5$/gm)).toHaveLength(2);
    expect(out).toContain('LSTM forget bias 1');
    const file = await readFile(svg, 'utf8');
    expect(file.startsWith('<svg')).toBe(true);
    expect(file).toContain('lstm dL/dc (trained)');
    expect(file).toContain('rnn dL/dh (init)');
  });

  it('--json: one line per model, path and phase', async () => {
    const out = await captureLog(() => gradientsCommand({ ...tiny, models: 'lstm,rnn', json: true }));
    const events = out.split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => `${e.series} ${e.phase}`)).toEqual([
      'lstm dL/dh init',
      'lstm dL/dc init',
      'rnn dL/dh init',
      'lstm dL/dh trained',
      'lstm dL/dc trained',
      'rnn dL/dh trained',
    ]);
    expect(events[0].relative_by_distance).toHaveLength(8);
    expect(events[1].relative_by_distance).toHaveLength(7);
    expect(events[1].mean_forget_gate).toBeGreaterThan(0);
    expect(events[0]).not.toHaveProperty('mean_forget_gate');
    expect(events[3].train_steps).toBe(3);
    expect(events[3].train_loss_last).toBeGreaterThan(0);
  });

  it('names the bad flag (exit code 2 through ConfigError)', async () => {
    await expect(gradientsCommand({ models: 'rnn,transformer' })).rejects.toThrow(ConfigError);
    await expect(gradientsCommand({ models: 'rnn,transformer' })).rejects.toThrow(/--models\[1\]/);
    await expect(gradientsCommand({ length: 'long' })).rejects.toThrow(/--length: expected number/);
    await expect(gradientsCommand({ trainSteps: -1 })).rejects.toThrow(/--train-steps/);
    await expect(gradientsCommand({ ...tiny, input: 1 })).rejects.toThrow(/--input an integer ≥ 2/);
  });
});

describe('diagnose gates', () => {
  let dir: string;
  const texts = [
    { text: 'the cat sat on the mat', label: 0 },
    { text: 'free money now click here', label: 1 },
  ];
  async function makeRun(name: string, model: 'lstm' | 'gru', layers = 1): Promise<string> {
    const runDir = join(dir, name);
    await mkdir(runDir);
    const config = parseTrainConfig({
      model,
      layers,
      hidden: 8,
      embed: 6,
      bidirectional: layers > 1,
      minFreq: 1,
    });
    const encoder = buildTextEncoder(config, texts);
    manualSeed(3);
    const m = new TextClassifier(config, encoder.vocabSize, 2);
    await writeJson(runPath(runDir, 'config'), config);
    await writeJson(runPath(runDir, 'tokenizer'), encoder.toJSON());
    await writeJson(runPath(runDir, 'labels'), {
      names: ['ham', 'spam'],
      map: new LabelMap(['ham', 'spam']).toJSON(),
    });
    await writeStateDict(runPath(runDir, 'model'), m.stateDict());
    return runDir;
  }
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seqlab-gates-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('takes the forget, input and output blocks of the gates (checked by hand at the first token)', async () => {
    const run = await loadRun(await makeRun('one-layer', 'lstm'));
    const acts = gateActivations(run.model, run.encoder, 'the cat sat');
    expect(acts.tokens).toEqual(['the', 'cat', 'sat']);
    // With h_0 = 0 the first token's gates are σ(W_ih e + b_ih + b_hh), block b of 8 rows.
    const sd = run.model.stateDict();
    const [W, bi, bh, E] = [
      'lstm.weight_ih_l0',
      'lstm.bias_ih_l0',
      'lstm.bias_hh_l0',
      'embedding.weight',
    ].map((k) => sd.get(k) as Tensor);
    const e = Array.from(E.data.subarray(acts.ids[0] * 6, acts.ids[0] * 6 + 6));
    const gateMean = (block: number) => {
      let s = 0;
      for (let u = 0; u < 8; u++) {
        const r = block * 8 + u;
        let z = bi.data[r] + bh.data[r];
        for (let k = 0; k < 6; k++) z += W.data[r * 6 + k] * e[k];
        s += 1 / (1 + Math.exp(-z));
      }
      return s / 8;
    };
    expect(acts.mean.forget[0]).toBeCloseTo(gateMean(1), 5);
    expect(acts.mean.input[0]).toBeCloseTo(gateMean(0), 5);
    expect(acts.mean.output[0]).toBeCloseTo(gateMean(3), 5);
    expect(acts.units.forget[2]).toHaveLength(8);
  });

  it('prints a heatmap with one strip per gate and one line per token', async () => {
    const runDir = await makeRun('two-layers', 'lstm', 2);
    const svg = join(dir, 'gates.svg');
    const out = await captureLog(() =>
      gatesCommand(['free', 'money,', 'unseen!'], { run: runDir, svg, units: true }),
    );
    expect(out).toContain('LSTM gates of layer 2 (forward direction), mean over 8 hidden units');
    for (const g of GATES)
      expect(out).toMatch(new RegExp(`^ {2}${g.symbol} {2}\\S{3} {2}0\\.\\d\\d–0\\.\\d\\d$`, 'm'));
    expect(out).toMatch(/^ {3}1 {2}free /m);
    expect(out).toMatch(/^ {3}3 {2}unseen .*\(unk\)$/m);
    const file = await readFile(svg, 'utf8');
    expect(file.startsWith('<svg')).toBe(true);
    // 3 gates × 3 tokens of means, plus 3 gates × 3 tokens × 8 units.
    expect(file.match(/<rect [^>]*><title>/g)).toHaveLength(9);
    expect(file).toContain('forget gate, each of the 8 units');
  });

  it('--json gives the means per token', async () => {
    const runDir = await makeRun('json', 'lstm');
    const out = await captureLog(() => gatesCommand(['the mat'], { run: runDir, json: true }));
    const j = JSON.parse(out);
    expect(j.tokens).toEqual(['the', 'mat']);
    for (const g of ['forget', 'input', 'output']) {
      expect(j[g]).toHaveLength(2);
      for (const v of j[g]) expect(v > 0 && v < 1).toBe(true);
    }
  });

  it('refuses a run whose model is not an LSTM, and a text without tokens', async () => {
    const gru = await makeRun('gru', 'gru');
    await expect(gatesCommand(['the cat'], { run: gru })).rejects.toThrow(
      /diagnose gates: expected a run whose model is an LSTM, got model gru/,
    );
    const lstm = await makeRun('empty', 'lstm');
    await expect(gatesCommand(['!!!'], { run: lstm })).rejects.toThrow(/a text with at least one token/);
    await expect(gatesCommand([], { run: lstm })).rejects.toThrow(ConfigError);
    await expect(gatesCommand(['x'], {})).rejects.toThrow(/--run/);
  });

  it('renders without colors and escapes tokens in the SVG', () => {
    const acts = {
      tokens: ['<a&b>', ' '],
      ids: [5, 1],
      layer: 0,
      direction: 0,
      hidden: 2,
      mean: { forget: [0.05, 0.95], input: [0.5, 0.5], output: [0.3, 0.7] },
      units: {
        forget: [
          [0, 0.1],
          [0.9, 1],
        ],
        input: [
          [0.5, 0.5],
          [0.5, 0.5],
        ],
        output: [
          [0.3, 0.3],
          [0.7, 0.7],
        ],
      },
    };
    const text = gateHeatmapText(acts, { colors: false });
    expect(text).toMatch(/^ {2}f {2}·█ {2}0\.05–0\.95$/m);
    expect(text).toContain('␠');
    const svg = gateHeatmapSvg(acts);
    expect(svg).toContain('&lt;a&amp;b&gt;');
    expect(svg).not.toContain('<a&b>');
  });
});
