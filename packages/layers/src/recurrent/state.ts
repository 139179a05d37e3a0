import { ConfigError, describeValue, ShapeError, Tensor } from '@seqlab/tensor';

/** Initial states of a recurrent layer as an object; shapes [L·D, B, H] ([L·D, H] for unbatched input). */
export interface RecurrentState {
  /** The initial hidden state of every layer and direction, [L·D, B, O] (O = projSize or H). */
  h0?: Tensor;
  /** LSTM only: the initial cell state, [L·D, B, H]; given with h0 or not at all. */
  c0?: Tensor;
}

/**
 * The initial state `LSTM.forward` accepts: `{ h0, c0 }` (canonical) or PyTorch's tuple
 * `[h0, c0]`; both or neither (zeros).
 */
export type LSTMInitialState = RecurrentState | readonly [Tensor, Tensor];

/** The initial state `RNN.forward` and `GRU.forward` accept: `h0` (canonical, PyTorch's form) or `{ h0 }`. */
export type HiddenInitialState = Tensor | RecurrentState;

/**
 * What the `forward` of every recurrent layer takes as its state parameter: the union of the forms
 * above. The three layers share this one parameter type so that a model holding `RNN | GRU | LSTM`
 * (the cell picked by a config) can call `forward` on the union, which TypeScript allows only when
 * the overloads' parameters agree; each layer then accepts its own forms at run time and refuses the
 * others (see NOTE(state-forms)).
 */
export type InitialState = LSTMInitialState | HiddenInitialState;

// NOTE(state-forms): a state in a container the layer does not know is refused, never replaced by
// zeros: a PyTorch tuple or bare tensor that was silently ignored is how a model trained from zero
// states while its author believed otherwise. null and undefined mean "no state" (zeros), as
// PyTorch's hx=None; `{}` does too, for loops that start from an empty state.

/** An object literal or `Object.create(null)` (an Array's or a Tensor's prototype chain is longer). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Reads a layer's initial state (see NOTE(state-forms)): LSTM `{ h0, c0 }` or `[h0, c0]`; RNN and
 * GRU `h0` or `{ h0 }`. Shapes are checked later, against the input.
 */
export function readLayerState(
  op: string,
  state: unknown,
  lstm: boolean,
): { h0: Tensor | undefined; c0: Tensor | undefined } {
  const expected = lstm
    ? 'an initial state { h0, c0 } or [h0, c0] (two Tensors, PyTorch’s tuple), or nothing for zeros'
    : 'an initial state h0 (a Tensor, as PyTorch) or { h0 }, or nothing for zeros';
  if (state === undefined || state === null) return { h0: undefined, c0: undefined };
  if (state instanceof Tensor) {
    if (!lstm) return { h0: state, c0: undefined };
    throw new ConfigError(op, expected, 'a Tensor', 'An LSTM needs both h0 and c0: pass [h0, c0]');
  }
  if (Array.isArray(state)) {
    if (lstm && state.length === 2 && state[0] instanceof Tensor && state[1] instanceof Tensor) {
      return { h0: state[0], c0: state[1] };
    }
    const hint = lstm
      ? state.length === 1 && state[0] instanceof Tensor
        ? 'An LSTM needs both h0 and c0'
        : undefined
      : state.length === 1 && state[0] instanceof Tensor
        ? 'Pass h0 itself, not a list holding it'
        : undefined;
    throw new ConfigError(op, expected, describeValue(state), hint ?? numbersHint(state));
  }
  if (isPlainObject(state)) {
    const keys = Object.keys(state);
    const allowed = lstm ? ['h0', 'c0'] : ['h0'];
    if (!lstm && keys.includes('c0')) {
      throw new ShapeError(op, 'no c0 (only LSTM has a cell state)', 'a c0');
    }
    const unknown = keys.filter((k) => !allowed.includes(k));
    if (unknown.length > 0) {
      const hint =
        lstm && unknown.includes('h')
          ? '{ h, c } is the state of LSTMCell; the LSTM layer takes { h0, c0 }'
          : undefined;
      throw new ConfigError(op, expected, describeValue(state), hint);
    }
    for (const key of allowed) {
      const v = state[key];
      if (v !== undefined && !(v instanceof Tensor)) {
        throw new ConfigError(op, `${key} as a Tensor`, describeValue(v), numbersHint(v));
      }
    }
    const h0 = state.h0 as Tensor | undefined;
    const c0 = state.c0 as Tensor | undefined;
    if (lstm && (h0 === undefined) !== (c0 === undefined)) {
      throw new ConfigError(
        op,
        expected,
        h0 ? 'an h0 without a c0' : 'a c0 without an h0',
        'Pass both, or neither for zeros',
      );
    }
    return { h0, c0 };
  }
  throw new ConfigError(op, expected, describeValue(state), numbersHint(state));
}

/**
 * Reads a cell's state (see NOTE(state-forms)): LSTMCell `{ h, c }` or `[h, c]`; RNNCell and
 * GRUCell `h` (a Tensor). Shapes are checked later, against the input.
 */
export function readCellState(
  op: string,
  state: unknown,
  lstm: boolean,
): { h: Tensor | undefined; c: Tensor | undefined } {
  const expected = lstm
    ? 'a state { h, c } or [h, c] (two Tensors, PyTorch’s tuple), or nothing for zeros'
    : 'a state h (a Tensor, as PyTorch), or nothing for zeros';
  if (state === undefined || state === null) return { h: undefined, c: undefined };
  if (state instanceof Tensor) {
    if (!lstm) return { h: state, c: undefined };
    throw new ConfigError(op, expected, 'a Tensor', 'An LSTMCell needs both h and c: pass [h, c]');
  }
  if (
    lstm &&
    Array.isArray(state) &&
    state.length === 2 &&
    state[0] instanceof Tensor &&
    state[1] instanceof Tensor
  ) {
    return { h: state[0], c: state[1] };
  }
  if (lstm && isPlainObject(state)) {
    const keys = Object.keys(state);
    const unknown = keys.filter((k) => k !== 'h' && k !== 'c');
    if (unknown.length > 0) {
      const hint = unknown.includes('h0')
        ? '{ h0, c0 } is the LSTM layer’s initial state; the cell takes { h, c }'
        : undefined;
      throw new ConfigError(op, expected, describeValue(state), hint);
    }
    for (const key of ['h', 'c']) {
      const v = state[key];
      if (v !== undefined && !(v instanceof Tensor)) {
        throw new ConfigError(op, `${key} as a Tensor`, describeValue(v), numbersHint(v));
      }
    }
    const h = state.h as Tensor | undefined;
    const c = state.c as Tensor | undefined;
    if ((h === undefined) !== (c === undefined)) {
      throw new ConfigError(
        op,
        expected,
        h ? 'an h without a c' : 'a c without an h',
        'Pass both, or neither for zeros',
      );
    }
    return { h, c };
  }
  let hint = numbersHint(state);
  if (!lstm && Array.isArray(state) && state.length === 1 && state[0] instanceof Tensor) {
    hint = 'Pass h itself, not a list holding it';
  }
  if (!lstm && isPlainObject(state) && Object.hasOwn(state, 'h')) hint = 'Pass h itself, not { h }';
  throw new ConfigError(op, expected, describeValue(state), hint);
}

/** For plain numbers where a Tensor belongs: how to make one. */
function numbersHint(value: unknown): string | undefined {
  const numeric =
    typeof value === 'number' ||
    (Array.isArray(value) &&
      value.length > 0 &&
      value.every((v) => typeof v === 'number' || Array.isArray(v)));
  return numeric ? 'Make a Tensor with tensor(...) first' : undefined;
}
