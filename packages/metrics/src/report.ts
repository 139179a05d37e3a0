import { ConfigError } from '@seqlab/tensor';
import { countLabelPairs, type LabelPairCounts } from './confusion-matrix';
import { checkBoolean, checkInteger, checkLabelList, checkOptions, type VectorInput } from './inputs';
import {
  type Average,
  type AveragedScores,
  type PerClassScores,
  prfsFromCounts,
} from './precision-recall-f1';
import type { ZeroDivision, ZeroDivisionHandler } from './zero-division';

/**
 * Options of {@link classificationReport}.
 *
 * @example
 * ```ts
 * const options: ClassificationReportOptions = { targetNames: ['neg', 'pos'], digits: 4 };
 * ```
 */
export interface ClassificationReportOptions {
  /** The classes to report, in this order. Default: the sorted labels present in yTrue or yPred. */
  labels?: readonly number[];
  /** Row names, one per label. Default: the labels as integers. */
  targetNames?: readonly string[];
  /** Decimal places in the text report (default 2); the dictionary keeps full precision. */
  digits?: number;
  /** Return a dictionary instead of text. */
  outputDict?: boolean;
  /** As in {@link ScoreOptions}. Default 0. */
  zeroDivision?: ZeroDivision;
  /** Called for each class with an undefined precision or recall. */
  onZeroDivision?: ZeroDivisionHandler;
}

/**
 * One row of the report dictionary; the keys are scikit-learn's.
 *
 * @example
 * ```ts
 * const row: ClassificationReportRow = { precision: 0.5, recall: 1, 'f1-score': 0.6666666666666666, support: 1 };
 * ```
 */
export interface ClassificationReportRow {
  /** TP / (TP + FP) of the class, or the row's average. */
  precision: number;
  /** TP / (TP + FN) of the class, or the row's average. */
  recall: number;
  /** The F1 score of the class, or the row's average. */
  'f1-score': number;
  /** True samples of the class (for an average row, of all the classes it averages). */
  support: number;
}

/**
 * The report as a dictionary, shaped like scikit-learn's `output_dict=True`: one row per target
 * name, then `accuracy` (a number) or `micro avg` (a row), `macro avg` and `weighted avg`.
 * `micro avg` replaces `accuracy` when `labels` leaves out a present class or adds an absent one.
 *
 * @example
 * ```ts
 * const report = classificationReport([0, 1, 1], [0, 1, 0], { outputDict: true });
 * report.accuracy; // 0.6666666666666666
 * report['1']; // { precision: 1, recall: 0.5, 'f1-score': 0.6666666666666666, support: 2 }
 * ```
 */
export type ClassificationReportDict = Record<string, ClassificationReportRow | number>;

const OPTION_KEYS = ['labels', 'targetNames', 'digits', 'outputDict', 'zeroDivision', 'onZeroDivision'];

/**
 * Formats `x` with `digits` decimals exactly like Python's `format(x, '.{digits}f')`. JavaScript's
 * `toFixed` rounds exact ties away from zero (0.125 → "0.13"); Python rounds them to even
 * ("0.12"). Only exact binary ties differ, and they are found with integer arithmetic.
 */
export function formatFixed(x: number, digits: number): string {
  const fixed = x.toFixed(digits);
  if (!Number.isFinite(x) || x === 0) return fixed;
  // |x| = mantissa · 2^exponent exactly.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? -1074 : biased - 1075) + 1;
  // Tie ⇔ 2·|x|·10^digits = mantissa · 10^digits · 2^exponent is an odd integer.
  const scaled = mantissa * 10n ** BigInt(digits);
  let twice: bigint;
  if (exponent >= 0) {
    twice = scaled << BigInt(exponent);
  } else {
    const shift = BigInt(-exponent);
    if (scaled & ((1n << shift) - 1n)) return fixed;
    twice = scaled >> shift;
  }
  if ((twice & 1n) === 0n) return fixed;
  let rounded = (twice - 1n) / 2n;
  if (rounded & 1n) rounded += 1n;
  const text = rounded.toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return x < 0 ? `-${whole}` : whole;
}

/** Right-aligns to a width counted in code points, as Python's `format`. */
function padLeft(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - [...text].length)) + text;
}

/** {@link classificationReport} on counted pairs; the accumulators call this too. */
export function classificationReportFromCounts(
  op: string,
  counts: LabelPairCounts,
  options?: ClassificationReportOptions,
): string | ClassificationReportDict {
  const o = checkOptions(op, options, OPTION_KEYS);
  const digits = checkInteger(op, 'digits', o.digits ?? 2, 0, 20);
  const outputDict = checkBoolean(op, 'outputDict', o.outputDict ?? false);
  const present = counts.labels();
  const labels = o.labels === undefined ? present : checkLabelList(op, o.labels);
  // "accuracy" when the report covers exactly the present classes, else the micro average.
  const microIsAccuracy =
    labels.length === present.length && present.every((label) => labels.includes(label));
  if (o.targetNames !== undefined && !Array.isArray(o.targetNames)) {
    throw new ConfigError(op, 'targetNames as an array of strings', typeof o.targetNames);
  }
  const names = o.targetNames === undefined ? labels.map(String) : [...o.targetNames];
  if (names.length !== labels.length || names.some((name) => typeof name !== 'string')) {
    // Porting note: scikit-learn only warns about a length mismatch when labels are given, and then drops rows.
    throw new ConfigError(
      op,
      `targetNames with one string per label (${labels.length})`,
      `${names.length} names`,
      'Pass labels too',
    );
  }

  const base = { labels, zeroDivision: o.zeroDivision ?? 0 } as const;
  const perClass = prfsFromCounts(
    op,
    counts,
    { ...base, average: null, ...(o.onZeroDivision ? { onZeroDivision: o.onZeroDivision } : {}) },
    null,
    ['precision', 'recall'],
  ) as PerClassScores;
  const totalSupport = perClass.support.reduce((a, b) => a + b, 0);
  const averages = (['micro', 'macro', 'weighted'] as const).map((average: Average) => {
    const scores = prfsFromCounts(op, counts, { ...base, average }, null, []) as AveragedScores;
    const heading = average === 'micro' && microIsAccuracy ? 'accuracy' : `${average} avg`;
    return { heading, p: scores.precision, r: scores.recall, f: scores.fbetaScore };
  });

  if (outputDict) {
    const report: ClassificationReportDict = {};
    names.forEach((name, i) => {
      const row = (p: number[]) => p[i] as number;
      report[name] = {
        precision: row(perClass.precision),
        recall: row(perClass.recall),
        'f1-score': row(perClass.fbetaScore),
        support: row(perClass.support),
      };
    });
    for (const { heading, p, r, f } of averages) {
      report[heading] =
        heading === 'accuracy' ? p : { precision: p, recall: r, 'f1-score': f, support: totalSupport };
    }
    return report;
  }

  // The layout of scikit-learn's text report: a name column, then four columns 9 wide.
  const width = Math.max(...names.map((name) => [...name].length), 'weighted avg'.length, digits);
  const cell = (x: number) => ` ${padLeft(formatFixed(x, digits), 9)}`;
  const line = (name: string, p: string, r: string, f: number, support: number) =>
    `${padLeft(name, width)} ${p}${r}${cell(f)} ${padLeft(String(support), 9)}\n`;
  let text = `${' '.repeat(width)} ${['precision', 'recall', 'f1-score', 'support'].map((h) => ` ${padLeft(h, 9)}`).join('')}\n\n`;
  names.forEach((name, i) => {
    text += line(
      name,
      cell(perClass.precision[i] as number),
      cell(perClass.recall[i] as number),
      perClass.fbetaScore[i] as number,
      perClass.support[i] as number,
    );
  });
  text += '\n';
  for (const { heading, p, r, f } of averages) {
    const blank = ` ${' '.repeat(9)}`;
    text +=
      heading === 'accuracy'
        ? line(heading, blank, blank, f, totalSupport)
        : line(heading, cell(p), cell(r), f, totalSupport);
  }
  return text;
}

/**
 * Per-class precision, recall, F1 and support with their accuracy, macro and weighted averages,
 * as scikit-learn's `classification_report`: the same text, character for character, or with
 * `outputDict: true` the same dictionary.
 *
 * Throws a ShapeError for empty or unequal-length inputs, a DTypeError for non-integer labels and
 * a ConfigError for bad options or `targetNames` of the wrong length.
 *
 * @example
 * ```ts
 * console.log(classificationReport([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], { targetNames: ['class 0', 'class 1', 'class 2'] }));
 * //               precision    recall  f1-score   support
 * //
 * //      class 0       0.50      1.00      0.67         1
 * //      class 1       0.00      0.00      0.00         1
 * //      class 2       1.00      0.67      0.80         3
 * //
 * //     accuracy                           0.60         5
 * //    macro avg       0.50      0.56      0.49         5
 * // weighted avg       0.70      0.60      0.61         5
 * ```
 */
export function classificationReport(
  yTrue: VectorInput,
  yPred: VectorInput,
  options: ClassificationReportOptions & { outputDict: true },
): ClassificationReportDict;
export function classificationReport(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ClassificationReportOptions & { outputDict?: false },
): string;
export function classificationReport(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ClassificationReportOptions,
): string | ClassificationReportDict;
export function classificationReport(
  yTrue: VectorInput,
  yPred: VectorInput,
  options?: ClassificationReportOptions,
): string | ClassificationReportDict {
  const op = 'classificationReport';
  checkOptions(op, options, OPTION_KEYS);
  return classificationReportFromCounts(op, countLabelPairs(op, yTrue, yPred), options);
}
