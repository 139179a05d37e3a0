// The forward-only time loop (recurrentInferMany): what recurrent-steps.c's forward computes for
// out, hN and cN, element for element (the same GEMM micro-kernel and the same cells; the LSTM's
// is lstm_infer_row of lstm-infer.h, the wasm module's too: lstm_forward's expressions without its
// saves), without the buffers a backward reads: no copy of xProj into the gates (the products are
// added into xProj in place), no hPrev rows, no cell states per row, and out written through its
// row stride, so a bidirectional layer's two directions land in their halves of the concatenated
// output. Included by recurrent-portable.c, recurrent-avx2.c and recurrent-avx512.c after
// recurrent-steps.c, whose helpers (step_time, gate_count, step_offsets, rows_at) it uses.
//
// Threads split the batch, not the steps: the rows of a batch never mix (the step's product and
// the gate math are row by row), so a range of rows runs its steps on one thread at a time with no
// barrier per step, and each element is computed by the same instructions whatever the split (the
// results are the same bits for every thread count). A range's steps run in units of
// infer_unit_steps (the fused projection's chunks), one after the other but not necessarily on the
// same thread: its state (h, c and the scratch rows) lives in the call's arrays, not the thread's.
// recurrent-binding.c decides the ranges (at least one micro-kernel block of rows each, several per
// thread when W_hh is small) and which thread runs which unit.
//
// The fused input projection (ia->fused): instead of reading an xProj [N, G·H] made beforehand
// (13 MB for W2, written by one GEMM and read back from memory step by step), a range projects its
// own rows of x a chunk of steps at a time into a scratch of its thread (kept across calls), right
// before those steps read it, while it is still in cache. The projection is the GEMM driver's
// loop (gemm.c) run on the chunk's rows: the same micro-kernel, the same KC blocks of k in the
// same order, then the biases one after the other, so each element has linear's bits.
#include <stdlib.h>
#include <string.h>

#include "lstm-infer.h"
#include "pool.h"
#include "recurrent-infer.h"


#if SL_SIMD_BYTES == 64 && defined(__AVX512F__)
// A 16 x 16 block of floats transposed in registers: r[q][t] becomes r[t][q].
static inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int i = 0; i < 2; i++) {
    for (int j = 0; j < 4; j++) {
      t[8 * i + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + 4 + j], 0x88);
      t[8 * i + 4 + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + 4 + j], 0xdd);
    }
  }
  for (int j = 0; j < 8; j++) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
    r[8 + j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xdd);
  }
}
#endif

// c [m, G·H] = rows xr[0..m) of x @ W_ihᵀ, then + bias[0], then + bias[1] (each sum rounded, as
// linear's separate bias adds round). `ap` holds one packed A block (MC x KC).
static void project_rows(const infer_args *ia, const float *const *xr, int m, float *c, float *ap) {
  const sl_gemm_isa *isa = sl_gemm_active();
  const int mr = isa->mr, nr = isa->nr, mc_max = mr * SL_GEMM_MC_PANELS, I = ia->I;
  const int GH = gate_count(ia->a.cell) * ia->a.H, panels = (GH + nr - 1) / nr;
  if (I == 0) memset(c, 0, (size_t)m * GH * sizeof(float));
  for (int pc = 0; pc < I; pc += SL_GEMM_KC) {
    const int kc = I - pc < SL_GEMM_KC ? I - pc : SL_GEMM_KC;
    for (int ic = 0; ic < m; ic += mc_max) {
      const int mc = m - ic < mc_max ? m - ic : mc_max;
      // gemm.c's pack_a, each row from its own place in x.
      float *dst = ap;
      int ir = 0;
#if SL_SIMD_BYTES == 64 && defined(__AVX512F__)
      // Two 8-row panels at a time from 16 x 16 transposes: row q of a transposed block holds
      // depth p + q of both panels' rows, 8 floats each.
      if (mr == 8) {
        for (; ir + 16 <= mc; ir += 16) {
          float *d0 = ap + (size_t)ir * kc, *d1 = d0 + (size_t)8 * kc;
          int p = 0;
          for (; p + 16 <= kc; p += 16) {
            __m512 r[16];
            for (int t = 0; t < 16; t++) {
              const int i = ic + ir + t;
              r[t] = i < m ? _mm512_loadu_ps(xr[i] + pc + p) : _mm512_setzero_ps();
            }
            transpose16(r);
            for (int q = 0; q < 16; q++) {
              _mm256_storeu_ps(d0 + (size_t)(p + q) * 8, _mm512_castps512_ps256(r[q]));
              _mm256_storeu_ps(d1 + (size_t)(p + q) * 8, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(r[q]), 1)));
            }
          }
          for (; p < kc; p++) {
            for (int t = 0; t < 16; t++) {
              const int i = ic + ir + t;
              (t < 8 ? d0 : d1)[(size_t)p * 8 + (t & 7)] = i < m ? xr[i][pc + p] : 0.0f;
            }
          }
        }
        dst = ap + (size_t)ir * kc;
      }
#endif
      for (; ir < mc; ir += mr) {
        for (int p = 0; p < kc; p++, dst += mr) {
          for (int r = 0; r < mr; r++) {
            const int i = ic + ir + r;
            dst[r] = i < m ? xr[i][pc + p] : 0.0f;
          }
        }
      }
      for (int jb = 0; jb < panels; jb++) {
        const float *bp = ia->w_ih_packed + ((size_t)jb * I + pc) * nr;
        const int j0 = jb * nr, cols = GH - j0 < nr ? GH - j0 : nr;
        for (int ir = 0; ir < mc; ir += mr) {
          const int rows = mc - ir < mr ? mc - ir : mr;
          isa->kernel(kc, ap + (size_t)ir * kc, bp, c + (size_t)(ic + ir) * GH + j0, GH, rows, cols, pc > 0);
        }
      }
    }
  }
  // Both biases in one pass over the chunk, each sum rounded as linear's two adds round it.
  const float *b0 = ia->bias[0] ? ia->bias[0] : ia->bias[1], *b1 = ia->bias[0] ? ia->bias[1] : NULL;
  if (b0 && b1) {
    for (int i = 0; i < m; i++) {
      float *row = c + (size_t)i * GH;
      for (int j = 0; j < GH; j++) row[j] = (row[j] + b0[j]) + b1[j];
    }
  } else if (b0) {
    for (int i = 0; i < m; i++) {
      float *row = c + (size_t)i * GH;
      for (int j = 0; j < GH; j++) row[j] = row[j] + b0[j];
    }
  }
}

// The row of x or of out (batch_first: its order) that holds step t of sequence j.
static inline size_t infer_row(const infer_args *ia, int batch_first, int t, int j) {
  return batch_first ? (size_t)j * ia->a.T + t : (size_t)ia->a.offsets[t] + j;
}

// Where h_t of sequence j goes in out (through its row stride).
static inline float *out_row(const infer_args *ia, int t, int j) {
  return ia->out + infer_row(ia, ia->out_batch_first, t, j) * ia->out_stride;
}

// lstm.c's lstm_forward for inference on bs rows of the step: lstm_infer_row (lstm-infer.h, the
// wasm module's too), c and h in place and h_t straight into out's rows. lstm_forward also stores
// i, f, g, o, c_{t−1} and c_t for a backward, and the step then copied h into out: six stores a
// vector and a pass over h that nothing reads.
static void lstm_infer_cell(const infer_args *ia, const rec_args *s, int bs, int t, int r0) {
  const int H = s->H;
  for (int j = 0; j < bs; j++)
    lstm_infer_row(H, s->gates + (size_t)j * 4 * H, s->c + (size_t)j * H, s->h + (size_t)j * H, out_row(ia, t, r0 + j));
}

// Rows [r0, r1) of the batch over steps [s0, s1), on the calling thread: s0 is a multiple of
// infer_unit_steps(ia, r1 − r0) (or 0), and steps [0, s0) of these rows have run (on any thread,
// their writes visible to this one). W_hh (and W_ih) must be packed (recurrent_infer_pack). The
// saved-buffer scratch (cells, c_prev, hh_n, hh) is indexed by batch row, so ranges never share
// any of it.
void recurrent_infer_rows(const infer_args *ia, int r0, int r1, int s0, int s1) {
  const rec_args *a = &ia->a;
  const int H = a->H, T = a->T, G = gate_count(a->cell), GH = G * H;
  const int panels = (H + sl_gemm_active()->nr - 1) / sl_gemm_active()->nr;
  const size_t gate_stride = sl_packed_size(H, H);
  const float *packed[4];
  for (int g = 0; g < G; g++) packed[g] = a->w_hh_packed + g * gate_stride;
  // The cells see this range's first row as their row 0 of the state and of the scratch.
  rec_args s = *a;
  s.h = a->h + (size_t)r0 * H;
  if (a->c) s.c = a->c + (size_t)r0 * H;
  if (a->cells) s.cells = a->cells + (size_t)r0 * H;
  if (a->c_prev) s.c_prev = a->c_prev + (size_t)r0 * H;
  if (a->hh_n) s.hh_n = a->hh_n + (size_t)r0 * H;
  if (a->hh) s.hh = a->hh + (size_t)r0 * GH;
  // The fused projection's chunk [chunk_steps steps of up to r1 − r0 rows, G·H], one packed A
  // block and the chunk's row pointers into x, in one scratch.
  const int chunk_steps = infer_unit_steps(ia, r1 - r0);
  float *chunk = NULL, *ap = NULL;
  const float **xr = NULL;
  if (s1 > T) s1 = T;
  if (ia->fused) {
    const int rows = r1 - r0, mc = sl_gemm_active()->mr * SL_GEMM_MC_PANELS;
    const size_t chunk_rows = (size_t)chunk_steps * rows;
    const size_t at_ap = (chunk_rows * GH + 15) / 16 * 16;
    const size_t at_xr = at_ap + (size_t)mc * (ia->I < SL_GEMM_KC ? ia->I : SL_GEMM_KC);
    const size_t xr_floats = chunk_rows * sizeof(const float *) / sizeof(float);
    float *base = sl_thread_buffer(SL_BUFFER_INFER_CHUNK, at_xr + xr_floats + 16, at_xr + xr_floats + 16);
    if (!base) abort();
    chunk = base;
    ap = base + at_ap;
    xr = (const float **)(void *)(base + (at_xr + 15) / 16 * 16);
  }
  size_t at = 0;  // the next step's first row in the chunk
  for (int step = s0; step < s1; step++) {
    const int t = step_time(a, step);
    const int bs = rows_at(a, t, r0, r1);
    if (ia->fused && step % chunk_steps == 0) {
      int m = 0;
      for (int s2 = step; s2 < step + chunk_steps && s2 < T; s2++) {
        const int t2 = step_time(a, s2);
        const int b2 = rows_at(a, t2, r0, r1);
        for (int j = 0; j < b2; j++, m++) xr[m] = ia->I ? ia->x + infer_row(ia, ia->x_batch_first, t2, r0 + j) * ia->I : NULL;
      }
      if (m > 0) project_rows(ia, xr, m, chunk, ap);
      at = 0;
    }
    if (bs <= 0) continue;
    const size_t row = (size_t)a->offsets[t] + r0;
    // The step's rows as row 0 of the gates (the saved buffers are one step of scratch).
    if (ia->fused) {
      s.gates = chunk + at * GH;
      if (a->cell == GRU) s.x_proj = s.gates;
      at += bs;
    } else {
      s.gates = a->gates + row * GH;
      if (a->x_proj) s.x_proj = a->x_proj + row * GH;
    }
    float *c[4];
    float *const into = a->cell == GRU ? s.hh : s.gates;
    for (int g = 0; g < G; g++) c[g] = into + g * H;
    if (a->cell == GRU) {
      if (a->b_hh)
        for (int j = 0; j < bs; j++) copy_floats(s.hh + j * GH, a->b_hh, GH);
      sl_gemm_panels(bs, H, H, s.h, 3, packed, 0, panels, c, GH, a->b_hh != 0);
      gru_forward(&s, 0, bs, 0, H);
    } else if (a->cell == LSTM) {
      sl_gemm_panels(bs, H, H, s.h, G, packed, 0, panels, c, GH, 1);
      lstm_infer_cell(ia, &s, bs, t, r0);
      continue;
    } else {
      sl_gemm_panels(bs, H, H, s.h, G, packed, 0, panels, c, GH, 1);
      rnn_forward(&s, 0, bs, 0, H, a->cell == RNN_RELU);
    }
    for (int j = 0; j < bs; j++) copy_floats(out_row(ia, t, r0 + j), s.h + j * H, H);
  }
}


// sl_pack_b(1, k, n, src, dst): op(B) = srcᵀ for src [n, k] row-major, in the micro-kernel's
// panels (dst[(jb·k + p)·nr + t] = src[(jb·nr + t)·k + p], zero past n); the same floats in the
// same places. The AVX-512 build (32-wide panels) moves 16 x 16 blocks through registers, where
// sl_pack_b reads one float from each of 32 rows per step of p: packing W_ih and W_hh on every
// call was ≈ 3% of a W1 inference step.
static void infer_pack_bt(int k, int n, const float *src, float *dst) {
#if SL_SIMD_BYTES == 64 && defined(__AVX512F__)
  if (sl_gemm_active()->nr == 32) {
    for (int j0 = 0; j0 < n; j0 += 32) {
      float *d = dst + (size_t)j0 * k;
      int p = 0;
      for (; p + 16 <= k; p += 16) {
        for (int half = 0; half < 32; half += 16) {
          __m512 r[16];
          for (int t = 0; t < 16; t++) {
            const int j = j0 + half + t;
            r[t] = j < n ? _mm512_loadu_ps(src + (size_t)j * k + p) : _mm512_setzero_ps();
          }
          transpose16(r);
          for (int q = 0; q < 16; q++) _mm512_storeu_ps(d + (size_t)(p + q) * 32 + half, r[q]);
        }
      }
      for (; p < k; p++)
        for (int t = 0; t < 32; t++) d[(size_t)p * 32 + t] = j0 + t < n ? src[(size_t)(j0 + t) * k + p] : 0.0f;
    }
    return;
  }
#endif
  sl_pack_b(1, k, n, src, dst);
}

// The packing of one call in units of one nr-column panel each, independent of one another, so the
// binding spreads them over the pool (W2 has one call: its packing was one thread's while the other
// slept): first W_hh [G·H, H] gate by gate (gate g is op(B) = W_hh[gH : (g+1)H]ᵀ, ceil(H / nr)
// panels each), then, for the fused projection, W_ih [G·H, I] whole (op(B) = W_ihᵀ [I, G·H],
// ceil(G·H / nr) panels). Every panel lands where packing the whole matrix puts it.
int recurrent_infer_pack_units(const infer_args *ia) {
  const int nr = sl_gemm_active()->nr, H = ia->a.H, G = gate_count(ia->a.cell);
  const int ih = ia->fused && ia->I > 0 ? (G * H + nr - 1) / nr : 0;
  return G * ((H + nr - 1) / nr) + ih;
}

// Panels [jb0, jb1) of op(B) = srcᵀ for src [n, k] (infer_pack_bt on those rows of src).
static void pack_panels(int k, int n, const float *src, float *dst, int jb0, int jb1, int nr) {
  const int j0 = jb0 * nr, j1 = jb1 * nr < n ? jb1 * nr : n;
  if (j0 < j1) infer_pack_bt(k, j1 - j0, src + (size_t)j0 * k, dst + (size_t)j0 * k);
}

// Units [u0, u1) of recurrent_infer_pack_units; the task with unit 0 also writes the step offsets
// (read only by the row ranges, which start after every unit is packed).
void recurrent_infer_pack(const infer_args *ia, int u0, int u1) {
  const rec_args *a = &ia->a;
  const int H = a->H, G = gate_count(a->cell), nr = sl_gemm_active()->nr, per_gate = (H + nr - 1) / nr;
  const size_t gate_stride = sl_packed_size(H, H);
  if (u0 == 0) step_offsets(a);
  for (int g = 0; g < G; g++) {
    const int lo = u0 > g * per_gate ? u0 - g * per_gate : 0, hi = u1 - g * per_gate < per_gate ? u1 - g * per_gate : per_gate;
    if (lo < hi) pack_panels(H, H, a->w_hh + (size_t)g * H * H, a->w_hh_packed + g * gate_stride, lo, hi, nr);
  }
  const int base = G * per_gate;
  if (ia->fused && ia->I > 0 && u1 > base)
    pack_panels(ia->I, G * H, ia->w_ih, ia->w_ih_packed, u0 > base ? u0 - base : 0, u1 - base, nr);
}
