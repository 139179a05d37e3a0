// The exact numbers of a few training steps, to compare two builds bit for bit: the W1/W2/W3 step of
// `seqlab bench speed --mode train` (zeroGrad, forward, cross-entropy, backward, clipGradNorm(5),
// Adam) run 4 times on the built packages of the checkout at <repo>, printing every loss in full and
// a SHA-256 of every parameter's bytes after the last step.
//
//   node --import tsx apps/trainer/scripts/train-bits.mts <repo> <js|wasm|native> <W1|W2|W3>
//
// Run it once per checkout (each built with `pnpm build`) and compare the lines.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

const [repo, backendName, wl] = process.argv.slice(2);
const req = createRequire(`${repo}/apps/trainer/package.json`);
const imp = (n: string) => import(req.resolve(n));
const { crossEntropy } = await imp('@seqlab/layers');
const { Adam, clipGradNorm } = await imp('@seqlab/optim');
const { manualSeed, setBackend } = await imp('@seqlab/tensor');
if (backendName === 'native') (await imp('@seqlab/native')).registerNative({ threads: 2 });
setBackend(backendName);
const { makeBatch } = await import(`${repo}/apps/trainer/src/commands/bench/speed.ts`);
const { SeqClassifier, WORKLOADS } = await import(`${repo}/apps/trainer/src/commands/bench/workloads.ts`);
manualSeed(0);
const w = WORKLOADS[wl];
const model = new SeqClassifier(w);
const batch = makeBatch(w, 1);
const params = model.parameters();
model.train();
const opt = new Adam(params, { lr: 1e-3 });
const losses: number[] = [];
for (let i = 0; i < 4; i++) {
  opt.zeroGrad();
  const loss = crossEntropy(model.forward(batch.tokens), batch.labels);
  loss.backward();
  clipGradNorm(params, 5);
  opt.step();
  losses.push(loss.item());
}
const h = createHash('sha256');
for (const p of params) h.update(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
console.log(backendName, wl, losses.join(' '), h.digest('hex').slice(0, 16));
