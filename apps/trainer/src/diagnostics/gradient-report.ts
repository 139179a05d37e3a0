import { lineChart, type Series } from '../svg';
import { type GradientFlowResult, type GradientSeries, type Phase, tableDistances } from './gradient-flow';

/** A number as Python's `f"{v:9.2e}"` prints it (`4.22e-06`), so our table diffs against the reference's. */
export function sci(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const [mantissa, exponent] = v.toExponential(2).split('e');
  const e = Number(exponent);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/**
 * The reference's table for one phase: a header of distances, then one row per series
 * (`rnn dL/dh`, `gru dL/dh`, `lstm dL/dh`, `lstm dL/dc`) of relative norms, same widths.
 */
export function gradientTable(series: readonly GradientSeries[], length: number): string {
  const dists = tableDistances(length);
  const lines = [`${'distance'.padEnd(12)} ${dists.map((d) => String(d).padStart(9)).join(' ')}`];
  for (const s of series) {
    lines.push(`${s.name.padEnd(12)} ${dists.map((d) => sci(s.relative[d]).padStart(9)).join(' ')}`);
  }
  return lines.join('\n');
}

/** The whole text report: settings, the table at init and (if trained) after training. */
export function gradientReport(result: GradientFlowResult): string {
  const o = result.options;
  const phase = (p: Phase) => result.series.filter((s) => s.phase === p);
  const out = [
    `Gradient norm by distance from the loss, relative to distance 0 (mean of ${o.seeds} seed${o.seeds === 1 ? '' : 's'})`,
    `T ${o.length}, hidden ${o.hidden}, input ${o.input}, batch ${o.batch}, loss head(h_T)^2, x ~ N(0, 1); LSTM forget bias ${o.forgetBias}`,
    '',
    'at initialisation',
    gradientTable(phase('init'), o.length),
  ];
  if (result.training.length > 0) {
    out.push(
      '',
      `after ${o.trainSteps} Adam steps on the adding problem (lr ${o.lr}, clip ${o.clip}), probed on the same x`,
      gradientTable(phase('trained'), o.length),
      '',
      'training MSE, first → last 10% of steps (predicting 1 scores 0.167):',
      ...result.training.map(
        (t) => `  ${t.model.padEnd(5)} ${t.firstLoss.toFixed(3)} → ${t.lastLoss.toFixed(3)}`,
      ),
    );
  }
  const cells = result.series.filter((s) => s.path === 'dc');
  if (cells.length > 0) {
    const gates = cells.map((s) => `${(s.meanForgetGate ?? Number.NaN).toFixed(3)} (${s.phase})`).join(', ');
    out.push(
      '',
      'dL/dc: the gradient along the cell state, c_{T-1-d} at distance d, as the reference records it',
      `LSTM forget gate on x, mean over units, steps and seeds: ${gates}`,
    );
  }
  return out.join('\n');
}

/** One JSON object per model, path and phase (the `--json` lines). */
export function gradientEvents(result: GradientFlowResult): Record<string, unknown>[] {
  const o = result.options;
  return result.series.map((s) => {
    const t = s.phase === 'trained' ? result.training.find((x) => x.model === s.model) : undefined;
    return {
      event: 'gradient_flow',
      model: s.model,
      path: s.path,
      series: s.name,
      phase: s.phase,
      T: o.length,
      hidden: o.hidden,
      input: o.input,
      batch: o.batch,
      seeds: o.seeds,
      forget_bias: s.model === 'lstm' ? o.forgetBias : 0,
      train_steps: s.phase === 'trained' ? o.trainSteps : 0,
      ...(t ? { train_loss_first: t.firstLoss, train_loss_last: t.lastLoss } : {}),
      norm_at_loss: s.atLoss,
      ...(s.meanForgetGate !== undefined ? { mean_forget_gate: s.meanForgetGate } : {}),
      relative_by_distance: s.relative,
    };
  });
}

/** Series colors: strong at init, pale after training (same hue per row of the table). */
const COLORS: Record<string, [string, string]> = {
  'rnn dL/dh': ['#d62728', '#f4a6a6'],
  'gru dL/dh': ['#2ca02c', '#9fd89f'],
  'lstm dL/dh': ['#1f77b4', '#9ec9ea'],
  'lstm dL/dc': ['#9467bd', '#cdb7e3'],
};

/** The `--svg` plot: every series at init and after training, relative norm (log) against distance. */
export function gradientSvg(result: GradientFlowResult): string {
  const o = result.options;
  const series: Series[] = result.series.map((s) => ({
    name: `${s.name}${s.phase === 'trained' ? ' (trained)' : ' (init)'}`,
    points: s.relative.map((v, d) => [d, v] as [number, number]),
    color: (COLORS[s.name] ?? ['#444', '#aaa'])[s.phase === 'init' ? 0 : 1],
  }));
  return lineChart(
    `Gradient norm vs distance from the loss (T ${o.length}, H ${o.hidden}, ${o.seeds} seeds, forget bias ${o.forgetBias})`,
    series,
    { logY: true, xLabel: 'distance from the loss (steps)', width: 720, height: 400 },
  );
}
