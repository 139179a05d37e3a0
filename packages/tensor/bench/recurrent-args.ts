// The arguments of one layer-direction's fused recurrence (recurrentForward/recurrentBackward) for
// the benchmarks: a padded batch of B sequences of length T, hidden H, no projection, every buffer
// allocated; inputs and W_hh filled by `noise` (values in [−1, 1), scaled), outputs zero. Used by
// recurrent.bench.ts here and by @seqlab/native's bench/recurrent.ts.
import { RECURRENT_GATES, type RecurrentBackwardArgs, type RecurrentCell } from '../src/backend/backend';

export function recurrentBenchArgs(
  cell: RecurrentCell,
  B: number,
  T: number,
  H: number,
  noise: (i: number, n: number) => number,
): RecurrentBackwardArgs {
  const GH = RECURRENT_GATES[cell] * H;
  const N = B * T;
  const F = (n: number, scale = 0) => Float32Array.from({ length: n }, (_, i) => scale * noise(i, n));
  const lstm = cell === 'lstm';
  return {
    cell,
    hidden: H,
    outSize: H,
    batch: B,
    batchSizes: new Int32Array(T).fill(B),
    reverse: false,
    xProj: F(N * GH, 1),
    wHh: F(GH * H, 1 / Math.sqrt(H)),
    bHh: cell === 'gru' ? F(GH, 1 / 16) : null,
    wHr: null,
    h0: F(B * H, 1),
    c0: lstm ? F(B * H, 1) : null,
    out: F(N * H),
    hN: F(B * H),
    cN: lstm ? F(B * H) : null,
    gates: F(N * GH),
    hPrev: F(N * H),
    cells: lstm ? F(N * H) : null,
    cPrev: lstm ? F(N * H) : null,
    hFull: null,
    hhN: cell === 'gru' ? F(N * H) : null,
    dOut: F(N * H, 1),
    dhN: null,
    dcN: null,
    dxProj: F(N * GH),
    dwHh: F(GH * H),
    dbHh: cell === 'gru' ? F(GH) : null,
    dwHr: null,
    dh0: F(B * H),
    dc0: lstm ? F(B * H) : null,
    dhTrace: null,
    dcTrace: null,
  };
}
