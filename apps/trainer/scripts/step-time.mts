// A training step's time on the built packages of one checkout, for an A/B of two checkouts'
// TypeScript in alternating processes (two copies of @seqlab/tensor refuse to share a realm): the
// `bench speed --mode train` step (zeroGrad, forward, cross-entropy, backward, clipGradNorm(5),
// Adam) of W1/W2/W3 or W1-packed on native (or --backend wasm), from the bench's seed, 2 warm-up
// steps, then --steps steps: prints one JSON line with the median wall and process CPU time per
// step (every thread), the 1-minute load, and hashes of the losses and of the parameters after the
// last step (the same bits on both sides or not).
//
//   git worktree add --detach /tmp/base <commit> && (cd /tmp/base && pnpm install --frozen-lockfile && pnpm build)
//   pnpm build && for r in 1 2 3 4 5 6 7; do for repo in /tmp/base $PWD; do
//     node --import tsx apps/trainer/scripts/step-time.mts --repo $repo --workload W1 --steps 8; done; done
//
// With --kernels <file.wasm> (and --backend wasm) the wasm backend runs that module instead of the
// build's own (`ready({ backend: 'wasm', wasm })`): an A/B of two kernels.wasm builds, the C
// kernels' change alone, on one checkout, e.g. against main's:
//
//   git show main:packages/tensor/src/backend/wasm/kernels.wasm > old.wasm
//   for r in 1 2 3 4 5 6 7; do for k in old.wasm packages/tensor/src/backend/wasm/kernels.wasm; do
//     taskset -c 0 node --import tsx apps/trainer/scripts/step-time.mts --repo $PWD --backend wasm \
//       --kernels $k --workload W1 --steps 8; done; done
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    repo: { type: 'string' },
    workload: { type: 'string', default: 'W1' },
    steps: { type: 'string', default: '8' },
    threads: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'native' },
    kernels: { type: 'string' },
  },
});
if (!values.repo) throw new Error('step-time: expected --repo <a seqlab checkout, built>');
if (values.kernels && values.backend !== 'wasm') throw new Error('step-time: --kernels needs --backend wasm');
const repo = values.repo;
const workload = values.workload ?? 'W1';

interface Side {
  step: () => number;
  params: { data: Float32Array }[];
}

async function side(): Promise<Side> {
  const req = createRequire(`${repo}/apps/trainer/package.json`);
  const imp = (n: string) => import(req.resolve(n));
  const { crossEntropy } = await imp('@seqlab/layers');
  const { Adam, clipGradNorm } = await imp('@seqlab/optim');
  const { manualSeed, ready, setBackend } = await imp('@seqlab/tensor');
  if (values.kernels) await ready({ backend: 'wasm', wasm: new Uint8Array(readFileSync(values.kernels)) });
  if (values.backend === 'native') {
    const status = (await imp('@seqlab/native')).registerNative({
      threads: Number(values.threads),
      retainFreedMemory: true, // the CLI's policy (apps/trainer/src/backend.ts)
    });
    if (!status.ok) throw new Error(`native backend unavailable in ${repo}: ${status.reason}`);
  }
  setBackend(values.backend);
  manualSeed(0);
  const bench = `${repo}/apps/trainer/src/commands/bench`;
  let forward: () => unknown;
  let labels: unknown;
  let params: unknown[];
  if (workload === 'W1-packed') {
    const { makePackedBatch, PACKED_WORKLOADS, PackedClassifier } = await import(`${bench}/packed.ts`);
    const w = PACKED_WORKLOADS[workload];
    const model = new PackedClassifier(w);
    const batch = makePackedBatch(w, 1);
    forward = () => model.forwardPacked(batch.tokens, batch.lengths);
    labels = batch.labels;
    params = model.parameters();
    model.train();
  } else {
    const { makeBatch } = await import(`${bench}/speed.ts`);
    const { SeqClassifier, WORKLOADS } = await import(`${bench}/workloads.ts`);
    const w = WORKLOADS[workload];
    const model = new SeqClassifier(w);
    const batch = makeBatch(w, 1);
    forward = () => model.forward(batch.tokens);
    labels = batch.labels;
    params = model.parameters();
    model.train();
  }
  const opt = new Adam(params, { lr: 1e-3 });
  return {
    params: params as { data: Float32Array }[],
    step() {
      opt.zeroGrad();
      const loss = crossEntropy(forward(), labels);
      loss.backward();
      clipGradNorm(params, 5);
      opt.step();
      return loss.item();
    },
  };
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

const { step, params } = await side();
const losses = [step(), step()];
const wall: number[] = [];
const cpu: number[] = [];
const load = loadavg()[0];
for (let s = 0; s < Number(values.steps); s++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  losses.push(step());
  const c = process.cpuUsage(c0);
  wall.push(performance.now() - t0);
  cpu.push((c.user + c.system) / 1000);
}
const hash = createHash('sha256').update(new Float64Array(losses)).digest('hex').slice(0, 16);
// The parameters after the last step (the losses can agree where the parameters do not).
const h = createHash('sha256');
for (const p of params) h.update(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
console.log(
  JSON.stringify({
    repo,
    ...(values.kernels ? { kernels: values.kernels } : {}),
    workload,
    backend: values.backend,
    load,
    wall: median(wall),
    cpu: median(cpu),
    losses: hash,
    params: h.digest('hex').slice(0, 16),
  }),
);
