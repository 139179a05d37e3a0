import { writeFileAtomic } from './atomic-write';
import type { TrainMetrics } from './commands/train/index';
import type { TrainConfig } from './config';
import { confusionSvg, lineChart } from './svg';
import type { EpochRecord } from './train-loop';

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/**
 * A number with fixed decimals; a value that is not one (NaN, or null where JSON wrote NaN in the
 * history of a run made before training stopped at the first NaN) shows as written, never throws.
 */
const fixed = (v: number | null | undefined, digits: number) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : String(v);

/** The pieces of a run that report.html shows. */
export interface ReportInput {
  config: TrainConfig;
  history: readonly EpochRecord[];
  metrics: TrainMetrics;
}

/** The report as one self-contained HTML page: curves, confusion matrix and config, inline SVG only. */
export function renderReport({ config, history, metrics }: ReportInput): string {
  const ep = (f: (r: EpochRecord) => number) => history.map((r) => [r.epoch, f(r)] as [number, number]);
  const loss = lineChart(
    'Loss',
    [
      { name: 'train', points: ep((r) => r.train_loss), color: '#1f77b4' },
      { name: 'valid', points: ep((r) => r.valid_loss), color: '#d62728' },
    ],
    { xLabel: 'epoch' },
  );
  const acc = lineChart(
    'Validation accuracy and macro-F1',
    [
      { name: 'accuracy', points: ep((r) => r.valid_accuracy), color: '#2ca02c' },
      { name: 'macro-F1', points: ep((r) => r.valid_macro_f1), color: '#9467bd' },
    ],
    { xLabel: 'epoch' },
  );
  const grad = lineChart(
    'Gradient norm (mean per epoch, before clipping)',
    [{ name: 'global L2 norm', points: ep((r) => r.grad_norm), color: '#ff7f0e' }],
    { xLabel: 'epoch', logY: true },
  );
  const rows = history
    .map(
      (r) =>
        `<tr><td>${r.epoch}</td><td>${fixed(r.train_loss, 4)}</td><td>${fixed(r.valid_loss, 4)}</td><td>${fixed(r.valid_accuracy, 4)}</td><td>${fixed(r.valid_macro_f1, 4)}</td><td>${fixed(r.grad_norm, 3)}</td><td>${fixed(r.seconds, 1)}</td><td>${fixed(r.tokens_per_s, 0)}</td></tr>`,
    )
    .join('');
  const t = metrics.test;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>seqlab run report</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}.charts{display:flex;flex-wrap:wrap;gap:12px}pre{background:#f6f6f6;padding:8px}</style>
</head><body>
<h1>seqlab run report</h1>
<p><b>Test accuracy ${fixed(t.accuracy, 4)}</b>, macro-F1 ${fixed(t.macro_f1, 4)}, loss ${fixed(t.loss, 4)} on ${t.examples} examples; best epoch ${metrics.best_epoch} of ${metrics.epochs_run} (valid accuracy ${fixed(metrics.valid.accuracy, 4)}); ${fixed(metrics.seconds, 0)} s.</p>
<div class="charts">${loss}${acc}${grad}${confusionSvg(t.confusion_matrix, t.labels)}</div>
<h2>History</h2>
<table><tr><th>epoch</th><th>train loss</th><th>valid loss</th><th>valid acc</th><th>valid macro-F1</th><th>grad norm</th><th>seconds</th><th>tokens/s</th></tr>${rows}</table>
<h2>Configuration</h2>
<pre>${esc(JSON.stringify(config, null, 2))}</pre>
</body></html>
`;
}

/** Writes report.html atomically. */
export async function writeReport(path: string, input: ReportInput): Promise<void> {
  await writeFileAtomic(path, renderReport(input));
}
