// What the recurrent layers' capability tests share (batch-first-recurrence.test.ts,
// layer-columns.test.ts): a backend capability switched off and back, the bits of a step's
// results compared, the autograd ops between an output and the leaves, and the cells they run.
import { GRU, LSTM, RNN, type RNNBase } from '@seqlab/layers';
import { type Tensor, tensor } from '@seqlab/tensor';
import { backend } from '@seqlab/tensor/backend';
import { expect } from 'vitest';

/** The bits of a tensor's values (+0 and −0 differ). */
export const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));
/** The first index where two bit arrays (or lists of them) differ, or −1: a short failure on big arrays. */
export const diffAt = (a: unknown[], b: unknown[]): number =>
  a.length !== b.length
    ? -2
    : a.findIndex((v, i) => (Array.isArray(v) ? diffAt(v, b[i] as unknown[]) >= 0 : v !== b[i]));

/**
 * A capability of the active backend switched off (defined false) by `set(false)`, and by
 * `set(true)` back to what it was when `save()` ran (absent stays absent).
 */
export function capabilitySwitch(name: 'recurrentBatchFirst' | 'recurrentOutStride') {
  let saved: PropertyDescriptor | undefined;
  return {
    save(): void {
      saved = Object.getOwnPropertyDescriptor(backend(), name);
    },
    set(on: boolean): void {
      const k = backend();
      if (!on) Object.defineProperty(k, name, { value: false, configurable: true, writable: true });
      else if (saved) Object.defineProperty(k, name, saved);
      else delete (k as { [key in typeof name]?: boolean })[name];
    },
  };
}

/** How many nodes of each autograd op lie between `t` and the leaves. */
export function opsOf(t: Tensor): Map<string, number> {
  const seen = new Map<string, number>();
  const stack = [t];
  const visited = new Set<unknown>();
  while (stack.length > 0) {
    const node = (stack.pop() as Tensor)._node;
    if (!node || visited.has(node)) continue;
    visited.add(node);
    seen.set(node.op, (seen.get(node.op) ?? 0) + 1);
    stack.push(...node.inputs);
  }
  return seen;
}

/** A recurrent layer's results. */
export interface Result {
  output: Tensor;
  hN: Tensor;
  cN?: Tensor | null;
}
/** A loss read from a layer's results. */
export type Read = (r: Result) => Tensor;
/** The whole output times a constant with −0, +0 and ordinary values: dOut holds −0s. */
export const signedZeros: Read = (r) => {
  const n = r.output.numel;
  const c = tensor(Array.from({ length: n }, (_, i) => [-0, 0, 0.5, -1.25, -0][i % 5])).reshape(
    r.output.shape,
  );
  return r.output.mul(c).sum();
};

/** The bits of one step's results (`loss` when the step keeps it; a gradient null when none). */
export interface StepBits {
  loss?: number[];
  output: number[];
  hN: number[];
  cN: number[] | null;
  grads: (number[] | null)[];
}

/** The step with the capability on gave the bits it gave off. */
export function expectSame(off: StepBits, on: StepBits, what: string): void {
  if (off.loss) expect(on.loss, what).toEqual(off.loss);
  expect(diffAt(on.output, off.output), `${what}: output`).toBe(-1);
  expect(diffAt(on.hN, off.hN), `${what}: hN`).toBe(-1);
  if (off.cN) expect(diffAt(on.cN as number[], off.cN), `${what}: cN`).toBe(-1);
  expect(diffAt(on.grads, off.grads), `${what}: gradients`).toBe(-1);
}

/** The options the tests build their layers with. */
export type Options = {
  inputSize: number;
  hiddenSize: number;
  batchFirst: boolean;
  numLayers?: number;
  dropout?: number;
  bidirectional?: boolean;
};
/** Every cell, by name. */
export const CELLS: [string, (o: Options) => RNNBase][] = [
  ['LSTM', (o) => new LSTM(o)],
  ['GRU', (o) => new GRU(o)],
  ['RNN tanh', (o) => new RNN(o)],
  ['RNN relu', (o) => new RNN({ ...o, nonlinearity: 'relu' })],
];
