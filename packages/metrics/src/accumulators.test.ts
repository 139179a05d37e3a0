import { ConfigError, DTypeError, ShapeError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import {
  accuracyScore,
  ClassificationAccumulator,
  ConfusionMatrixAccumulator,
  classificationReport,
  confusionMatrix,
  f1Score,
  fbetaScore,
  MeanAccumulator,
  meanAbsoluteError,
  meanSquaredError,
  precisionRecallFscoreSupport,
  precisionScore,
  RegressionAccumulator,
  r2Score,
  recallScore,
  type TensorLike,
  type ZeroDivisionWarning,
} from './index';

/** A small seeded generator (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Normal samples by Box-Muller. */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Splits [0, n) into random batches, some of them empty. */
function batches(n: number, random: () => number): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  while (from < n) {
    const size = Math.floor(random() * 12);
    out.push([from, Math.min(n, from + size)]);
    from += size;
  }
  return out;
}

function closeRelative(actual: number, expected: number, tolerance: number): void {
  if (!(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)))) {
    expect.fail(`expected ${expected}, got ${actual}`);
  }
}

describe('ClassificationAccumulator', () => {
  it.each([1, 2, 3, 4, 5])('streaming over random batches equals all the data at once (seed %i)', (seed) => {
    const random = rng(seed);
    const n = 150;
    // 5 classes; class 4 is never predicted, so zero division happens too.
    const yTrue = Array.from({ length: n }, () => Math.floor(random() * 5));
    const yPred = yTrue.map((t) => (random() < 0.6 ? t : Math.floor(random() * 4)));
    const acc = new ClassificationAccumulator();
    for (const [from, to] of batches(n, random))
      acc.update(yTrue.slice(from, to), Int32Array.from(yPred.slice(from, to)));

    expect(acc.count).toBe(n);
    expect(acc.labels).toEqual([0, 1, 2, 3, 4]);
    expect(acc.accuracyScore()).toBe(accuracyScore(yTrue, yPred));
    expect(acc.accuracyScore({ normalize: false })).toBe(accuracyScore(yTrue, yPred, { normalize: false }));
    for (const normalize of [undefined, 'true', 'pred', 'all'] as const) {
      const options = normalize === undefined ? {} : { normalize };
      expect(acc.confusionMatrix(options)).toEqual(confusionMatrix(yTrue, yPred, options));
    }
    for (const average of [null, 'micro', 'macro', 'weighted'] as const) {
      for (const zeroDivision of [0, 1] as const) {
        const options = { average, zeroDivision };
        expect(acc.precisionRecallFscoreSupport({ ...options, beta: 2 })).toEqual(
          precisionRecallFscoreSupport(yTrue, yPred, { ...options, beta: 2 }),
        );
        expect(acc.precisionScore(options)).toEqual(precisionScore(yTrue, yPred, options));
        expect(acc.recallScore(options)).toEqual(recallScore(yTrue, yPred, options));
        expect(acc.f1Score(options)).toEqual(f1Score(yTrue, yPred, options));
        expect(acc.fbetaScore({ ...options, beta: 0.5 })).toEqual(
          fbetaScore(yTrue, yPred, { ...options, beta: 0.5 }),
        );
      }
    }
    expect(acc.f1Score({ average: 'macro', labels: [4, 1] })).toEqual(
      f1Score(yTrue, yPred, { average: 'macro', labels: [4, 1] }),
    );
    expect(acc.classificationReport({ digits: 3 })).toBe(classificationReport(yTrue, yPred, { digits: 3 }));
    expect(acc.classificationReport({ outputDict: true })).toEqual(
      classificationReport(yTrue, yPred, { outputDict: true }),
    );
  });

  it('takes tensors, reports zero divisions with its own name, and resets', () => {
    const acc = new ClassificationAccumulator();
    const t: TensorLike = { shape: [3], toFloat32Array: () => new Float32Array([0, 1, 2]) };
    acc.update(t, [0, 1, 1]);
    const seen: ZeroDivisionWarning[] = [];
    expect(acc.precisionScore({ average: null, onZeroDivision: (w) => seen.push(w) })).toEqual([1, 0.5, 0]);
    expect(seen.map((w) => [w.op, w.labels])).toEqual([['ClassificationAccumulator.precisionScore', [2]]]);
    acc.reset();
    expect(acc.count).toBe(0);
    acc.update([1], [1]);
    expect(acc.labels).toEqual([1]);
  });

  it('throws a ShapeError when computing before any sample', () => {
    const acc = new ClassificationAccumulator();
    acc.update([], []);
    expect(() => acc.accuracyScore()).toThrow(
      new ShapeError('ClassificationAccumulator.accuracyScore', 'at least one sample', '0 samples'),
    );
    expect(() => acc.f1Score({ average: 'macro' })).toThrow(ShapeError);
    expect(() => acc.confusionMatrix()).toThrow(
      new ShapeError('ClassificationAccumulator.confusionMatrix', 'at least one sample', '0 samples'),
    );
    expect(() => acc.classificationReport()).toThrow(ShapeError);
  });

  it('throws on update like the functions: ShapeError for unequal lengths, DTypeError for float labels', () => {
    const acc = new ClassificationAccumulator();
    expect(() => acc.update([0, 1], [0])).toThrow(
      new ShapeError(
        'ClassificationAccumulator.update',
        'yTrue and yPred of the same length',
        'lengths 2 and 1',
      ),
    );
    expect(() => acc.update([0.5], [0])).toThrow(DTypeError);
    expect(acc.count).toBe(0);
  });

  it('throws a ConfigError for bad options, fbetaScore without beta, and beta elsewhere', () => {
    const acc = new ClassificationAccumulator();
    acc.update([0, 1, 2], [0, 1, 1]);
    expect(() => acc.f1Score()).toThrow(ConfigError); // average 'binary' with 3 labels
    expect(() => acc.fbetaScore(undefined as unknown as { beta: number })).toThrow(
      new ConfigError('ClassificationAccumulator.fbetaScore', 'options with beta', 'no options'),
    );
    expect(() => acc.f1Score({ average: 'macro', beta: 2 } as object)).toThrow(ConfigError);
    expect(() => acc.classificationReport({ digits: 1.5 })).toThrow(ConfigError);
  });
});

describe('ConfusionMatrixAccumulator', () => {
  it('accumulates a confusion matrix over labels seen in any batch', () => {
    const cm = new ConfusionMatrixAccumulator();
    cm.update([0, 1], [0, 0]);
    cm.update([2], [2]);
    expect(cm.confusionMatrix()).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(cm.confusionMatrix({ labels: [2, 0] })).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('throws with its own name', () => {
    const cm = new ConfusionMatrixAccumulator();
    expect(() => cm.confusionMatrix()).toThrow(
      new ShapeError('ConfusionMatrixAccumulator.confusionMatrix', 'at least one sample', '0 samples'),
    );
    expect(() => cm.update([0], [0, 1])).toThrow(
      new ShapeError(
        'ConfusionMatrixAccumulator.update',
        'yTrue and yPred of the same length',
        'lengths 1 and 2',
      ),
    );
  });
});

describe('MeanAccumulator', () => {
  it('streams a weighted mean equal to the mean over all values', () => {
    const random = rng(7);
    const values = Array.from({ length: 500 }, () => random() * 5);
    const acc = new MeanAccumulator();
    // Per-batch means weighted by batch size give the same mean as every value at once.
    for (const [from, to] of batches(values.length, random)) {
      const batch = values.slice(from, to);
      if (batch.length === 0) continue;
      acc.update(batch.reduce((a, b) => a + b, 0) / batch.length, batch.length);
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(acc.count).toBe(500);
    closeRelative(acc.mean(), mean, 1e-12);
    closeRelative(acc.perplexity(), Math.exp(mean), 1e-12);
  });

  it('takes arrays and tensors, each value with the given weight', () => {
    const acc = new MeanAccumulator();
    acc.update(2.0, 30);
    acc.update([1.0, 1.5]);
    acc.update({ shape: [1], toFloat32Array: () => new Float32Array([4]) }, 2);
    expect(acc.mean()).toBe((60 + 2.5 + 8) / 34);
    acc.reset();
    expect(acc.count).toBe(0);
  });

  it('keeps precision where a naive sum loses it', () => {
    const acc = new MeanAccumulator();
    acc.update(1e16);
    for (let i = 0; i < 10; i++) acc.update(1);
    acc.update(-1e16);
    expect(acc.mean()).toBe(10 / 12);
  });

  it('throws a ShapeError before any update and a ConfigError for bad values or weights', () => {
    const acc = new MeanAccumulator();
    expect(() => acc.mean()).toThrow(
      new ShapeError('MeanAccumulator.mean', 'a total weight > 0', '0', 'Call update first'),
    );
    expect(() => acc.perplexity()).toThrow(ShapeError);
    expect(() => acc.update(1, -1)).toThrow(
      new ConfigError('MeanAccumulator.update', 'a finite weight ≥ 0', '-1'),
    );
    expect(() => acc.update(1, Number.NaN)).toThrow(ConfigError);
    expect(() => acc.update(Number.NaN)).toThrow(
      new ConfigError('MeanAccumulator.update', 'a finite value', 'NaN'),
    );
    expect(() => acc.update([1, Number.POSITIVE_INFINITY])).toThrow(ConfigError);
    acc.update(-1);
    expect(() => acc.perplexity()).toThrow(ConfigError);
  });
});

describe('RegressionAccumulator', () => {
  it.each([1, 2, 3])('streaming over random batches equals all the data at once (seed %i)', (seed) => {
    const random = rng(seed);
    const yTrue = Array.from({ length: 300 }, () => 3 + 2 * normal(random));
    const yPred = yTrue.map((y) => y + 0.5 * normal(random));
    const acc = new RegressionAccumulator();
    for (const [from, to] of batches(yTrue.length, random))
      acc.update(yTrue.slice(from, to), new Float64Array(yPred.slice(from, to)));
    expect(acc.count).toBe(300);
    closeRelative(acc.meanSquaredError(), meanSquaredError(yTrue, yPred), 1e-12);
    closeRelative(
      acc.meanSquaredError({ squared: false }),
      meanSquaredError(yTrue, yPred, { squared: false }),
      1e-12,
    );
    closeRelative(acc.meanAbsoluteError(), meanAbsoluteError(yTrue, yPred), 1e-12);
    closeRelative(acc.r2Score(), r2Score(yTrue, yPred), 1e-12);
  });

  it('keeps R² accurate for data far from zero, one sample per batch', () => {
    const random = rng(11);
    const yTrue = Array.from({ length: 1000 }, () => 1e8 + normal(random));
    const yPred = yTrue.map((y) => y + 0.3 * normal(random));
    const acc = new RegressionAccumulator();
    for (let i = 0; i < yTrue.length; i++) acc.update([yTrue[i] as number], [yPred[i] as number]);
    closeRelative(acc.r2Score(), r2Score(yTrue, yPred), 1e-9);
    // Why the merge formula matters: Σy² − n·ȳ² loses most digits here.
    const n = yTrue.length;
    const mean = yTrue.reduce((a, b) => a + b, 0) / n;
    const naiveTotal = yTrue.reduce((a, b) => a + b * b, 0) - n * mean * mean;
    const twoPassTotal = yTrue.reduce((a, b) => a + (b - mean) ** 2, 0);
    expect(Math.abs(naiveTotal - twoPassTotal) / twoPassTotal).toBeGreaterThan(1e-3);
  });

  it('flags a constant yTrue across batches, and notices a change in a later batch', () => {
    const seen: ZeroDivisionWarning[] = [];
    const acc = new RegressionAccumulator();
    acc.update([2, 2], [2, 2]);
    acc.update([2], [3]);
    expect(acc.r2Score({ onZeroDivision: (w) => seen.push(w) })).toBe(0);
    expect(seen.map((w) => [w.op, w.metric, w.value])).toEqual([['RegressionAccumulator.r2Score', 'r2', 0]]);
    acc.update([5], [5]);
    expect(acc.r2Score()).toBeCloseTo(r2Score([2, 2, 2, 5], [2, 2, 3, 5]), 14);
    acc.reset();
    acc.update([1, 1], [1, 1]);
    expect(acc.r2Score()).toBe(1);
  });

  it('throws a ShapeError before enough samples or for unequal lengths', () => {
    const acc = new RegressionAccumulator();
    expect(() => acc.meanSquaredError()).toThrow(
      new ShapeError('RegressionAccumulator.meanSquaredError', 'at least 1 sample', '0'),
    );
    expect(() => acc.meanAbsoluteError()).toThrow(ShapeError);
    acc.update([1], [2]);
    expect(() => acc.r2Score()).toThrow(
      new ShapeError('RegressionAccumulator.r2Score', 'at least 2 samples', '1'),
    );
    expect(() => acc.update([1, 2], [1])).toThrow(ShapeError);
  });

  it('throws a ConfigError for NaN values and bad options', () => {
    const acc = new RegressionAccumulator();
    expect(() => acc.update([Number.NaN], [1])).toThrow(ConfigError);
    acc.update([1, 2], [1, 2]);
    expect(() => acc.meanSquaredError({ squared: 0 as unknown as boolean })).toThrow(ConfigError);
    expect(() => acc.r2Score({ onZeroDivision: 'x' as unknown as () => void })).toThrow(ConfigError);
    expect(() => acc.r2Score({ multioutput: 'raw_values' } as object)).toThrow(ConfigError);
  });
});
