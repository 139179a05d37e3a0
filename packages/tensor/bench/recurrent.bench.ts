// The fused recurrence of one layer-direction on the W1 shapes (../shared/bench/anchors/README.md:
// batch 32, length 50, hidden 256), forward and forward + backward, js backend. The input
// projection is not included (it is one GEMM, see gemm.bench.ts).
// Run: pnpm bench (or: npx vitest bench --run --project tensor)
import { Generator, type RecurrentCell, randn, recurrentSequence } from '@seqlab/tensor';
import { bench, describe } from 'vitest';

const B = 32;
const T = 50;
const H = 256;
const g = new Generator(0);

for (const [cell, G] of [
  ['lstm', 4],
  ['gru', 3],
] as [RecurrentCell, number][]) {
  const xProj = randn([T * B, G * H], { generator: g })
    .mul(0.1)
    .detach();
  const wHh = randn([G * H, H], { generator: g })
    .mul(0.05)
    .detach();
  const bHh = cell === 'gru' ? randn([G * H], { generator: g }).detach() : null;
  const h0 = randn([B, H], { generator: g }).detach();
  const c0 = cell === 'lstm' ? randn([B, H], { generator: g }).detach() : null;
  const batchSizes = new Int32Array(T).fill(B);
  describe(`recurrentSequence ${cell} B=${B} T=${T} H=${H}, js backend`, () => {
    bench(
      'forward',
      () => {
        recurrentSequence({ cell, xProj, wHh, bHh, wHr: null, h0, c0, batchSizes, reverse: false });
      },
      { time: 2000 },
    );
    bench(
      'forward + backward',
      () => {
        const x = xProj.detach();
        x.requiresGrad = true;
        const { out } = recurrentSequence({
          cell,
          xProj: x,
          wHh,
          bHh,
          wHr: null,
          h0,
          c0,
          batchSizes,
          reverse: false,
        });
        out.sum().backward();
      },
      { time: 2000 },
    );
  });
}
