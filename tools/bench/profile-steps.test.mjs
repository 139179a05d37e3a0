import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { functionKey, indexProfile, perStep, splitSteps, wasmExportNames } from './profile-steps.mjs';

const BENCH = 'file:///repo/apps/trainer/dist/bench-X.js';
const TENSOR = 'file:///repo/packages/tensor/dist/index.cjs';
const OPTIM = 'file:///repo/packages/optim/dist/index.cjs';
const frame = (functionName, url = '', lineNumber = -1) => ({ functionName, url, lineNumber });

// root > timeModes > tidy > (callback) > {forward > {wasm-function[0], tidy > (an op's callback)},
//                                          step > adamStep > wasm-function[2], item}
//                         > end (tidy's disposal)
//      > timeModes > {now, parameters (set-up)};  root > (garbage collector), (program)
const nodes = [
  { id: 1, callFrame: frame('(root)'), children: [2, 20, 21] },
  { id: 2, callFrame: frame('timeModes', BENCH, 200), children: [14, 3, 12] },
  { id: 3, callFrame: frame('tidy', TENSOR, 1292), children: [4, 11] },
  { id: 4, callFrame: frame('', BENCH, 401), children: [5, 7, 15] },
  { id: 5, callFrame: frame('forward', BENCH, 254), children: [6, 16] },
  { id: 6, callFrame: frame('wasm-function[0]', 'wasm://wasm/1', 0), children: [13] },
  { id: 13, callFrame: frame('js-to-wasm:ii:') },
  { id: 7, callFrame: frame('step', OPTIM, 659), children: [8] },
  { id: 8, callFrame: frame('adamStep', TENSOR, 1195), children: [9] },
  { id: 9, callFrame: frame('js-to-wasm:iiii:'), children: [10] },
  { id: 10, callFrame: frame('wasm-function[2]', 'wasm://wasm/1', 0) },
  { id: 11, callFrame: frame('end', TENSOR, 1323) },
  { id: 12, callFrame: frame('now', BENCH, 10) },
  { id: 14, callFrame: frame('parameters', BENCH, 100) },
  { id: 15, callFrame: frame('item', TENSOR, 500) },
  { id: 16, callFrame: frame('tidy', TENSOR, 1292), children: [17] },
  { id: 17, callFrame: frame('', TENSOR, 900) },
  { id: 20, callFrame: frame('(garbage collector)') },
  { id: 21, callFrame: frame('(program)') },
];
const F = 5; // forward
const W = 6; // wasm under forward
const S = 7; // optimizer step
const A = 10; // wasm under adamStep
const E = 11; // tidy's end
const GC = 20;
const P = 21;
const N = 12;
const SETUP = 14;
const ITEM = 15;
const INNER = 17; // under a tidy inside the forward
const CB = 4; // the step's callback's own code

/** A profile of `samples` (node ids) and their time deltas in µs. */
const profileOf = (samples, deltas) => ({ nodes, samples, timeDeltas: deltas ?? samples.map(() => 1000) });

describe('splitSteps', () => {
  it('ends each step after its optimizer step and tidy’s disposal', () => {
    // step 1: P (before the loop), F W S A E GC N; step 2: F S A; step 3: F W GC S E, then P.
    const samples = [P, F, W, S, A, E, GC, N, F, S, A, F, W, GC, S, E, P];
    const steps = splitSteps(profileOf(samples));
    expect(steps).toEqual([
      [1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10],
      [11, 12, 13, 14, 15],
    ]);
  });

  it('does not start a step at tidy’s disposal or at the loop’s own samples after the optimizer', () => {
    const samples = [F, S, E, N, GC, E, F, S];
    expect(splitSteps(profileOf(samples))).toEqual([
      [0, 1, 2, 3, 4, 5],
      [6, 7],
    ]);
  });

  it('starts no step at the callback’s own code, the loss read or a tidy inside the step', () => {
    // The set-up (and a GC sample before the first step) is no step's; step 1: F S CB ITEM E;
    // step 2: INNER F S A; step 3: INNER F.
    const samples = [SETUP, GC, F, S, CB, ITEM, E, INNER, F, S, A, INNER, F];
    expect(splitSteps(profileOf(samples))).toEqual([
      [2, 3, 4, 5, 6],
      [7, 8, 9, 10],
      [11, 12],
    ]);
  });

  it('keeps a step without an optimizer sample in the next (the count check in profile-table catches it)', () => {
    expect(splitSteps(profileOf([F, W, F, S, F]))).toEqual([[0, 1, 2, 3], [4]]);
  });

  it('drops what the loop does after the last step under tidy, and everything outside the loop', () => {
    expect(splitSteps(profileOf([P, GC, F, S, N, GC]))).toEqual([[2, 3]]);
    expect(splitSteps(profileOf([P, GC]))).toEqual([]);
  });
});

describe('perStep', () => {
  it('gives the mean self time a step over the steps after the warm-up, by key', () => {
    const samples = [F, W, S, A, F, W, W, S, A, A, F, W, S, A];
    const deltas = [9000, 9000, 9000, 9000, 1000, 2000, 2000, 1000, 500, 500, 3000, 4000, 1000, 2000];
    const profile = profileOf(samples, deltas);
    const steps = splitSteps(profile);
    expect(steps).toHaveLength(3);
    const { up, byId } = indexProfile(profile);
    const r = perStep(profile, steps, 1, (id) => functionKey(byId.get(id), up(id)));
    expect(r.stepMs).toEqual([7, 10]);
    expect(r.meanMs).toBe(8.5);
    expect(r.medianMs).toBe(8.5);
    expect(r.rows).toEqual(
      [
        ['wasm wasm-function[0] ← forward', 4],
        ['wasm wasm-function[2] ← adamStep', 1.5],
        ['forward bench-X.js:255', 2],
        ['step index.cjs:660', 1],
      ].sort((a, b) => b[1] - a[1]),
    );
    expect(() => perStep(profile, steps, 3, () => 'x')).toThrow(/no step after the 3 warm-up/);
  });
});

describe('functionKey', () => {
  it('names JavaScript by file:line (1-based) and wasm by export and nearest JavaScript caller', () => {
    const profile = profileOf([]);
    const { up, byId } = indexProfile(profile);
    const names = new Map([[2, 'adam_step']]);
    expect(functionKey(byId.get(8), up(8), names)).toBe('adamStep index.cjs:1196');
    expect(functionKey(byId.get(10), up(10), names)).toBe('wasm adam_step ← adamStep');
    expect(functionKey(byId.get(6), up(6), names)).toBe('wasm wasm-function[0] ← forward');
    expect(functionKey(byId.get(4), up(4), names)).toBe('(anonymous) bench-X.js:402');
    expect(functionKey(byId.get(20), up(20), names)).toBe('(garbage collector)');
  });
});

describe('wasmExportNames', () => {
  it('numbers exports in the function index space, imported functions first', () => {
    // (module (import "m" "f" (func)) (func) (func) (export "b" (func 2)) (export "mem" (memory 0))
    //   (memory 1) (export "a" (func 1)))
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      // type section: one type () -> ()
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
      // import section: "m" "f" func type 0
      0x02, 0x07, 0x01, 0x01, 0x6d, 0x01, 0x66, 0x00, 0x00,
      // function section: two functions of type 0
      0x03, 0x03, 0x02, 0x00, 0x00,
      // memory section: one memory, min 1
      0x05, 0x03, 0x01, 0x00, 0x01,
      // export section: "b" func 2, "mem" memory 0, "a" func 1
      0x07, 0x0f, 0x03, 0x01, 0x62, 0x00, 0x02, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x61, 0x00, 0x01,
      // code section: two empty bodies
      0x0a, 0x07, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b,
    ]);
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect([...wasmExportNames(bytes)]).toEqual([
      [2, 'b'],
      [1, 'a'],
    ]);
    expect(() => wasmExportNames(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not a WebAssembly/);
  });

  it('names the committed kernels’ exports as WebAssembly.Module does', () => {
    const bytes = readFileSync(
      new URL('../../packages/tensor/src/backend/wasm/kernels.wasm', import.meta.url),
    );
    const names = wasmExportNames(bytes);
    const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes))
      .filter((e) => e.kind === 'function')
      .map((e) => e.name)
      .sort();
    expect([...names.values()].sort()).toEqual(exported);
    expect(exported).toContain('adam_step');
    expect(exported).toContain('gemm_packed');
  });
});
