// The fused recurrence of one layer-direction on the anchor workloads' shapes
// (../../shared/bench/anchors/README.md: W1 LSTM and W3 GRU at batch 32, length 50, hidden 256;
// W2 LSTM at batch 64, length 100, hidden 128), forward and forward + backward through time, on
// four kernels: the native backend's (the wasm backend's C cells compiled into the addon, one call
// per sequence), the native GEMM under the js time loop (what the native backend ran before), the
// wasm backend's (recurrent.c in WebAssembly) and the js backend's. The input projection is not
// included (one GEMM, see gemm.ts).
//
//   pnpm --filter @seqlab/native bench:recurrent [--threads 1] [--reps 7]
//
// Each figure is the median over `reps` rounds of this thread's CPU time per call (process
// .cpuUsage, so a machine shared with other jobs changes it less than wall time), the kernels
// alternating within each round; with --threads 2 the pool's second thread is not counted, so
// compare thread counts by wall time (printed too). Ratios are against the native kernel.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { listBackends, setBackend } from '@seqlab/tensor';
import { backend, jsBackend, makeRecurrentKernels, type RecurrentCell } from '@seqlab/tensor/backend';
// A workspace-relative import: benchmarks run from a clone, never from the published package.
import { recurrentBenchArgs } from '../../tensor/bench/recurrent-args';
import { createNativeBackend, nativeGemmKernels } from '../src/backend';
import { loadNative } from '../src/load';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '7' },
  },
});

const load = loadNative();
if (!load.ok) {
  console.error(`@seqlab/native: ${load.reason}`);
  process.exit(1);
}
const { addon } = load;
addon.setThreads(Number(values.threads));
const reps = Number(values.reps);

// The same arguments as @seqlab/tensor's recurrent.bench.ts, filled by a fixed sine hash.
const args = (cell: RecurrentCell, B: number, T: number, H: number) =>
  recurrentBenchArgs(cell, B, T, H, (i, n) => Math.sin(i * 12.9898 + n));

type Kernels = Pick<typeof jsBackend, 'recurrentForward' | 'recurrentBackward'>;
const kernels: [string, Kernels][] = [
  ['native (fused C)', createNativeBackend(addon)],
  ['native GEMM, js loop', makeRecurrentKernels(nativeGemmKernels(addon))],
];
if (listBackends().includes('wasm')) {
  setBackend('wasm');
  kernels.push(['wasm (recurrent.c)', backend()]);
}
kernels.push(['js', jsBackend]);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const shapes = [
  { name: 'W1 lstm', cell: 'lstm' as const, B: 32, T: 50, H: 256 },
  { name: 'W2 lstm', cell: 'lstm' as const, B: 64, T: 100, H: 128 },
  { name: 'W3 gru', cell: 'gru' as const, B: 32, T: 50, H: 256 },
];
console.log(
  `threads ${addon.threads()}, gemm ${addon.gemmInfo().isa}, gate math ${addon.recurrentInfo().isa}, ` +
    `${reps} rounds, load average ${loadavg()[0].toFixed(1)}`,
);
console.log('shape | pass | kernel | CPU ms/call (median) | wall ms/call (median) | CPU time / native');
for (const s of shapes) {
  const a = args(s.cell, s.B, s.T, s.H);
  for (const pass of ['forward', 'forward + backward'] as const) {
    const cpu = kernels.map((): number[] => []);
    const wall = kernels.map((): number[] => []);
    for (let r = 0; r <= reps; r++) {
      kernels.forEach(([, k], i) => {
        const c0 = process.cpuUsage();
        const w0 = performance.now();
        k.recurrentForward(a);
        if (pass !== 'forward') k.recurrentBackward(a);
        const c = process.cpuUsage(c0);
        // Round 0 warms up (JIT, page faults).
        if (r > 0) {
          cpu[i].push((c.user + c.system) / 1e3);
          wall[i].push(performance.now() - w0);
        }
      });
    }
    const base = median(cpu[0]);
    kernels.forEach(([name], i) => {
      const c = median(cpu[i]);
      console.log(
        `${s.name} B=${s.B} T=${s.T} H=${s.H} | ${pass} | ${name} | ${c.toFixed(2)} | ${median(wall[i]).toFixed(2)} | ${(c / base).toFixed(2)}×`,
      );
    });
  }
}
