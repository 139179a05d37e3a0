import type { TextClassifier, TextEncoder } from '@seqlab/classifier';
import { LSTM } from '@seqlab/layers';
import { ConfigError, noGrad, tensor } from '@seqlab/tensor';

/** The three LSTM gates shown, with their column block in PyTorch's i, f, g, o layout. */
export const GATES = [
  { name: 'forget', symbol: 'f', block: 1, meaning: '1 keeps c_{t-1}, 0 erases it' },
  { name: 'input', symbol: 'i', block: 0, meaning: '1 writes the candidate g_t into c_t' },
  { name: 'output', symbol: 'o', block: 3, meaning: '1 exposes tanh(c_t) as h_t' },
] as const;

/** One of the gates shown: forget, input or output. */
export type GateName = (typeof GATES)[number]['name'];

/** What `gateActivations` returns: one layer-direction's gates for every token of a text. */
export interface GateActivations {
  /** The tokens as the run's tokenizer splits the text (the first maxLen). */
  tokens: string[];
  /** Their ids in the run's vocabulary (1 = <unk>). */
  ids: number[];
  /** The layer (0-based) and direction (0 forward) shown: the last layer, forward. */
  layer: number;
  direction: number;
  /** Hidden units H. */
  hidden: number;
  /** Mean over hidden units of each gate, per token [T]. */
  mean: Record<GateName, number[]>;
  /** Every unit's activation per token, [T][H]. */
  units: Record<GateName, number[][]>;
}

/**
 * Runs one text through a run's LSTM classifier (eval mode, no gradients) with `recordGates` on and
 * returns, for the last layer's forward direction, the forget, input and output gate activations
 * per token: ids [1, T] -> embedding [1, T, E] -> LSTM, the same layers `model.forward` uses (a
 * single unpadded sequence needs no packing, so the activations are the same).
 *
 * Throws a ConfigError when the run's model is not an LSTM or the text has no tokens.
 *
 * @example
 * ```ts
 * const run = await loadRun('runs/spam');
 * const g = gateActivations(run.model, run.encoder, 'win a free prize now');
 * g.tokens; // ['win', 'a', 'free', 'prize', 'now'];  g.mean.forget: 5 numbers in (0, 1)
 * ```
 */
export function gateActivations(model: TextClassifier, encoder: TextEncoder, text: string): GateActivations {
  const op = 'diagnose gates';
  const lstm = model.recurrent;
  if (!(lstm instanceof LSTM)) {
    throw new ConfigError(op, 'a run whose model is an LSTM', `model ${model.config.model}`);
  }
  const tokens = encoder.tokens(text);
  if (tokens.length === 0) throw new ConfigError(op, 'a text with at least one token', JSON.stringify(text));
  const ids = encoder.encode(text);
  if (ids.length !== tokens.length) {
    throw new ConfigError(op, `one id per token (${tokens.length})`, `${ids.length} ids`);
  }
  const T = ids.length;
  const H = lstm.hiddenSize;
  const layer = lstm.numLayers - 1;
  const wasTraining = model.training;
  model.eval();
  const record = (() => {
    lstm.recordGates = true;
    try {
      return noGrad(() => {
        // ids [1, T] -> embedded [1, T, E] -> gates of every layer-direction [T, 4H]
        const embedded = model.embedding.forward(tensor(Int32Array.from(ids), { shape: [1, T] }));
        lstm.forward(embedded);
        return lstm.lastGates?.find((g) => g.layer === layer && g.direction === 0);
      });
    } finally {
      lstm.recordGates = false;
      lstm.lastGates = null;
      model.train(wasTraining);
    }
  })();
  if (!record) throw new ConfigError(op, 'gate activations from the LSTM', 'none recorded');
  // Rows are time-major; with one sequence, row t is token t. Columns: i, f, g, o blocks of H.
  const data = record.gates.data;
  const mean = {} as Record<GateName, number[]>;
  const units = {} as Record<GateName, number[][]>;
  for (const gate of GATES) {
    units[gate.name] = Array.from({ length: T }, (_, t) =>
      Array.from(data.subarray(t * 4 * H + gate.block * H, t * 4 * H + (gate.block + 1) * H)),
    );
    mean[gate.name] = units[gate.name].map((row) => row.reduce((a, b) => a + b, 0) / H);
  }
  return { tokens, ids, layer, direction: 0, hidden: H, mean, units };
}
