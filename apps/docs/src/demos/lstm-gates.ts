/**
 * Guide 4: the LSTM's gates and cell state on a task whose memory is easy to see. A character-level
 * LSTM reads a sentence and says, after every character, whether it is inside "double quotes" and
 * whether it is inside (parentheses): two bits it must carry from the opening mark, through any
 * number of words, to the closing one. The model is small (embedding 8, H = 8, 986 parameters)
 * and trains in a few seconds, in a Web Worker in the page (lstm-gates.worker.ts) or in Node (the
 * test). The gate activations come from the library: `lstm.recordGates = true` keeps, for every
 * step, the i, f, g, o activations and the cell state the fused kernel computed.
 */
import { BCEWithLogitsLoss, Embedding, Linear, LSTM, Module } from '@seqlab/layers';
import { Adam } from '@seqlab/optim';
import { manualSeed, noGrad, type Tensor, tensor } from '@seqlab/tensor';

/** The characters the model knows; anything else reads as id 0. */
export const CHARS = ' abcdefghijklmnopqrstuvwxyz.,;:!?\'"()-0123456789';
const IDS = new Map([...CHARS].map((c, i) => [c, i + 1]));
/** The outputs, in order. */
export const TARGETS = ['inside "quotes"', 'inside (parentheses)'] as const;

/** Character ids of `text` (lower-cased; unknown characters are 0). */
export const encode = (text: string): number[] => [...text.toLowerCase()].map((c) => IDS.get(c) ?? 0);

/**
 * The targets after each character: [inside quotes, inside parentheses], each 0 or 1. A `"`
 * toggles the first; `(` sets and `)` clears the second. The opening mark already counts as inside,
 * the closing one as outside, so each label depends only on the characters read so far.
 */
export function targets(text: string): [number, number][] {
  let quote = 0;
  let paren = 0;
  return [...text].map((c) => {
    if (c === '"') quote = 1 - quote;
    else if (c === '(') paren = 1;
    else if (c === ')') paren = 0;
    return [quote, paren];
  });
}

const WORDS = (
  'the a cat dog sat on mat she he said it was not very good bad movie film plot actors ' +
  'and but so then we they i you love hate think really quite long short story ending ' +
  'music scene funny sad never always just well time people see saw like made one two'
).split(' ');

/** A small seeded generator (mulberry32) for the sentences, independent of the model's seed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sentences of 3–12 words with up to one quoted and one parenthesised span each, ≤ `maxLength` characters. */
export function makeSentences(count: number, seed: number, maxLength = 64): string[] {
  const rand = random(seed);
  const pick = () => WORDS[Math.floor(rand() * WORDS.length)];
  const words = (n: number) => Array.from({ length: n }, pick).join(' ');
  const out: string[] = [];
  while (out.length < count) {
    const parts = [words(1 + Math.floor(rand() * 3))];
    const spans = ['quote', 'paren'].filter(() => rand() < 0.6);
    if (rand() < 0.5) spans.reverse();
    for (const span of spans) {
      const inner = words(1 + Math.floor(rand() * 4));
      parts.push(span === 'quote' ? `"${inner}"` : `(${inner})`);
      parts.push(words(Math.floor(rand() * 3)));
    }
    const sentence = `${parts.filter((p) => p !== '').join(' ')}.`;
    if (sentence.length <= maxLength) out.push(sentence);
  }
  return out;
}

/** Embedding → LSTM → Linear: a logit per target after every character. */
export class GateModel extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly fc: Linear;

  constructor(hidden = 8, embed = 8) {
    super();
    this.embedding = new Embedding(CHARS.length + 1, embed);
    this.lstm = new LSTM({ inputSize: embed, hiddenSize: hidden });
    this.fc = new Linear(hidden, TARGETS.length);
  }

  /** ids [T, B] (or [T]) -> logits [T, B, 2] (or [T, 2]). */
  forward(ids: Tensor): Tensor {
    return this.fc.forward(this.lstm.forward(this.embedding.forward(ids)).output);
  }
}

/** A batch: ids [T, B] padded with spaces (which change no label) and targets [T, B, 2]. */
function batchOf(sentences: string[]): { ids: Tensor; y: Tensor; length: number } {
  const length = Math.max(...sentences.map((s) => s.length));
  const padded = sentences.map((s) => s.padEnd(length, ' '));
  const B = padded.length;
  const ids = new Int32Array(length * B);
  const y = new Float32Array(length * B * 2);
  padded.forEach((s, b) => {
    const e = encode(s);
    targets(s).forEach(([q, p], t) => {
      ids[t * B + b] = e[t];
      y[(t * B + b) * 2] = q;
      y[(t * B + b) * 2 + 1] = p;
    });
  });
  return {
    ids: tensor(ids, { shape: [length, B], dtype: 'int32' }),
    y: tensor(y, { shape: [length, B, 2] }),
    length,
  };
}

/** Options of `GateTrainer`. */
export interface GateTrainingOptions {
  /** Optimizer steps (default 400). */
  steps?: number;
  /** Sentences per step (default 32). */
  batch?: number;
  /** Adam's learning rate (default 0.02). */
  lr?: number;
  /** Seed of the weights (default 0); the sentences have their own fixed seeds. */
  seed?: number;
}

/** How well the model does on held-out sentences, counting real characters only (not padding). */
export interface GateEvaluation {
  /** Fraction of (character, target) pairs right. */
  charAccuracy: number;
  /** Fraction of sentences with every label of every character right. */
  sentenceAccuracy: number;
  sentences: number;
}

/** One step's report. */
export interface GateProgress {
  step: number;
  steps: number;
  loss: number;
}

/** The training run, one step at a time, so a Worker can report progress and stop between steps. */
// #region train
export class GateTrainer {
  readonly model: GateModel;
  readonly steps: number;
  step = 0;
  readonly #train: string[];
  readonly #batch: number;
  readonly #optimizer: Adam;
  readonly #loss = new BCEWithLogitsLoss();

  constructor(options: GateTrainingOptions = {}) {
    const { steps = 400, batch = 32, lr = 0.02, seed = 0 } = options;
    manualSeed(seed);
    this.model = new GateModel();
    this.steps = steps;
    this.#batch = batch;
    this.#train = makeSentences(steps * batch, 1);
    this.#optimizer = new Adam(this.model.parameters(), { lr });
  }

  /** One Adam step on the next batch; returns its loss. */
  next(): GateProgress {
    const sentences = this.#train.slice(this.step * this.#batch, (this.step + 1) * this.#batch);
    const { ids, y } = batchOf(sentences);
    const loss = this.#loss.forward(this.model.forward(ids), y);
    this.#optimizer.zeroGrad();
    loss.backward();
    this.#optimizer.step();
    this.step++;
    return { step: this.step, steps: this.steps, loss: loss.item() };
  }
}
// #endregion train

/** The held-out sentences (a seed the training sentences never use). */
export const heldOut = (count = 200) => makeSentences(count, 2);

/** Accuracy on `sentences`, one sentence at a time (no padding). */
export function evaluate(model: GateModel, sentences: readonly string[] = heldOut()): GateEvaluation {
  let right = 0;
  let total = 0;
  let whole = 0;
  noGrad(() => {
    for (const s of sentences) {
      const logits = model.forward(tensor(encode(s), { dtype: 'int32' })).data; // [T, 2]
      let all = true;
      targets(s).forEach((pair, t) => {
        for (let k = 0; k < 2; k++) {
          const ok = logits[t * 2 + k] > 0 === (pair[k] === 1);
          right += ok ? 1 : 0;
          all &&= ok;
        }
      });
      total += 2 * s.length;
      whole += all ? 1 : 0;
    }
  });
  return {
    charAccuracy: right / total,
    sentenceAccuracy: whole / sentences.length,
    sentences: sentences.length,
  };
}

/** What the model did at each character of one text. */
export interface GateTrace {
  chars: string[];
  /** [T][H] activations of the input, forget and output gates (σ, in [0, 1]) and the candidate g (tanh). */
  input: number[][];
  forget: number[][];
  output: number[][];
  candidate: number[][];
  /** [T][H] cell state c_t. */
  cell: number[][];
  /** [T][2] σ(logit): the model's probability for each target. */
  predictions: number[][];
  /** [T][2] the true labels. */
  targets: number[][];
}

// #region trace
/** Runs `text` through the model with `recordGates` on and returns every gate, per character and unit. */
export function traceGates(model: GateModel, text: string): GateTrace {
  const H = model.lstm.hiddenSize;
  return noGrad(() => {
    model.lstm.recordGates = true;
    const logits = model.forward(tensor(encode(text), { dtype: 'int32' })); // [T] -> [T, 2]
    const record = model.lstm.lastGates?.[0]; // layer 0, forward: gates [T, 4H] in PyTorch's order i, f, g, o
    model.lstm.recordGates = false;
    if (!record?.cells) throw new Error('traceGates: expected recorded LSTM gates, got none');
    const gates = record.gates.data;
    const cells = record.cells.data;
    const rows = (block: number) =>
      [...text].map((_, t) => Array.from(gates.subarray(t * 4 * H + block * H, t * 4 * H + (block + 1) * H)));
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    return {
      chars: [...text],
      input: rows(0),
      forget: rows(1),
      candidate: rows(2),
      output: rows(3),
      cell: [...text].map((_, t) => Array.from(cells.subarray(t * H, (t + 1) * H))),
      predictions: [...text].map((_, t) => [sigmoid(logits.data[t * 2]), sigmoid(logits.data[t * 2 + 1])]),
      targets: targets(text),
    };
  });
}
// #endregion trace

/** The trained weights as plain arrays, to post from a Worker (structured clone) and load back. */
export type GateWeights = { name: string; shape: number[]; data: Float32Array }[];

export const exportWeights = (model: GateModel): GateWeights =>
  [...model.stateDict()].map(([name, t]) => ({ name, shape: [...t.shape], data: Float32Array.from(t.data) }));

/** A model holding `weights` (from `exportWeights`). */
export function importWeights(weights: GateWeights): GateModel {
  const model = new GateModel();
  model.loadStateDict(new Map(weights.map((w) => [w.name, tensor(w.data, { shape: w.shape })])));
  return model;
}

/** Mean forget-gate activation of each unit at the quote marks, at the parentheses, and at every other character. */
export interface ForgetSummary {
  quote: number[];
  paren: number[];
  other: number[];
}

/** The forget gate's behaviour over `sentences`: where it closes (→ 0, wiping the cell) and where it stays open. */
export function forgetAtMarks(model: GateModel, sentences: readonly string[] = heldOut()): ForgetSummary {
  const H = model.lstm.hiddenSize;
  const sums = { quote: new Array(H).fill(0), paren: new Array(H).fill(0), other: new Array(H).fill(0) };
  const counts = { quote: 0, paren: 0, other: 0 };
  for (const s of sentences) {
    const trace = traceGates(model, s);
    trace.chars.forEach((c, t) => {
      const kind = c === '"' ? 'quote' : c === '(' || c === ')' ? 'paren' : 'other';
      counts[kind]++;
      for (let u = 0; u < H; u++) sums[kind][u] += trace.forget[t][u];
    });
  }
  const mean = (kind: keyof typeof counts) => sums[kind].map((v) => v / counts[kind]);
  return { quote: mean('quote'), paren: mean('paren'), other: mean('other') };
}
