// Peak RSS of writing the optimizer's checkpoint (not part of the test suite): Adam over the
// parameter shapes of the default run's model (or, with `article`, of configs/article-lstm.json's),
// one step, then the checkpoint's optimizer file built three times as `seqlab train` builds it at
// the end of every epoch (splitOptimizerState, then safetensors bytes), with the process's RSS and
// peak RSS after each.
//
//   cd apps/trainer && node --expose-gc --conditions=@seqlab/source --import tsx scripts/checkpoint-memory.ts [default|article]

import { Adam } from '@seqlab/optim';
import { randn, saveSafetensors } from '@seqlab/tensor';
import { splitOptimizerState } from '../src/optimizer-state';

const LSTM = (I: number, H: number, suffix: string) =>
  suffix === 'l0' || suffix === 'l0_reverse'
    ? [[4 * H, I], [4 * H, H], [4 * H], [4 * H]]
    : [[4 * H, 2 * H], [4 * H, H], [4 * H], [4 * H]];
const bilstm = (I: number, H: number, layers: number) =>
  Array.from({ length: layers }, (_, l) => [...LSTM(I, H, `l${l}`), ...LSTM(I, H, `l${l}_reverse`)]).flat();
// default: embedding 17,987 × 64 (its vocabulary on SpamAssassin), 1-layer biLSTM 32, Linear(64, 2);
// article: embedding 10,000 × 128, 2-layer biLSTM 256, Linear(512, 2).
const shapes =
  process.argv[2] === 'article'
    ? [[10000, 128], ...bilstm(128, 256, 2), [2, 512], [2]]
    : [[17987, 64], ...bilstm(64, 32, 1), [2, 64], [2]];

const params = shapes.map((s) => randn(s, { requiresGrad: true }));
const adam = new Adam(params, { lr: 1e-3 });
for (const p of params) p.grad = randn(p.shape);
adam.step();
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const report = (what: string) =>
  console.log(
    `${what}: RSS ${mib(process.memoryUsage().rss)} MiB, peak ${mib(process.resourceUsage().maxRSS * 1024)} MiB`,
  );
globalThis.gc?.();
report(`${params.reduce((a, p) => a + p.data.length, 0).toLocaleString('en-US')} parameters`);
for (let i = 1; i <= 3; i++) {
  const bytes = saveSafetensors(splitOptimizerState(adam.stateDict()).tensors);
  report(`checkpoint ${i} (${bytes.length.toLocaleString('en-US')} bytes)`);
}
