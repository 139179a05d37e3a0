import { readFileSync } from 'node:fs';
import { addingProblem } from '@seqlab/data';
import { ConfigError, manualSeed, randn, TorchGenerator } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { type BenchIO, benchLongRangeCommand, longRangeTable } from './index';
import { ADDING_DEFAULTS, AddingModel, type AddingResult, runAddingProblem } from './long-range';
import { LongRangeFlagsSchema, parseFlags } from './options';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  const io: BenchIO = { out: (l) => out.push(l), err: (l) => err.push(l), status: null };
  return { out, err, io };
};

/** T = 10, 30 steps, a test evaluation every 10: the tiny settings (hidden 8 for speed). */
const TINY = { lengths: '10', steps: 30, evalEvery: 10, hidden: 8, testSize: 200 };

describe('runAddingProblem', () => {
  it('follows adding_problem.py: fixed test set, baseline of predicting 1, curve every evalEvery steps', () => {
    const evals: number[] = [];
    const r = runAddingProblem('rnn', 10, { ...ADDING_DEFAULTS, steps: 25, evalEvery: 10, hidden: 8 }, (s) =>
      evals.push(s),
    );
    // The test set is the reference's (its own generator, seed 10000 + T), so the baseline is exactly
    // its MSE against 1.
    const { target } = addingProblem(1000, 10, { generator: new TorchGenerator(10_010) });
    const baseline = Array.from(target.data).reduce((s, y) => s + (y - 1) ** 2, 0) / 1000;
    expect(r.baseline_mse).toBeCloseTo(baseline, 5);
    expect(r.baseline_mse).toBeCloseTo(1 / 6, 1);
    expect(evals).toEqual([10, 20, 25]);
    expect(r.curve.map(([s]) => s)).toEqual([10, 20, 25]);
    expect(r.curve[2][1]).toBeCloseTo(r.final_test_mse, 5);
    expect(r).toMatchObject({ cell: 'rnn', T: 10, steps_run: 25, time_limited: false });
    expect(r['steps_to_mse_below_0.05']).toBeNull();
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const options = { ...ADDING_DEFAULTS, steps: 3, evalEvery: 3, hidden: 8, testSize: 50 };
    const a = runAddingProblem('gru', 10, options).final_test_mse;
    expect(runAddingProblem('gru', 10, options).final_test_mse).toBe(a);
    expect(runAddingProblem('gru', 10, { ...options, seed: 1 }).final_test_mse).not.toBe(a);
  });

  it('stops at the time limit and still reports a final test MSE', () => {
    const r = runAddingProblem('lstm', 10, { ...ADDING_DEFAULTS, steps: 1000, hidden: 8, timeLimit: 1e-6 });
    expect(r).toMatchObject({ steps_run: 1, time_limited: true, curve: [] });
    expect(Number.isFinite(r.final_test_mse)).toBe(true);
  });

  it('predicts from the last time step with a Linear(H, 1) head, as AddingModel', () => {
    manualSeed(0);
    const model = new AddingModel('lstm', 5);
    expect([...model.stateDict().keys()]).toEqual([
      'rnn.weight_ih_l0',
      'rnn.weight_hh_l0',
      'rnn.bias_ih_l0',
      'rnn.bias_hh_l0',
      'head.weight',
      'head.bias',
    ]);
    expect(model.rnn.stateDict().get('weight_ih_l0')?.shape).toEqual([20, 2]);
    const x = randn([3, 7, 2]);
    const { output } = model.rnn.forward(x);
    expect(model.forward(x).toArray()).toEqual(model.head.forward(output.select(1, 6)).toArray());
  });
});

describe('seqlab bench long-range', () => {
  it('prints a table with one row per model and length', async () => {
    const { out, err, io } = capture();
    expect(await benchLongRangeCommand({ ...TINY, models: 'rnn,gru' }, {}, io)).toBe(0);
    const lines = out.join('\n').split('\n');
    expect(lines[0]).toMatch(
      /^model\s+T\s+steps\s+final test MSE\s+baseline MSE\s+steps to <0.05\s+steps to <0.01\s+wall s$/,
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^rnn\s+10\s+30\s+0\.\d{5}\s+0\.1\d{4}\s+(-|\d+)\s+(-|\d+)\s+\d+\.\d$/);
    expect(lines[2]).toMatch(/^gru\s+10\s+30\s/);
    expect(err.some((l) => l.startsWith('rnn T=10: 30 steps'))).toBe(true);
  });

  it('prints one JSON line per run with --json', async () => {
    const { out, err, io } = capture();
    await benchLongRangeCommand({ ...TINY, models: 'lstm', json: true }, {}, io);
    expect(err).toEqual([]);
    expect(out).toHaveLength(1);
    const r = JSON.parse(out[0]) as AddingResult;
    expect(Object.keys(r).sort()).toEqual(
      [
        'cell',
        'T',
        'steps_run',
        'final_test_mse',
        'baseline_mse',
        'steps_to_mse_below_0.05',
        'steps_to_mse_below_0.01',
        'wall_s',
        'time_limited',
        'loadavg_1m',
        'curve',
      ].sort(),
    );
    expect(r).toMatchObject({ cell: 'lstm', T: 10, steps_run: 30 });
    expect(r.curve.map(([s]) => s)).toEqual([10, 20, 30]);
  });

  it('marks runs cut short by --time-limit', () => {
    const r: AddingResult = {
      cell: 'lstm',
      T: 100,
      steps_run: 812,
      final_test_mse: 0.04321,
      baseline_mse: 0.16701,
      'steps_to_mse_below_0.05': 800,
      'steps_to_mse_below_0.01': null,
      wall_s: 300.04,
      time_limited: true,
      loadavg_1m: 2,
      curve: [],
    };
    expect(longRangeTable([r]).split('\n')[1]).toMatch(
      /^lstm\s+100\s+812\*\s+0\.04321\s+0\.16701\s+800\s+-\s+300\.0$/,
    );
  });

  it('defaults to the issue’s lengths and models and the reference’s training settings', () => {
    expect(parseFlags('bench long-range', LongRangeFlagsSchema, {})).toEqual({
      lengths: [10, 50, 100, 200],
      models: ['rnn', 'gru', 'lstm'],
      steps: 3000,
      evalEvery: 100,
      hidden: 64,
      batch: 64,
      lr: 1e-3,
      seed: 0,
      testSize: 1000,
      timeLimit: 0,
      json: false,
    });
    expect(
      parseFlags('bench long-range', LongRangeFlagsSchema, { lengths: '50, 100', models: 'lstm' }),
    ).toMatchObject({ lengths: [50, 100], models: ['lstm'] });
  });

  it('rejects bad flags with a ConfigError naming each one', async () => {
    const { io } = capture();
    const run = (flags: Record<string, unknown>) => benchLongRangeCommand(flags, {}, io);
    await expect(run({ lengths: '1' })).rejects.toThrow(ConfigError);
    await expect(run({ lengths: '10,x' })).rejects.toThrow(/--lengths: .*\(given "10,x"\)/);
    await expect(run({ models: 'rnn,tcn' })).rejects.toThrow(/--models: .*"lstm".*\(given "rnn,tcn"\)/);
    await expect(run({ timeLimit: -1 })).rejects.toThrow(/--time-limit: .*\(given -1\)/);
  });
});

describe('runAddingProblem against adding_problem.py itself (same data and weights: TorchGenerator)', () => {
  // tools/fixtures/gen_adding.py ran the reference's `run` at these settings, one thread.
  interface Run {
    cell: 'rnn' | 'gru' | 'lstm';
    T: number;
    seed: number;
    curve: [number, number][];
    final_test_mse: number;
    baseline_mse: number;
  }
  const reference: {
    settings: { hidden: number; steps: number; batch_size: number; test_size: number; eval_every: number };
    runs: Run[];
  } = JSON.parse(readFileSync(new URL('../../../fixtures/adding-problem.json', import.meta.url), 'utf8'));
  const s = reference.settings;
  const options = {
    ...ADDING_DEFAULTS,
    hidden: s.hidden,
    steps: s.steps,
    batch: s.batch_size,
    testSize: s.test_size,
    evalEvery: s.eval_every,
  };

  for (const want of reference.runs) {
    it(`${want.cell} at T = ${want.T}, seed ${want.seed}: the baseline, the curve and the final MSE`, () => {
      const got = runAddingProblem(want.cell, want.T, { ...options, seed: want.seed });
      // The test set is the reference's, bit for bit, so its baseline is too (up to float32 summation).
      expect(Math.abs(got.baseline_mse / want.baseline_mse - 1)).toBeLessThan(1e-6);
      // 60 steps of Adam on the same batches from the same weights: float32 rounding only.
      expect(got.curve.map(([step]) => step)).toEqual(want.curve.map(([step]) => step));
      for (const [i, [, mse]] of got.curve.entries())
        expect(mse, `step ${want.curve[i][0]}`).toBeCloseTo(want.curve[i][1], 4);
      // Measured: at most 6.9e-7 (wasm backend).
      expect(Math.abs(got.final_test_mse / want.final_test_mse - 1)).toBeLessThan(1e-5);
    });
  }
});
