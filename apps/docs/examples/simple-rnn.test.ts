import { expect, test } from 'vitest';
import { trainSimpleRnn } from './simple-rnn';

test("the article's from-scratch RNN learns the echo task: loss falls by at least 10x", () => {
  const losses = trainSimpleRnn({ steps: 150 });
  const first = losses[0];
  const last = losses.slice(-10).reduce((a, b) => a + b, 0) / 10;
  expect(first).toBeGreaterThan(0.1); // untrained: about the variance of the target
  expect(last).toBeLessThan(first / 10);
});

test('training is reproducible from the seed', () => {
  expect(trainSimpleRnn({ steps: 5, seed: 3 })).toEqual(trainSimpleRnn({ steps: 5, seed: 3 }));
});
