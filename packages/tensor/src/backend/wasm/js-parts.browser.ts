import type * as Parts from './js-parts';

// The ES module build's js-parts.ts (NOTE(wasm-js-parts)): the parts, set by `provideJsParts`
// (loader.browser.ts calls it before it makes the backend). The backend reads them in its
// functions only, never while its modules are evaluated.

/** What js-parts.ts exports. */
export type JsParts = typeof Parts;

export let BackendError: JsParts['BackendError'];
export let RECURRENT_GATES: JsParts['RECURRENT_GATES'];
export let gemmPacked: JsParts['gemmPacked'];
export let gemmVia: JsParts['gemmVia'];
export let packB: JsParts['packB'];
export let jsBackend: JsParts['jsBackend'];
export let makeRecurrentKernels: JsParts['makeRecurrentKernels'];
export let recurrentBackward: JsParts['recurrentBackward'];
export let recurrentForward: JsParts['recurrentForward'];
export let coalesce: JsParts['coalesce'];
export let contiguousStrides: JsParts['contiguousStrides'];

/**
 * The parts in the order `provideJsParts` takes them: a list, not an object, so that the entry's
 * side (part of every page's first download) does not spell out their names.
 */
export type JsPartList = [
  JsParts['BackendError'],
  JsParts['RECURRENT_GATES'],
  JsParts['gemmPacked'],
  JsParts['gemmVia'],
  JsParts['packB'],
  JsParts['jsBackend'],
  JsParts['makeRecurrentKernels'],
  JsParts['recurrentBackward'],
  JsParts['recurrentForward'],
  JsParts['coalesce'],
  JsParts['contiguousStrides'],
];

/** Sets the parts: the registry's side's own, so that both sides share one copy of each. */
export function provideJsParts(parts: JsPartList): void {
  [
    BackendError,
    RECURRENT_GATES,
    gemmPacked,
    gemmVia,
    packB,
    jsBackend,
    makeRecurrentKernels,
    recurrentBackward,
    recurrentForward,
    coalesce,
    contiguousStrides,
  ] = parts;
}
