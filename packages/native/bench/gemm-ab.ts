// Two builds of the addon's GEMM side by side in one process, and PyTorch's torch.mm on the same
// shapes in between: W1's and W2's training products as the Backend calls them (`gemm`, B packed
// inside every call) and the recurrent steps (`gemmPacked` over B packed once).
//
//   pnpm --filter @seqlab/native bench:ab --old /tmp/old/seqlab_native.node [--rounds 5] [--threads 1,2]
//     [--python /usr/bin/python3] [--shapes W1l2]
//
// Each round times, for each thread count, the one-core register-only FMA peak, then every shape
// on the old and the new build (best of three turns each, alternating, the order swapped every
// round; CPU time with one thread, wall time with more), then torch.mm in a Python process of its
// own (best of three, timed the same way) (OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE, PyTorch at its
// best on this CPU). The table gives medians over rounds of GFLOP/s and of the per-round ratios:
// on a shared machine only ratios taken side by side mean anything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { NativeAddon } from '../src/addon';
import { loadNative } from '../src/load';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '1,2' },
    python: { type: 'string', default: '/usr/bin/python3' },
    shapes: { type: 'string', default: '' },
  },
});
if (!values.old) {
  console.error('gemm-ab: expected --old <path of the other build of seqlab_native.node>, got none');
  process.exit(2);
}
const load = loadNative();
if (!load.ok) {
  console.error(`@seqlab/native: ${load.reason}`);
  process.exit(1);
}
const oldModule = { exports: {} as NativeAddon };
process.dlopen(oldModule, values.old);
const sides: [string, NativeAddon][] = [
  ['old', oldModule.exports],
  ['new', load.addon],
];
const rounds = Number(values.rounds);
const threadCounts = values.threads.split(',').map(Number);

interface Shape {
  name: string;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  packed: boolean;
}
// C[m, n] = op(A) op(B) as the training step calls it: the input projection x W_ihᵀ (forward),
// dX = g W_ih, dW_ih = gᵀ x; the recurrent steps h W_hhᵀ (forward) and dgates W_hh (backward).
const SHAPES: Shape[] = (
  [
    ['W1l1 fwd A·Bᵀ', false, true, 1600, 1024, 128, false],
    ['W1l1 dX A·B', false, false, 1600, 128, 1024, false],
    ['W1l1 dW Aᵀ·B', true, false, 1024, 128, 1600, false],
    ['W1l2 fwd A·Bᵀ', false, true, 1600, 1024, 512, false],
    ['W1l2 dX A·B', false, false, 1600, 512, 1024, false],
    ['W1l2 dW Aᵀ·B', true, false, 1024, 512, 1600, false],
    ['W1 step fwd', false, true, 32, 1024, 256, true],
    ['W1 step bwd', false, false, 32, 256, 1024, true],
    ['W2 fwd A·Bᵀ', false, true, 6400, 512, 64, false],
    ['W2 step fwd', false, true, 64, 512, 128, true],
  ] as const
)
  .map(([name, transA, transB, m, n, k, packed]) => ({ name, transA, transB, m, n, k, packed }))
  .filter((s) => values.shapes === '' || s.name.includes(values.shapes));

const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);

/**
 * GFLOP/s of `calls` back-to-back products of the shape on one build: over the process's CPU time
 * with one thread (which a busy machine does not inflate), else over wall time.
 */
function time(addon: NativeAddon, s: Shape, data: ReturnType<typeof operands>, calls: number): number {
  const { a, b, c } = data;
  const packed = s.packed ? addon.packB(s.transB, s.k, s.n, b, 0) : null;
  const nr = addon.gemmInfo().nr;
  const run = packed
    ? () => addon.gemmPacked(s.m, s.n, s.k, a, 0, packed, c, 0, false, nr)
    : () => addon.gemm(s.transA, s.transB, s.m, s.n, s.k, a, 0, b, 0, c, 0, false);
  run();
  const cpu = addon.threads() === 1;
  const start = cpu ? process.cpuUsage() : null;
  const wall = performance.now();
  for (let i = 0; i < calls; i++) run();
  const ms = start ? cpuMs(process.cpuUsage(start)) : performance.now() - wall;
  return (2 * s.m * s.n * s.k * calls) / (ms * 1e6);
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

function operands(s: Shape) {
  return { a: random(s.m * s.k), b: random(s.k * s.n), c: new Float32Array(s.m * s.n) };
}

const TORCH = `
import json, sys, time, torch
shapes, threads = json.loads(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
out = []
for s in shapes:
    a = torch.rand(s['k'], s['m']) if s['transA'] else torch.rand(s['m'], s['k'])
    b = torch.rand(s['n'], s['k']) if s['transB'] else torch.rand(s['k'], s['n'])
    run = lambda: torch.mm(a.t() if s['transA'] else a, b.t() if s['transB'] else b)
    calls = max(1, int(3e8 / (2 * s['m'] * s['n'] * s['k'])))
    clock = time.process_time if threads == 1 else time.perf_counter
    run()
    best = 0
    for _ in range(3):
        t = clock()
        for _ in range(calls): run()
        best = max(best, 2 * s['m'] * s['n'] * s['k'] * calls / (clock() - t) / 1e9)
    out.append(best)
print(json.dumps(out))
`;
const torchOk = existsSync(values.python);

function torchRound(threads: number): number[] | null {
  if (!torchOk) return null;
  const r = spawnSync(values.python, ['-c', TORCH, JSON.stringify(SHAPES), String(threads)], {
    env: { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX', OMP_WAIT_POLICY: 'PASSIVE' },
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.error(`torch: ${r.stderr.trim().split('\n').pop()}`);
    return null;
  }
  return JSON.parse(r.stdout) as number[];
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
};

const data = SHAPES.map(operands);
const calls = SHAPES.map((s) => Math.max(1, Math.round(3e8 / (2 * s.m * s.n * s.k))));
// results[threads][shape]: per-round GFLOP/s of each side and of torch, and the peak.
const results = threadCounts.map(() =>
  SHAPES.map(() => ({ old: [] as number[], new: [] as number[], torch: [] as number[] })),
);
const peaks: number[] = [];
const loads = [loadavg()[0]];
for (let r = 0; r < rounds; r++) {
  peaks.push(Math.max(...Array.from({ length: 3 }, () => load.addon.fmaPeak(3e6).cpu)));
  threadCounts.forEach((threads, ti) => {
    for (const [, addon] of sides) addon.setThreads(threads);
    SHAPES.forEach((s, si) => {
      // Best of three turns each, old and new alternating, the first side swapped every round.
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      const best = { old: 0, new: 0 };
      for (let turn = 0; turn < 3; turn++)
        for (const [name, addon] of order) {
          const side = name as 'old' | 'new';
          best[side] = Math.max(best[side], time(addon, s, data[si], calls[si]));
        }
      results[ti][si].old.push(best.old);
      results[ti][si].new.push(best.new);
    });
    for (const [si, g] of (torchRound(threads) ?? []).entries()) results[ti][si].torch.push(g);
  });
  loads.push(loadavg()[0]);
}

const peak = median(peaks);
console.log(
  `one-core FMA peak ${peak.toFixed(1)} GFLOP/s (median over rounds of the best of three, ${peaks.map((p) => p.toFixed(0)).join(' ')}); ` +
    `1-minute load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}; ${rounds} rounds`,
);
console.log(
  '| shape (M × K × N) | threads | old GFLOP/s | new GFLOP/s | new / old | new % of peak | torch.mm GFLOP/s | new / torch |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
threadCounts.forEach((threads, ti) => {
  SHAPES.forEach((s, si) => {
    const x = results[ti][si];
    const ratio = median(x.new.map((g, i) => g / x.old[i]));
    const vsTorch = x.torch.length ? median(x.new.map((g, i) => g / x.torch[i])) : Number.NaN;
    console.log(
      `| ${s.name} ${s.m} × ${s.k} × ${s.n} | ${threads} | ${median(x.old).toFixed(1)} | ${median(x.new).toFixed(1)} | ` +
        `${ratio.toFixed(3)} | ${((100 * median(x.new)) / peak).toFixed(0)}% | ` +
        `${x.torch.length ? median(x.torch).toFixed(1) : '–'} | ${Number.isNaN(vsTorch) ? '–' : vsTorch.toFixed(2)} |`,
    );
  });
});
