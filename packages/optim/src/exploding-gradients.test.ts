/**
 * The exploding-gradient story, end to end, with tensor ops only (no layers package).
 *
 * A vanilla ReLU RNN, h_t = relu(x_t·W_xh + h_{t−1}·W_hh + b), reads T = 60 steps and a linear head
 * predicts the running sum of the inputs, a task that rewards long memory. W_hh starts at
 * 0.9·I + small noise: stable (spectral radius just under 1), with a finite, moderate loss. The
 * gradient with respect to W_hh sums over all 60 steps and is large, so one ordinary SGD step pushes
 * the spectral radius past 1 — over Pascanu et al.'s "cliff" — and the next forward pass grows like
 * ρ^60: the loss and gradients become NaN within a few steps. With `clipGradNorm(params, 5)` the
 * same run keeps the update bounded, stays finite and learns.
 *
 * Seeded; each seed's run is deterministic. Breaking `clipGradNorm` (a no-op) fails the clipped
 * half; breaking SGD so that it never moves fails both halves.
 */
import { Generator, randn, type Tensor, tensor, zeros } from '@seqlab/tensor';
import { leaf } from '@seqlab/tensor/testing';
import { describe, expect, test } from 'vitest';
import { clipGradNorm, SGD } from './index';

const T = 60;
const B = 16;
const I = 4;
const H = 16;
const STEPS = 60;
const LR = 0.01;

/** The RNN's parameters [W_xh, W_hh, b, W_out, b_out] and a batch (x [T, B, I], y [B, 1]). */
function setup(seed: number): { params: Tensor[]; x: Tensor; y: Tensor } {
  const g = new Generator(seed);
  const diagonal = new Float32Array(H * H);
  for (let i = 0; i < H; i++) diagonal[i * H + i] = 0.9;
  const wxh = leaf(randn([I, H], { generator: g }).mul(1 / Math.sqrt(I)));
  const whh = leaf(
    randn([H, H], { generator: g })
      .mul(0.05 / Math.sqrt(H))
      .add(tensor(diagonal, { shape: [H, H] })),
  );
  const b = zeros([H], { requiresGrad: true });
  const wout = leaf(randn([H, 1], { generator: g }).mul(1 / Math.sqrt(H)));
  const bout = zeros([1], { requiresGrad: true });
  const x = randn([T, B, I], { generator: g });
  const y = x
    .sum(0)
    .sum(1, true)
    .mul(1 / Math.sqrt(T)); // the running sum of every input
  return { params: [wxh, whh, b, wout, bout], x, y };
}

/** Mean squared error of the head on the last hidden state. */
function loss(params: readonly Tensor[], x: Tensor, y: Tensor): Tensor {
  const [wxh, whh, b, wout, bout] = params as [Tensor, Tensor, Tensor, Tensor, Tensor];
  // x [T, B, I], h [B, H] -> out [B, 1]
  let h = zeros([B, H]);
  for (let t = 0; t < T; t++) h = x.select(0, t).matmul(wxh).add(h.matmul(whh)).add(b).relu();
  return h.matmul(wout).add(bout).sub(y).pow(2).mean();
}

/** Trains with SGD; returns each step's loss and gradient norm (before clipping). */
function train(seed: number, maxNorm: number): { losses: number[]; norms: number[] } {
  const { params, x, y } = setup(seed);
  const opt = new SGD(params, { lr: LR });
  const losses: number[] = [];
  const norms: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    opt.zeroGrad();
    const l = loss(params, x, y);
    l.backward();
    losses.push(l.item());
    norms.push(clipGradNorm(params, maxNorm)); // maxNorm Infinity: measures, never scales
    opt.step();
  }
  return { losses, norms };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('a ReLU RNN on 60-step sequences: exploding gradients, and clipGradNorm(params, 5)', () => {
  test.each([1, 2, 3])('seed %i: without clipping the loss turns NaN; with clipping it trains', (seed) => {
    const plain = train(seed, Infinity);
    // It starts sane: finite loss, a large but finite gradient.
    expect(Number.isFinite(plain.losses[0])).toBe(true);
    expect(plain.losses[0]).toBeLessThan(50);
    expect(plain.norms[0]).toBeGreaterThan(10 * 5); // far above the clipping threshold
    // ... and blows up within a few steps.
    const firstBad = plain.losses.findIndex(
      (l, i) => !Number.isFinite(l) || !Number.isFinite(plain.norms[i]),
    );
    expect(firstBad).toBeGreaterThan(0);
    expect(firstBad).toBeLessThan(10);

    const clipped = train(seed, 5);
    expect(clipped.losses[0]).toBe(plain.losses[0]); // same start
    expect(clipped.losses.every(Number.isFinite)).toBe(true);
    expect(clipped.norms.every(Number.isFinite)).toBe(true);
    const first = clipped.losses[0];
    const early = mean(clipped.losses.slice(1, 11));
    const late = mean(clipped.losses.slice(STEPS - 10));
    expect(Math.max(...clipped.losses)).toBeLessThan(2 * first); // no spike
    expect(late).toBeLessThan(early); // still decreasing after the first steps
    expect(late).toBeLessThan(0.3 * first);
  });
});
