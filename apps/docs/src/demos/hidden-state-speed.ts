/**
 * Guide 2's timing: the example's training run (`trainSimpleRnn`, the time loop of tensor ops with
 * autograd recording every op) against the same run with `RNN` (`trainEchoWithRnn`, one fused
 * kernel with a hand-written backward through time), alternated A B A B and reported as medians and
 * their ratio. Timings on a shared machine are noisy: only the ratio of one run means anything.
 *
 *   npx tsx --conditions=@seqlab/source apps/docs/src/demos/hidden-state-speed.ts [repeats] [steps]
 */
import { getBackend } from '@seqlab/tensor';
import { trainSimpleRnn } from '../../examples/simple-rnn';
import { trainEchoWithRnn } from './hidden-state';

const repeats = Number(process.argv[2] ?? 7);
const steps = Number(process.argv[3] ?? 50);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const time = (run: () => unknown) => {
  const start = performance.now();
  run();
  return performance.now() - start;
};

trainSimpleRnn({ steps: 5 }); // warm up both paths
trainEchoWithRnn({ steps: 5 });
const loop: number[] = [];
const layer: number[] = [];
for (let i = 0; i < repeats; i++) {
  loop.push(time(() => trainSimpleRnn({ steps })));
  layer.push(time(() => trainEchoWithRnn({ steps })));
}
const [a, b] = [median(loop), median(layer)];
console.log(
  `echo task (T 12, B 32, H 16), ${steps} SGD steps, median of ${repeats}, ${getBackend().name} backend:`,
);
console.log(`  from-scratch loop  ${a.toFixed(0)} ms   (${(a / steps).toFixed(2)} ms/step)`);
console.log(`  RNN layer          ${b.toFixed(0)} ms   (${(b / steps).toFixed(2)} ms/step)`);
console.log(`  RNN is ${(a / b).toFixed(1)}x faster`);
