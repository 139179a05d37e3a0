// The parsing and the tables of `pnpm bench:e2e` (tools/bench/e2e.mjs), apart from the processes it
// runs, so a unit test can feed it canned output.
//
// A process's output is a list of stamped lines `{ t, line }` (t: seconds since it started, when the
// line arrived). A measurement is `{ round, column, epoch_s, wall_s, cpu_s, max_rss_mb, valid_acc,
// load }` where column is `torch` (train_reference.py at PyTorch's best settings), `seqlab:<backend>`
// (the article's configuration) or `default:<backend>` (the default `seqlab train`).

import { median } from './compare-table.mjs';

// train_reference.py: `  bilstm epoch 1: train_loss 0.6543  valid_acc 0.7156  valid_f1 0.7151  (55.3s)`.
const TORCH_EPOCH = /^\s*(\w+) epoch (\d+): .*valid_acc ([\d.]+) .*\((\d+(?:\.\d+)?)s\)\s*$/;
// seqlab train (text): `epoch 1: train loss 0.6568  valid loss 0.5697  valid acc 0.7167  macro-F1 …`.
const SEQLAB_EPOCH = /^epoch (\d+): train loss [\d.]+ +valid loss [\d.]+ +valid acc ([\d.]+)/;
// seqlab train (text), printed once the model is built, just before its first epoch.
const SEQLAB_MODEL = /^model: /;
// /usr/bin/time -f 'E2E_TIME %e %U %S %M'
const TIME_LINE = /^E2E_TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/;

/** The `-f` format e2e.mjs gives /usr/bin/time; parseTimeLine reads its line back. */
export const TIME_FORMAT = 'E2E_TIME %e %U %S %M';

/**
 * train_reference.py's epochs: its own per-epoch time (from the epoch's first batch to the end of
 * its validation pass, `epoch_s` in its JSON), and the validation accuracy.
 */
export function parseTorchEpochs(lines) {
  const epochs = [];
  for (const { line } of lines) {
    const m = TORCH_EPOCH.exec(line);
    if (m) epochs.push({ model: m[1], epoch: Number(m[2]), epoch_s: Number(m[4]), valid_acc: Number(m[3]) });
  }
  return epochs;
}

/**
 * seqlab train's epochs, timed as train_reference.py times its own: from the line printed once the
 * model is built (the first epoch's start) or the previous epoch's line to this epoch's line, which
 * is printed after its validation pass and before the epoch's checkpoint is written. So an epoch
 * after the first includes the previous epoch's checkpoint write; PyTorch's includes none, so the
 * comparison leans, if anything, against seqlab.
 */
export function parseSeqlabEpochs(lines) {
  const epochs = [];
  let since = null;
  for (const { t, line } of lines) {
    if (SEQLAB_MODEL.test(line)) since = t;
    const m = SEQLAB_EPOCH.exec(line);
    if (m && since !== null) {
      epochs.push({ epoch: Number(m[1]), epoch_s: t - since, valid_acc: Number(m[2]) });
      since = t;
    }
  }
  return epochs;
}

/** /usr/bin/time's line (TIME_FORMAT): wall and CPU seconds, max RSS in MiB; null when absent. */
export function parseTimeLine(text) {
  for (const line of text.split('\n').reverse()) {
    const m = TIME_LINE.exec(line);
    if (m)
      return {
        wall_s: Number(m[1]),
        cpu_s: Number(m[2]) + Number(m[3]),
        max_rss_mb: Number(m[4]) / 1024,
      };
  }
  return null;
}

const ratioOf = (a, b) => (a === undefined || b === undefined ? undefined : a / b);

/**
 * One row per column, in the order columns were first measured: the median over rounds of the
 * epoch time, the process's wall and CPU time and max RSS, and for `seqlab:*` the ratio to the
 * PyTorch epoch of the same round (the two ran back to back), as the median and range over rounds.
 */
export function summarizeE2E(measurements) {
  const torchByRound = new Map();
  for (const m of measurements) if (m.column === 'torch') torchByRound.set(m.round, m.epoch_s);
  const columns = new Map();
  for (const m of measurements) {
    if (!columns.has(m.column)) columns.set(m.column, []);
    columns.get(m.column).push(m);
  }
  const rows = [];
  for (const [column, ms] of columns) {
    const pick = (f) => ms.map(f).filter((x) => x !== undefined && x !== null && !Number.isNaN(x));
    const ratios = column.startsWith('seqlab:')
      ? pick((m) => ratioOf(m.epoch_s, torchByRound.get(m.round)))
      : [];
    rows.push({
      column,
      rounds: ms.length,
      epoch_s: median(pick((m) => m.epoch_s)),
      wall_s: median(pick((m) => m.wall_s)),
      cpu_s: median(pick((m) => m.cpu_s)),
      max_rss_mb: median(pick((m) => m.max_rss_mb)),
      valid_acc: ms[0].valid_acc,
      ratio:
        ratios.length > 0
          ? { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) }
          : null,
    });
  }
  return rows;
}

const num = (x, digits = 1) => (x === undefined || x === null || Number.isNaN(x) ? '–' : x.toFixed(digits));
const COLUMN_NAMES = {
  torch: 'PyTorch best (2 thr), train_reference.py',
};
const columnName = (c) =>
  COLUMN_NAMES[c] ??
  (c.startsWith('seqlab:')
    ? `seqlab ${c.slice(7)}, article config`
    : c.startsWith('default:')
      ? `default \`seqlab train\`, ${c.slice(8)}`
      : c);

/** Every process, round by round: its epoch, wall and CPU time, max RSS and the ratio to PyTorch. */
export function formatRoundsTable(measurements) {
  const torchByRound = new Map();
  for (const m of measurements) if (m.column === 'torch') torchByRound.set(m.round, m.epoch_s);
  const lines = [
    '| round | run | epoch s | / PyTorch epoch | process wall s | CPU s | max RSS MiB | valid acc | load 1m |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const m of measurements) {
    const ratio = m.column.startsWith('seqlab:') ? ratioOf(m.epoch_s, torchByRound.get(m.round)) : undefined;
    lines.push(
      `| ${m.round} | ${columnName(m.column)} | ${num(m.epoch_s)} | ${ratio === undefined ? '' : `${num(ratio, 2)}×`} | ${num(m.wall_s)} | ${num(m.cpu_s)} | ${num(m.max_rss_mb, 0)} | ${num(m.valid_acc, 4)} | ${num(m.load, 2)} |`,
    );
  }
  return lines.join('\n');
}

/** The medians over rounds (summarizeE2E's rows). */
export function formatSummaryTable(rows) {
  const lines = [
    '| run | rounds | epoch s | / PyTorch epoch, median (min–max) | process wall s | CPU s | max RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows)
    lines.push(
      `| ${columnName(r.column)} | ${r.rounds} | ${num(r.epoch_s)} | ${r.ratio ? `${num(r.ratio.median, 2)}× (${num(r.ratio.min, 2)}–${num(r.ratio.max, 2)})` : ''} | ${num(r.wall_s)} | ${num(r.cpu_s)} | ${num(r.max_rss_mb, 0)} |`,
    );
  return lines.join('\n');
}
