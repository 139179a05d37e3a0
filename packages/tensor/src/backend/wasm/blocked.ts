import type { FloatStorage } from '../../dtype';
import type { Backend, StateMemory } from '../backend';
import { coalesce, contiguousStrides, jsBackend } from './js-parts';
import type { WasmModule } from './module';

// The array kernels of a training step outside its GEMMs, in wasm (blocked.c): Adam's update,
// linear's bias add, a sum over the leading axes (the bias gradients), dropout's mask and
// clip-grad-norm's sum of squares. Over float32 storage
// the operands are copied into the module's memory and the results back out in blocks of
// BLOCK elements (NOTE(wasm-copies)), so that a block's arrays are still in the core's cache when
// the kernel reads them and when they are copied back. The same bits as the js kernels (blocked.c
// says why) but for the sum of squares, which adds in another order (NOTE(wasm-sum-squares));
// float64 storage and every other reduction run the js kernels.

/**
 * Elements per block: Adam's five arrays of a block take 160 KiB, well inside a core's L2. A
 * multiple of blocked.c's SUMSQ_BLOCK (NOTE(wasm-sum-squares)).
 */
export const BLOCK = 8192;

const f32 = (s: FloatStorage | null): s is Float32Array => s instanceof Float32Array;

export function makeWasmBlocked(
  wasm: WasmModule,
): Required<Pick<Backend, 'adamStep' | 'addBias' | 'reduce' | 'dropout' | 'sumSquares'>> {
  const {
    adam_step: adam,
    add_bias: addBiasIn,
    sum_rows: sumRows,
    dropout: drop,
    sum_squares: sumSq,
  } = wasm.exports;
  // Each array's block gets BLOCK + 4 slots: the kernel updates two elements at a time, and an odd
  // block's last pair reaches one slot past it (written, never copied out).
  const slots = BLOCK + 4;
  return {
    adamStep(a) {
      const { param: x, grad: g, expAvg: m, expAvgSq: v, maxExpAvgSq: vMax } = a;
      if (!(f32(x) && f32(g) && f32(m) && f32(v) && (vMax === null || f32(vMax)))) {
        jsBackend.adamStep(a);
        return;
      }
      // [7 float64 scalars (16 slots)][x][g][m][v][v̂]: every block starts 16-byte aligned.
      const at = wasm.scratch;
      const [X, G, M, V, VM] = [0, 1, 2, 3, 4].map((i) => at + 16 + i * slots);
      wasm.reserve(VM + slots);
      wasm.resident = null; // this overwrites the GEMM's resident panels (NOTE(wasm-copies))
      const heap = wasm.heap();
      const n = x.length;
      // Buffers that are views of this memory (a state memory's, NOTE(wasm-adam-state)) are
      // updated where they are; not at an odd length, whose last pair reaches past the view.
      const own = (b: Float32Array | null): b is Float32Array => !(n & 1) && b?.buffer === heap.buffer;
      const [inM, inV, inVM] = [own(m), own(v), own(vMax)];
      new Float64Array(heap.buffer, at * 4, 7).set([
        a.beta1,
        a.beta2,
        a.eps,
        a.stepSize,
        a.bias2Sqrt,
        a.l2,
        a.decay,
      ]);
      for (let i0 = 0; i0 < n; i0 += BLOCK) {
        const i1 = Math.min(n, i0 + BLOCK);
        const len = i1 - i0;
        heap.set(x.subarray(i0, i1), X);
        heap.set(g.subarray(i0, i1), G);
        if (!inM) heap.set(m.subarray(i0, i1), M);
        if (!inV) heap.set(v.subarray(i0, i1), V);
        if (vMax && !inVM) heap.set(vMax.subarray(i0, i1), VM);
        adam(
          len,
          X * 4,
          G * 4,
          inM ? m.byteOffset + i0 * 4 : M * 4,
          inV ? v.byteOffset + i0 * 4 : V * 4,
          !vMax ? 0 : inVM ? vMax.byteOffset + i0 * 4 : VM * 4,
          at * 4,
          a.maximize ? 1 : 0,
        );
        x.set(heap.subarray(X, X + len), i0);
        if (!inM) m.set(heap.subarray(M, M + len), i0);
        if (!inV) v.set(heap.subarray(V, V + len), i0);
        if (vMax && !inVM) vMax.set(heap.subarray(VM, VM + len), i0);
      }
    },

    addBias(y, rows, n, bias) {
      if (!(f32(y) && f32(bias))) {
        for (let r = 0; r < rows; r++) {
          const o = r * n;
          for (let j = 0; j < n; j++) y[o + j] += bias[j];
        }
        return;
      }
      if (rows <= 0 || n <= 0) return;
      // [bias][a block of whole rows, at least one]
      const B = wasm.scratch;
      const Y = B + ((n + 3) & ~3);
      const perBlock = Math.max(1, Math.floor(BLOCK / n));
      wasm.reserve(Y + perBlock * n);
      wasm.resident = null;
      const heap = wasm.heap();
      heap.set(bias.subarray(0, n), B);
      for (let r0 = 0; r0 < rows; r0 += perBlock) {
        const r1 = Math.min(rows, r0 + perBlock);
        heap.set(y.subarray(r0 * n, r1 * n), Y);
        addBiasIn(r1 - r0, n, Y * 4, B * 4);
        y.set(heap.subarray(Y, Y + (r1 - r0) * n), r0 * n);
      }
    },

    reduce(op, x, shape, reduced, out) {
      // A sum over leading axes of a contiguous float32 array, keeping the trailing ones: [rows, n]
      // once merged (js/reduce.ts's merge), the accumulators in float64 in the module's memory.
      if (op === 'sum' && f32(x as FloatStorage) && f32(out as FloatStorage) && x.length > 0) {
        const kept = shape.map((s, d) => (reduced[d] ? 1 : s));
        const keptStrides = contiguousStrides(kept).map((s, d) => (reduced[d] ? 0 : s));
        const [dims, [, os]] = coalesce(shape, [contiguousStrides(shape), keptStrides]);
        if (dims.length === 2 && os[0] === 0 && os[1] === 1) {
          const [rows, n] = dims;
          // [float64 accumulators, n (rounded up to 16 bytes)][a block of whole rows, at least one]
          const A = wasm.scratch;
          const X = A + 2 * ((n + 1) & ~1);
          const perBlock = Math.max(1, Math.floor(BLOCK / n));
          wasm.reserve(X + perBlock * n);
          wasm.resident = null;
          const heap = wasm.heap();
          const acc = new Float64Array(heap.buffer, A * 4, n);
          acc.fill(0);
          const src = x as Float32Array;
          for (let r0 = 0; r0 < rows; r0 += perBlock) {
            const r1 = Math.min(rows, r0 + perBlock);
            heap.set(src.subarray(r0 * n, r1 * n), X);
            sumRows(r1 - r0, n, X * 4, A * 4);
          }
          for (let j = 0; j < n; j++) out[j] = acc[j];
          return;
        }
      }
      jsBackend.reduce(op, x, shape, reduced, out);
    },

    dropout(state, p, scale, x, mask, out) {
      // [state, 4 words][x][mask][out], a block at a time; the state stays in the module's memory
      // from block to block and is copied back at the end.
      const S = wasm.scratch;
      const [X, M, Y] = [1, 2, 3].map((i) => S + 4 + (i - 1) * BLOCK);
      wasm.reserve(Y + BLOCK);
      wasm.resident = null;
      const heap = wasm.heap();
      const words = new Uint32Array(heap.buffer, S * 4, 4);
      words.set(state);
      const lim = Math.ceil(p * 16777216); // u ≥ p ⇔ (r >> 8) ≥ ⌈p · 2²⁴⌉ (blocked.c)
      for (let i0 = 0; i0 < x.length; i0 += BLOCK) {
        const i1 = Math.min(x.length, i0 + BLOCK);
        heap.set(x.subarray(i0, i1), X);
        drop(i1 - i0, S * 4, lim, scale, X * 4, M * 4, Y * 4);
        mask.set(heap.subarray(M, M + i1 - i0), i0);
        out.set(heap.subarray(Y, Y + i1 - i0), i0);
      }
      state.set(words);
    },

    sumSquares(x, init) {
      // A block at a time, the running total carried from block to block: the blocks of one call
      // over the whole array (NOTE(wasm-sum-squares)).
      if (!f32(x)) return jsBackend.sumSquares(x, init);
      const X = wasm.scratch;
      wasm.reserve(X + BLOCK);
      wasm.resident = null;
      const heap = wasm.heap();
      let total = init;
      for (let i0 = 0; i0 < x.length; i0 += BLOCK) {
        const i1 = Math.min(x.length, i0 + BLOCK);
        heap.set(x.subarray(i0, i1), X);
        total = sumSq(i1 - i0, X * 4, total);
      }
      return total;
    },
  };
}

// NOTE(wasm-adam-state): an optimizer's moment buffers copied into the module's memory and back
// out every step were a quarter of a W1 training step's copies (tools/bench/PROFILE.md). A state
// memory is another instance of the kernels over a memory of its own, grown once to hold the
// state: Adam keeps its float32 buffers there as views (plain Float32Arrays to every other
// backend), and that instance's adamStep reads and writes them where they are, copying in only
// the parameter and its gradient and out only the parameter. Its own memory, not the kernels'
// one: the kernels' memory grows (GEMM and recurrence scratch), and growing detaches every view of
// the old buffer; this one never grows after it is made, so a view handed out (stateDict) stays
// valid. Adam's scratch sits below `start`.

/** A state memory of `bytes` (NOTE(wasm-adam-state)), or null when none can be made. */
export function makeStateMemory(wasm: WasmModule, bytes: number): StateMemory | null {
  const own = wasm.spawn();
  if (!own) return null;
  const start = (own.start + 16 + 5 * (BLOCK + 4)) * 4; // past adamStep's scalars and blocks
  try {
    own.reserve(Math.ceil((start + bytes) / 4));
  } catch {
    return null; // RangeError: the memory cannot grow that far
  }
  const buffer = own.heap().buffer as ArrayBuffer; // not shared: the memory is not
  return { buffer, start, end: start + bytes, adamStep: makeWasmBlocked(own).adamStep };
}
