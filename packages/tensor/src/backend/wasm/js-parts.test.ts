// NOTE(wasm-js-parts): the ES module build's js-parts.browser.ts exports the names js-parts.ts
// does, and the backend made through loader.browser.ts (its parts handed over by the registry's
// side, as in that build) computes what Node's build computes, bit for bit: float32 through the
// wasm kernels (the recurrence reads RECURRENT_GATES, the sums coalesce), float64 through the js
// kernels the parts are (gemmVia, the js recurrence), and the Content-Type warning a BackendError.
// The real ES module build in a page: tools/pack-smoke/browser-bundle.slow.test.ts.
import { readFileSync } from 'node:fs';
import { afterEach, expect, test, vi } from 'vitest';
import type { FloatStorage } from '../../dtype';
import type { Backend, RecurrentForwardArgs } from '../backend';
import { createWasmBackend, loadWasmKernels } from './index';

afterEach(() => {
  vi.doUnmock('./js-parts');
  vi.resetModules();
});

test('js-parts.browser.ts exports the names of js-parts.ts, and provideJsParts', async () => {
  const node = await import('./js-parts');
  const browser = await import('./js-parts.browser');
  expect(Object.keys(browser).sort()).toEqual([...Object.keys(node), 'provideJsParts'].sort());
});

type Make = typeof Float32Array | typeof Float64Array;

/** A zeroed array of `make`'s type. */
const zeros = (make: Make, n: number): FloatStorage =>
  make === Float64Array ? new Float64Array(n) : new Float32Array(n);

/** Deterministic floats in [-1, 1). */
function floats(make: Make, n: number, seed: number): FloatStorage {
  const out = zeros(make, n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = -1 + (s >>> 8) / 2 ** 23;
  }
  return out;
}

/** What the parts serve: a GEMM, a sum over a leading axis and an LSTM forward, in `make`'s dtype. */
function compute(backend: Backend, make: Make): Float64Array[] {
  const [m, n, k] = [5, 7, 9];
  const a = floats(make, m * k, 1);
  const b = floats(make, k * n, 2);
  const c = zeros(make, m * n);
  backend.gemm(false, true, m, n, k, a, 0, b, 0, c, 0, false);
  const sum = zeros(make, n);
  backend.reduce('sum', b, [k, n], [true, false], sum);
  const [T, B, H] = [3, 2, 4];
  const N = T * B;
  const args: RecurrentForwardArgs = {
    cell: 'lstm',
    hidden: H,
    outSize: H,
    batch: B,
    batchSizes: new Int32Array([B, B, B]),
    reverse: false,
    xProj: floats(make, N * 4 * H, 3),
    wHh: floats(make, 4 * H * H, 4),
    bHh: floats(make, 4 * H, 5),
    wHr: null,
    h0: floats(make, B * H, 6),
    c0: floats(make, B * H, 7),
    out: zeros(make, N * H),
    hN: zeros(make, B * H),
    cN: zeros(make, B * H),
    gates: zeros(make, N * 4 * H),
    hPrev: zeros(make, N * H),
    cells: zeros(make, N * H),
    cPrev: zeros(make, N * H),
    hFull: null,
    hhN: null,
  };
  backend.recurrentForward(args);
  return [c, sum, args.out, args.hN, args.cN as FloatStorage].map((x) => Float64Array.from(x));
}

test('the backend made through loader.browser.ts: the registry side’s parts, Node’s numbers', async () => {
  const load = loadWasmKernels();
  if (!load.ok) throw new Error(`the wasm kernels did not load: ${load.reason}`);
  const node = createWasmBackend(load);

  // The ES module build's modules: the backend's modules read js-parts.browser.ts.
  vi.resetModules();
  vi.doMock('./js-parts', () => import('./js-parts.browser'));
  const parts = await import('./js-parts.browser');
  expect(parts.jsBackend).toBeUndefined();
  const { loadWasmBackendAsync } = await import('./loader.browser');
  const bytes = readFileSync(new URL('./kernels.wasm', import.meta.url));
  const loaded = await loadWasmBackendAsync(
    new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }),
  );
  if (!loaded.ok) throw new Error(`loadWasmBackendAsync: ${loaded.reason}`);
  expect(loaded.warning).toMatch(
    /^BackendError: ready: expected the Response given to ready\(\) served as application\/wasm, got 'application\/octet-stream'/,
  );
  // Each part is the registry's side's own (one copy), and the backend is built on them.
  const actual = await vi.importActual<typeof import('./js-parts')>('./js-parts');
  for (const [name, part] of Object.entries(actual))
    expect(parts[name as keyof typeof actual], name).toBe(part);
  const { jsBackend } = await import('../js/index');
  expect(parts.jsBackend).toBe(jsBackend);
  expect(loaded.backend.unary).toBe(jsBackend.unary);

  for (const make of [Float32Array, Float64Array]) {
    const want = compute(node, make);
    const got = compute(loaded.backend, make);
    for (let i = 0; i < want.length; i++) {
      for (let j = 0; j < want[i]!.length; j++) {
        if (!Object.is(got[i]![j], want[i]![j]))
          throw new Error(`${make.name} result ${i} at ${j}: expected ${want[i]![j]}, got ${got[i]![j]}`);
      }
    }
  }
});
