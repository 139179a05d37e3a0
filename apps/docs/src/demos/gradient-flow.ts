/**
 * Guide 3's demo: ‖dL/dh_t‖ against the distance from the loss for RNN, GRU and LSTM (forget-gate
 * bias 0 and 2), computed in the page by the very code behind `seqlab diagnose gradients`
 * (apps/trainer/src/diagnostics/gradient-flow.ts, imported, not copied). The page's Vue component
 * runs `measureCurves` one model at a time and draws what `logChart` returns; the test checks both.
 */
import {
  type CellKind,
  GRADIENT_FLOW_DEFAULTS,
  type GradientPath,
  measureGradientFlow,
} from '@seqlab/cli/diagnostics/gradient-flow';

/** The probe's sizes; the defaults are the reference script's (T 50, H 64, I 16, B 32, 5 seeds). */
export interface ProbeSettings {
  length: number;
  hidden: number;
  input: number;
  batch: number;
  seeds: number;
}

/** The reference's settings, as `seqlab diagnose gradients --train-steps 0` uses them. */
export const PROBE_DEFAULTS: ProbeSettings = {
  length: GRADIENT_FLOW_DEFAULTS.length,
  hidden: GRADIENT_FLOW_DEFAULTS.hidden,
  input: GRADIENT_FLOW_DEFAULTS.input,
  batch: GRADIENT_FLOW_DEFAULTS.batch,
  seeds: GRADIENT_FLOW_DEFAULTS.seeds,
};

/** One layer to probe: the chart has one run per entry, in this order. */
export interface ProbeRun {
  model: CellKind;
  forgetBias: number;
}

/** RNN, GRU, then the LSTM at PyTorch's init and with its forget gate opened by a bias of 2. */
export const PROBE_RUNS: readonly ProbeRun[] = [
  { model: 'rnn', forgetBias: 0 },
  { model: 'gru', forgetBias: 0 },
  { model: 'lstm', forgetBias: 0 },
  { model: 'lstm', forgetBias: 2 },
];

/** One curve of the chart. */
export interface GradientCurve {
  /** `lstm-2-dc`: model, forget bias, path. */
  id: string;
  /** `LSTM, forget bias 2: ‖dL/dc‖`. */
  label: string;
  model: CellKind;
  forgetBias: number;
  path: GradientPath;
  /** relative[d] = ‖dL/d·‖ at distance d from the loss over its value at distance 0 (seed means). */
  relative: number[];
  /** LSTM only: the mean forget gate on the probe's inputs (≈ σ(bias)). */
  meanForgetGate?: number;
}

const MODEL_NAMES: Record<CellKind, string> = { rnn: 'RNN', gru: 'GRU', lstm: 'LSTM' };

/** The name of a run's curve as the page's legend shows it. */
export function curveLabel(run: ProbeRun, path: GradientPath): string {
  const bias = run.model === 'lstm' ? `, forget bias ${run.forgetBias}` : '';
  return `${MODEL_NAMES[run.model]}${bias}: ‖dL/d${path === 'dh' ? 'h' : 'c'}‖`;
}

/**
 * Probes one layer at initialisation (no training) and returns its curves: dL/dh, and for the LSTM
 * also the cell path dL/dc. Deterministic: every seed draws from PyTorch's generator, so at the
 * default settings the numbers are gradient_flow.py's (apps/trainer/fixtures/gradient-flow.json).
 */
export function measureCurves(run: ProbeRun, settings: ProbeSettings = PROBE_DEFAULTS): GradientCurve[] {
  const { series } = measureGradientFlow({
    ...GRADIENT_FLOW_DEFAULTS,
    ...settings,
    models: [run.model],
    forgetBias: run.forgetBias,
    trainSteps: 0,
  });
  return series.map((s) => ({
    id: `${run.model}-${run.forgetBias}-${s.path}`,
    label: curveLabel(run, s.path),
    model: run.model,
    forgetBias: run.forgetBias,
    path: s.path,
    relative: s.relative,
    ...(s.meanForgetGate === undefined ? {} : { meanForgetGate: s.meanForgetGate }),
  }));
}
