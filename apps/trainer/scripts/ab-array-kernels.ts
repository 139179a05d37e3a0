// The js array kernels of this checkout ("new") against another checkout's ("old", --base: its
// packages/tensor/src/backend/js/{elementwise,strided,indexing}.ts), alternating in one process so
// both sides see the same machine load:
// 1. each kernel alone on the W1 training step's shapes and views (the wasm backend's calls outside
//    its GEMMs and recurrence, as step-ops.ts lists them), over six sets of operands so they are not
//    all cache-resident: median CPU ns an element per side, ratio, and ms a step saved;
// 2. the W1 wasm training step (`bench speed --mode train`'s, training-setup.ts, in `tidy`) with the
//    backend's binary, stridedCopy, stridedAccumulate, indexSelect and indexAdd taken from either side, A B
//    then B A: median process CPU ms a step per side and the median of the per-pair ratios.
//
//   node --conditions=@seqlab/source --import tsx apps/trainer/scripts/ab-array-kernels.ts --base <checkout> [--rounds 21] [--steps 12]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setBackend, tidy } from '@seqlab/tensor';
import { backend, inferRecurrentLayer, registerBackend, setWasmLayerInference } from '@seqlab/tensor/backend';
import { trainingSetup } from './training-setup';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '21' },
    steps: { type: 'string', default: '12' },
  },
});
if (!values.base) throw new Error('ab-array-kernels: --base <checkout> is required');
const KERNELS = ['binary', 'stridedCopy', 'stridedAccumulate', 'indexSelect', 'indexAdd'] as const;
type Kernels = Pick<ReturnType<typeof backend>, (typeof KERNELS)[number]>;
const load = async (dir: string): Promise<Kernels> => {
  const js = `${dir}/packages/tensor/src/backend/js`;
  const mods = await Promise.all(['elementwise', 'strided', 'indexing'].map((m) => import(`${js}/${m}.ts`)));
  const all = Object.assign({}, ...mods);
  return Object.fromEntries(KERNELS.map((k) => [k, all[k]])) as Kernels;
};
const oldK = await load(values.base);
const newK = await load(new URL('../../..', import.meta.url).pathname);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

// 1. The kernels alone.
const N = 409_600;
const M = 819_200;
const R = 6;
const filled = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i));
const A = Array.from({ length: R }, () => filled(M));
const B = Array.from({ length: R }, () => filled(M));
const O = Array.from({ length: R }, () => new Float32Array(M));
const P = Array.from({ length: R }, () => filled(N));
const Q = Array.from({ length: R }, () => new Float32Array(204_800));
const weight = filled(1_280_000);
const ids = Int32Array.from({ length: 1600 }, (_, i) => (i * 7919) % 10_000);
const weightGrad = new Float32Array(1_280_000);
const zero = new Float32Array(1);
let r = 0;
const v = (data: Float32Array, offset: number, strides: number[]) => ({ data, offset, strides });
// [label, elements, calls a W1 step, the call]
const CASES: [string, number, number, (k: Kernels) => void][] = [
  [
    'stridedAccumulate [1600, 256] into half rows (layer 1 cat)',
    N,
    2,
    (k) => k.stridedAccumulate(P[r], [1, 1600, 256], v(O[r], 256, [M, 512, 1])),
  ],
  [
    'stridedAccumulate [50, 32, 256] batch-first (layer 2)',
    N,
    2,
    (k) => k.stridedAccumulate(P[r], [50, 32, 256], v(O[r], 256, [512, 25_600, 1])),
  ],
  [
    'binary add 0 + g [50, 32, 256] (layer 2 gradient)',
    N,
    2,
    (k) => k.binary('add', v(zero, 0, [0, 0, 0]), v(A[r], 256, [512, 25_600, 1]), [50, 32, 256], P[r]),
  ],
  [
    'binary add [1600, 128] (input gradients)',
    204_800,
    2,
    (k) => k.binary('add', v(A[r], 0, [128, 1]), v(B[r], 0, [128, 1]), [1600, 128], Q[r]),
  ],
  [
    'binary mul [1600, 512] (dropout backward)',
    M,
    1,
    (k) => k.binary('mul', v(A[r], 0, [512, 1]), v(B[r], 0, [512, 1]), [1600, 512], O[r]),
  ],
  [
    'stridedCopy [1600, 256] from half rows (layer 1 gradient)',
    N,
    2,
    (k) => k.stridedCopy(v(A[r], 256, [M, 512, 1]), [1, 1600, 256], P[r]),
  ],
  [
    'indexSelect 1600 rows of 128 (embedding)',
    204_800,
    1,
    (k) => k.indexSelect(weight, 1, 10_000, 128, ids, Q[r]),
  ],
  [
    'indexAdd 1600 rows of 128 (embedding backward)',
    204_800,
    1,
    (k) => k.indexAdd(weightGrad, 1, 10_000, 128, ids, Q[r]),
  ],
];
console.log(`load ${loadavg()[0].toFixed(2)}`);
console.log('| kernel, W1 shape | old ns/el | new ns/el | new/old | calls/step | ms/step saved |');
console.log('|---|---:|---:|---:|---:|---:|');
let saved = 0;
for (const [label, n, calls, run] of CASES) {
  const t: [number[], number[]] = [[], []];
  const time = (k: Kernels) => {
    const t0 = cpu();
    for (let q = 0; q < R; q++, r = (r + 1) % R) run(k);
    return (cpu() - t0) / R;
  };
  for (let w = 0; w < 5; w++) {
    time(oldK);
    time(newK);
  }
  for (let i = 0; i < Number(values.rounds); i++) {
    t[0].push(time(oldK));
    t[1].push(time(newK));
  }
  const [o, m] = t.map(median);
  saved += (o - m) * calls;
  const ns = (ms: number) => ((ms * 1e6) / n).toFixed(2);
  console.log(
    `| ${label} | ${ns(o)} | ${ns(m)} | ${(m / o).toFixed(2)} | ${calls} | ${((o - m) * calls).toFixed(2)} |`,
  );
}
console.log(`the W1 step's calls: ${saved.toFixed(2)} ms a step saved`);

// 2. The whole step, either side's kernels.
setBackend('wasm');
setWasmLayerInference(inferRecurrentLayer);
const own = backend();
const sides = [oldK, newK].map((k) => ({ ...own, ...k }));
const { step } = trainingSetup('W1');
const timed = (side: number) => {
  registerBackend(sides[side]);
  const t0 = cpu();
  tidy(step);
  return cpu() - t0;
};
for (let i = 0; i < 6; i++) timed(i % 2);
const ms: [number[], number[]] = [[], []];
const ratios: number[] = [];
for (let i = 0; i < Number(values.steps); i++) {
  const order = i % 2 ? [1, 0] : [0, 1];
  const got = [0, 0];
  for (const s of order) got[s] = timed(s);
  ms[0].push(got[0]);
  ms[1].push(got[1]);
  ratios.push(got[1] / got[0]);
}
registerBackend(own);
console.log(
  `W1 wasm step, CPU ms: old ${median(ms[0]).toFixed(1)}, new ${median(ms[1]).toFixed(1)}, ` +
    `new/old ${median(ratios).toFixed(3)} (median of ${ratios.length} pairs), load ${loadavg()[0].toFixed(2)}`,
);
