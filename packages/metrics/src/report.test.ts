import { ConfigError, ShapeError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { classificationReport, type ZeroDivisionWarning } from './index';
import { formatFixed } from './report';

describe('formatFixed', () => {
  it("rounds exact ties to even, like Python's format", () => {
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(0.375, 2)).toBe('0.38');
    expect(formatFixed(0.625, 2)).toBe('0.62');
    expect(formatFixed(0.03125, 4)).toBe('0.0312');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(3.5, 0)).toBe('4');
    expect(formatFixed(-0.125, 2)).toBe('-0.12');
  });

  it('rounds everything else like toFixed', () => {
    // 0.615 is slightly below 0.615 in binary, so it is not a tie.
    expect(formatFixed(0.615, 2)).toBe('0.61');
    expect(formatFixed(2 / 3, 2)).toBe('0.67');
    expect(formatFixed(1, 4)).toBe('1.0000');
    expect(formatFixed(0, 2)).toBe('0.00');
    expect(formatFixed(0.1 + 0.2, 2)).toBe('0.30');
  });
});

describe('classificationReport', () => {
  const expected = [
    '              precision    recall  f1-score   support',
    '',
    '     class 0       0.50      1.00      0.67         1',
    '     class 1       0.00      0.00      0.00         1',
    '     class 2       1.00      0.67      0.80         3',
    '',
    '    accuracy                           0.60         5',
    '   macro avg       0.50      0.56      0.49         5',
    'weighted avg       0.70      0.60      0.61         5',
    '',
  ].join('\n');

  it("prints scikit-learn's documented example character for character", () => {
    expect(
      classificationReport([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], {
        targetNames: ['class 0', 'class 1', 'class 2'],
      }),
    ).toBe(expected);
  });

  it('widens the name column for long names and prints micro avg for a subset of labels', () => {
    // Text from scikit-learn 1.2: classification_report([0, 1, 2, 2], [0, 1, 2, 1], labels=[2, 1], target_names=[…]).
    const sklearn = [
      '                    precision    recall  f1-score   support',
      '',
      'a rather long name       1.00      0.50      0.67         2',
      '                 b       0.50      1.00      0.67         1',
      '',
      '         micro avg       0.67      0.67      0.67         3',
      '         macro avg       0.75      0.75      0.67         3',
      '      weighted avg       0.83      0.67      0.67         3',
      '',
    ].join('\n');
    expect(
      classificationReport([0, 1, 2, 2], [0, 1, 2, 1], {
        labels: [2, 1],
        targetNames: ['a rather long name', 'b'],
      }),
    ).toBe(sklearn);
  });

  it('returns the dictionary with outputDict', () => {
    const report = classificationReport([0, 1, 1], [0, 1, 0], { outputDict: true });
    expect(report).toEqual({
      '0': { precision: 0.5, recall: 1, 'f1-score': 2 / 3, support: 1 },
      '1': { precision: 1, recall: 0.5, 'f1-score': 2 / 3, support: 2 },
      accuracy: 2 / 3,
      'macro avg': { precision: 0.75, recall: 0.75, 'f1-score': 2 / 3, support: 3 },
      'weighted avg': { precision: (0.5 + 2) / 3, recall: 2 / 3, 'f1-score': 2 / 3, support: 3 },
    });
  });

  it('reports each undefined class once', () => {
    const seen: ZeroDivisionWarning[] = [];
    classificationReport([0, 1, 2], [0, 1, 1], { onZeroDivision: (w) => seen.push(w) });
    expect(seen.map((w) => [w.op, w.metric, w.labels])).toEqual([['classificationReport', 'precision', [2]]]);
  });

  it('throws a ConfigError for targetNames of the wrong length or type', () => {
    expect(() => classificationReport([0, 1], [0, 1], { targetNames: ['a'] })).toThrow(
      new ConfigError(
        'classificationReport',
        'targetNames with one string per label (2)',
        '1 names',
        'Pass labels too',
      ),
    );
    expect(() =>
      classificationReport([0, 1], [0, 1], { targetNames: ['a', 2 as unknown as string] }),
    ).toThrow(ConfigError);
    expect(() => classificationReport([0, 1], [0, 1], { targetNames: 'ab' as unknown as string[] })).toThrow(
      new ConfigError('classificationReport', 'targetNames as an array of strings', 'string'),
    );
  });

  it('throws a ConfigError for bad digits, outputDict, zeroDivision or an unknown option', () => {
    expect(() => classificationReport([0, 1], [0, 1], { digits: -1 })).toThrow(
      new ConfigError('classificationReport', 'digits to be an integer in [0, 20]', '-1'),
    );
    expect(() => classificationReport([0, 1], [0, 1], { outputDict: 'yes' as unknown as false })).toThrow(
      ConfigError,
    );
    expect(() => classificationReport([0, 1], [0, 1], { zeroDivision: 2 as 1 })).toThrow(ConfigError);
    expect(() => classificationReport([0, 1], [0, 1], { sampleWeight: [1, 1] } as object)).toThrow(
      ConfigError,
    );
  });

  it('throws a ShapeError for unequal lengths or empty input', () => {
    expect(() => classificationReport([0, 1], [0])).toThrow(ShapeError);
    expect(() => classificationReport([], [])).toThrow(ShapeError);
  });
});
