// The WebAssembly SIMD GEMM: every edge of its register blocking, the resident packed B of
// NOTE(wasm-copies), memory growth, the float64 fallback, and that Node 20 runs it by default.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Generator, getBackend, listBackends } from '@seqlab/tensor';
import { expectClose } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';
import { gemmNaive, gemmPacked as jsGemmPacked, packB } from '../js/gemm';
import { loadWasmGemm } from './index';

const g = new Generator(7);
const fill = (n: number) => Float32Array.from({ length: n }, () => g.uniform() * 2 - 1);
const load = loadWasmGemm();
if (!load.ok) throw new Error(`the wasm kernels must load in Node 20: ${load.reason}`);
const { gemmPacked, gemm } = load;

/**
 * Why the staleness test of kernels.ts cannot run here (null when it can): it needs the clang that
 * built the committed module, named on kernels.ts's second line (other versions emit other bytes),
 * and lld. `.ci/run` installs both (Debian: apt-get install clang lld).
 */
const rebuildSkipped = ((): string | null => {
  const builtWith = readFileSync(new URL('./kernels.ts', import.meta.url), 'utf8')
    .split('\n')[1]
    .replace(/^\/\/ /, '');
  let clang: string;
  try {
    clang = execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0];
    execFileSync('wasm-ld', ['--version'], { encoding: 'utf8' });
  } catch {
    return ' [skipped: clang or wasm-ld is missing here; apt-get install clang lld]';
  }
  return clang === builtWith ? null : ` [skipped: kernels.ts was built with ${builtWith}, this is ${clang}]`;
})();
if (rebuildSkipped !== null) console.warn(`wasm.test.ts: the staleness test of kernels.ts${rebuildSkipped}`);

/** gemmPacked on fresh random data at offsets, against the naive float64-accumulating reference. */
function check(
  m: number,
  n: number,
  k: number,
  accumulate: boolean,
  packed?: Float32Array,
  bSrc?: Float32Array,
) {
  const b = bSrc ?? fill(k * n);
  const p = packed ?? (packB(false, k, n, b, 0) as Float32Array);
  const a = fill(m * k + 5);
  const c0 = fill(m * n + 3);
  const want = c0.slice();
  const got = c0.slice();
  gemmNaive(false, false, m, n, k, a, 5, b, 0, want, 3, accumulate);
  gemmPacked(m, n, k, a, 5, p, got, 3, accumulate);
  expectClose(got, want, { rtol: 1e-5, atol: 1e-5 }, `wasm gemm ${m}x${n}x${k} acc=${accumulate}`);
  // The 3 values before the offset and none after the block are touched.
  expect(Array.from(got.subarray(0, 3))).toEqual(Array.from(c0.subarray(0, 3)));
}

describe('wasm gemmPacked', () => {
  test('every row and panel edge of the 4 x 8 blocking, with and without accumulation', () => {
    for (const m of [1, 3, 4, 5, 8, 13])
      for (const n of [1, 3, 4, 5, 7, 8, 9, 12, 33])
        for (const k of [1, 7, 64]) for (const acc of [false, true]) check(m, n, k, acc);
  });

  test('k = 0 and empty outputs behave like the js kernel', () => {
    const c = fill(6);
    const before = c.slice();
    gemmPacked(2, 3, 0, new Float32Array(0), 0, new Float32Array(0), c, 0, true);
    expect(Array.from(c)).toEqual(Array.from(before));
    gemmPacked(2, 3, 0, new Float32Array(0), 0, new Float32Array(0), c, 0, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
    gemmPacked(0, 3, 4, new Float32Array(0), 0, fill(16), c, 0, false);
  });

  test('keeps no packed B alive but the last: a synchronous training loop does not leak', () => {
    // A WeakRef keeps its target alive until the current job ends, and a bench or diagnose loop
    // is one long job: each step's new packed weights would pile up (~3 MB a step at hidden 64).
    // 200 distinct 4 MB packed arrays in one synchronous loop: without the leak, garbage
    // collection (forced by the allocation pressure) keeps external memory near one array's size.
    const [k, n] = [1024, 1024];
    const a = fill(k);
    const c = new Float32Array(n);
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for (let i = 0; i < 200; i++) {
      const packed = new Float32Array(k * n); // packB's layout size; zeros are fine here
      packed[i] = 1;
      gemmPacked(1, n, k, a, 0, packed, c, 0, false);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    expect(peak / 2 ** 20, 'MB of array buffers held').toBeLessThan(300);
  });

  test('a packed B stays resident only while the same array comes back', () => {
    const [k, n] = [16, 20];
    const b1 = fill(k * n);
    const b2 = fill(k * n);
    const p1 = packB(false, k, n, b1, 0) as Float32Array;
    const p2 = packB(false, k, n, b2, 0) as Float32Array;
    for (let round = 0; round < 3; round++) {
      check(6, n, k, false, p1, b1); // copied in
      check(6, n, k, true, p1, b1); // resident, new A
      check(9, n, k, false, p2, b2); // another B of the same size replaces it
      check(2, n, k, false, p1, b1);
    }
  });

  test('grows its memory for a large product and keeps working for small ones after', () => {
    check(600, 700, 300, false); // 4 x (0.21 M + 0.18 M + 0.42 M) floats: past the initial 2 MiB
    check(3, 5, 7, true);
  });

  test('gemm with a transposed A (transposed in wasm, 8 x 8 tiles) for every tile edge', () => {
    for (const [m, n, k] of [
      [1, 1, 1],
      [7, 5, 9],
      [8, 8, 8],
      [9, 12, 17],
      [130, 33, 70],
    ]) {
      for (const transB of [false, true]) {
        for (const acc of [false, true]) {
          const a = fill(k * m + 2);
          const b = fill(k * n + 1);
          const c0 = fill(m * n + 4);
          const want = c0.slice();
          const got = c0.slice();
          gemmNaive(true, transB, m, n, k, a, 2, b, 1, want, 4, acc);
          gemm(true, transB, m, n, k, a, 2, b, 1, got, 4, acc);
          expectClose(
            got,
            want,
            { rtol: 1e-5, atol: 1e-5 },
            `gemm tA ${m}x${n}x${k} tB=${transB} acc=${acc}`,
          );
        }
      }
    }
  });

  test('float64 storage runs the js kernel, bit for bit', () => {
    const a = Float64Array.from(fill(5 * 9));
    const b = Float64Array.from(fill(9 * 6));
    const p = packB(false, 9, 6, b, 0);
    const want = new Float64Array(30);
    const got = new Float64Array(30);
    jsGemmPacked(5, 6, 9, a, 0, p, want, 0, false);
    gemmPacked(5, 6, 9, a, 0, p, got, 0, false);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});

describe('the wasm backend', () => {
  test('is registered and, unless SEQLAB_BACKEND says otherwise, the default in Node 20', () => {
    expect(listBackends()).toEqual(['js', 'wasm']);
    if (process.env.SEQLAB_BACKEND) return;
    expect(getBackend()).toEqual({
      name: 'wasm',
      reason: 'default: WebAssembly SIMD is available (float64 work runs in js)',
    });
  });

  test('SEQLAB_BACKEND picks the backend at start-up and names the choices when wrong', () => {
    const entry = fileURLToPath(new URL('../../index.ts', import.meta.url));
    const run = (value: string) =>
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `import(${JSON.stringify(entry)}).then((t) => console.log(JSON.stringify(t.getBackend())), (e) => console.log(e.message))`,
        ],
        { env: { ...process.env, SEQLAB_BACKEND: value }, encoding: 'utf8' },
      ).trim();
    expect(JSON.parse(run('js'))).toEqual({ name: 'js', reason: 'selected with SEQLAB_BACKEND=js' });
    expect(run('cuda')).toBe("SEQLAB_BACKEND: expected one of js, wasm, got 'cuda'");
  });

  test.skipIf(rebuildSkipped !== null)(
    `kernels.ts is what gemm.c compiles to (with the clang that built it)${rebuildSkipped ?? ''}`,
    () => {
      const script = fileURLToPath(new URL('../../../../../tools/wasm/build.mjs', import.meta.url));
      expect(execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' })).toContain(
        'is up to date',
      );
    },
  );
});
