// NOTE(xoshiro-c): one step of xoshiro128**, @seqlab/tensor's Generator (src/random.ts: its
// nextUint32 and drawUniforms), for the C kernels that draw from a Generator's state: the wasm
// module's dropout (blocked.c) and the native addon's (packages/native/src/c/ops-binding.c, which
// finds this file on its include path with the wasm sources). The caller copies the four state
// words into a local sl_xoshiro, draws, and writes them back: the draws and the final state are
// the Generator's, bit for bit. No libc: the wasm module is built with -nostdlib (`unsigned` is 32
// bits on every target either is built for).
#ifndef SEQLAB_XOSHIRO_H
#define SEQLAB_XOSHIRO_H

typedef struct {
  unsigned s0, s1, s2, s3;
} sl_xoshiro;

static inline unsigned sl_rotl32(unsigned x, int k) { return (x << k) | (x >> (32 - k)); }

// The next 32-bit draw, advancing the state by one.
static inline unsigned sl_xoshiro_next(sl_xoshiro *g) {
  const unsigned r = sl_rotl32(g->s1 * 5u, 7) * 9u;
  const unsigned t = g->s1 << 9;
  g->s2 ^= g->s0;
  g->s3 ^= g->s1;
  g->s1 ^= g->s2;
  g->s0 ^= g->s3;
  g->s2 ^= t;
  g->s3 = sl_rotl32(g->s3, 11);
  return r;
}

#endif
