import { writeFileAtomic } from './atomic-write';
import type { TrainMetrics } from './commands/train/index';
import type { TrainConfig } from './config';
import { confusionSvg, lineChart, type Series } from './svg';
import type { EpochRecord, StepRecord } from './train-loop';

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/**
 * A number with fixed decimals; a value that is not one (NaN, or null where JSON wrote NaN in the
 * history of a run made before training stopped at the first NaN) shows as written, never throws.
 */
const fixed = (v: number | null | undefined, digits: number) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : String(v);

/** A learning rate as people write it (`0.002`, `3.5e-5`). */
const lrText = (v: number | null | undefined) =>
  typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : String(v);

/** A running report reloads itself this often (seconds). */
export const REFRESH_SECONDS = 5;

/**
 * Where the run is: `running` (written after every epoch; the page reloads itself), `interrupted`
 * (Ctrl-C; `--resume` continues it), `stopped` by an error (the first NaN, a failed write) or
 * `finished` (with the test metrics).
 */
export type ReportStatus =
  | { state: 'running'; epochsDone: number }
  | { state: 'interrupted'; epochsDone: number; runDir: string }
  | { state: 'stopped'; epochsDone: number; error: string }
  | { state: 'finished'; metrics: TrainMetrics };

/** The confusion matrix a report shows: the test set's at the end, the last epoch's validation before. */
export interface ReportConfusion {
  matrix: number[][];
  labels: readonly string[];
  set: string;
  examples: number;
}

/** The pieces of a run that report.html shows. */
export interface ReportInput {
  config: TrainConfig;
  history: readonly EpochRecord[];
  steps: readonly StepRecord[];
  status: ReportStatus;
  confusion: ReportConfusion | null;
  /** When the page was written (shown, so a stale "running" page of a killed run can be told apart). */
  written?: Date;
}

const COLORS = {
  train: '#1f77b4',
  valid: '#d62728',
  acc: '#2ca02c',
  f1: '#9467bd',
  lr: '#8c564b',
  grad: '#ff7f0e',
};

/** The status line (`<p id="status">`) and the summary under it. */
function statusHtml(status: ReportStatus, config: TrainConfig): string {
  if (status.state === 'running')
    return `<p id="status" class="running"><b>running, epoch ${status.epochsDone} of ${config.epochs}</b> done; this page reloads every ${REFRESH_SECONDS} s until the run ends.</p>`;
  if (status.state === 'interrupted')
    return `<p id="status" class="interrupted"><b>interrupted after epoch ${status.epochsDone} of ${config.epochs}</b>; continue with <code>seqlab train --resume ${esc(status.runDir)}</code>.</p>`;
  if (status.state === 'stopped')
    return `<p id="status" class="stopped"><b>stopped after epoch ${status.epochsDone} of ${config.epochs}</b> by an error:</p>\n<pre>${esc(status.error)}</pre>`;
  const { metrics } = status;
  const t = metrics.test;
  return `<p id="status" class="finished"><b>finished</b>: ${metrics.epochs_run} of ${config.epochs} epochs.</p>
<p><b>Test accuracy ${fixed(t.accuracy, 4)}</b>, macro-F1 ${fixed(t.macro_f1, 4)}, loss ${fixed(t.loss, 4)} on ${t.examples} examples; best epoch ${metrics.best_epoch} of ${metrics.epochs_run} (valid accuracy ${fixed(metrics.valid.accuracy, 4)}); ${fixed(metrics.seconds, 0)} s.</p>`;
}

/**
 * The report as one self-contained HTML page (inline SVG and CSS, no scripts, no external
 * resources): the training loss per step (raw, faint, and smoothed, see NOTE(loss-ema)) with the
 * per-epoch train and valid losses, validation accuracy and macro-F1, the learning rate, the
 * gradient norm, a confusion matrix, the history table and the configuration. While the run is
 * going it carries a `<meta http-equiv="refresh">`, so a browser showing it follows the run.
 */
export function renderReport({ config, history, steps, status, confusion, written }: ReportInput): string {
  const ep = (f: (r: EpochRecord) => number) => history.map((r) => [r.epoch, f(r)] as [number, number]);
  // While the run is going the epoch axes span all its epochs, so the curves show how far it is.
  const xMax = status.state === 'running' ? config.epochs : undefined;
  const axis = { xLabel: 'epoch', integerX: true, xMin: 0, ...(xMax === undefined ? {} : { xMax }) } as const;
  const lossSeries: Series[] = [
    ...(steps.length > 0
      ? [
          {
            name: 'train, per step',
            points: steps.map((s) => [s.epoch, s.loss] as [number, number]),
            color: COLORS.train,
            style: 'faint' as const,
          },
          {
            name: 'train, smoothed (EMA 0.1)',
            points: steps.map((s) => [s.epoch, s.loss_ema] as [number, number]),
            color: COLORS.train,
          },
        ]
      : []),
    { name: 'train, epoch mean', points: ep((r) => r.train_loss), color: '#17becf', style: 'markers' },
    { name: 'valid', points: ep((r) => r.valid_loss), color: COLORS.valid, style: 'markers' },
  ];
  const loss = lineChart('Loss', lossSeries, { ...axis, yLabel: 'cross-entropy', yMin: 0 });
  const acc = lineChart(
    'Validation accuracy and macro-F1',
    [
      { name: 'accuracy', points: ep((r) => r.valid_accuracy), color: COLORS.acc, style: 'markers' },
      { name: 'macro-F1', points: ep((r) => r.valid_macro_f1), color: COLORS.f1, style: 'markers' },
    ],
    { ...axis, yLabel: 'score', yMin: 0 },
  );
  const lr = lineChart(
    'Learning rate',
    [
      steps.length > 0
        ? {
            name: 'lr, per step',
            points: steps.map((s) => [s.epoch, s.lr] as [number, number]),
            color: COLORS.lr,
          }
        : { name: 'lr, last of each epoch', points: ep((r) => r.lr), color: COLORS.lr, style: 'markers' },
    ],
    { ...axis, yLabel: 'learning rate', yMin: 0 },
  );
  const grad = lineChart(
    'Gradient norm (mean per epoch, before clipping)',
    [{ name: 'global L2 norm', points: ep((r) => r.grad_norm), color: COLORS.grad, style: 'markers' }],
    { ...axis, logY: true, yLabel: 'L2 norm (log scale)' },
  );
  const matrix = confusion
    ? confusionSvg(confusion.matrix, confusion.labels, { set: confusion.set, examples: confusion.examples })
    : '<p>The confusion matrix appears after the first epoch.</p>';
  const rows = history
    .map(
      (r) =>
        `<tr><td>${r.epoch}</td><td>${fixed(r.train_loss, 4)}</td><td>${fixed(r.valid_loss, 4)}</td><td>${fixed(r.valid_accuracy, 4)}</td><td>${fixed(r.valid_macro_f1, 4)}</td><td>${lrText(r.lr)}</td><td>${fixed(r.grad_norm, 3)}</td><td>${fixed(r.seconds, 1)}</td><td>${fixed(r.tokens_per_s, 0)}</td></tr>`,
    )
    .join('');
  const refresh =
    status.state === 'running' ? `<meta http-equiv="refresh" content="${REFRESH_SECONDS}">\n` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
${refresh}<title>seqlab run report${status.state === 'running' ? ` (running, epoch ${status.epochsDone} of ${config.epochs})` : ''}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}pre{background:#f6f6f6;padding:8px}#status.running{color:#8a5a00}#status.stopped{color:#b00}.written{color:#777;font-size:90%}</style>
</head><body>
<h1>seqlab run report</h1>
${statusHtml(status, config)}
${written ? `<p class="written">Written ${esc(written.toISOString())}.</p>\n` : ''}<div class="charts">${loss}${acc}${lr}${grad}</div>
<h2>Confusion matrix</h2>
<div class="charts">${matrix}</div>
<h2>History</h2>
<table><tr><th>epoch</th><th>train loss</th><th>valid loss</th><th>valid acc</th><th>valid macro-F1</th><th>lr</th><th>grad norm</th><th>seconds</th><th>tokens/s</th></tr>${rows}</table>
<h2>Configuration</h2>
<pre>${esc(JSON.stringify(config, null, 2))}</pre>
</body></html>
`;
}

/** Writes report.html atomically. */
export async function writeReport(path: string, input: ReportInput): Promise<void> {
  await writeFileAtomic(path, renderReport(input));
}
