import { tensor } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { SeqClassifier, WORKLOAD_NAMES, WORKLOADS } from './workloads';

describe('anchor workloads', () => {
  // The counts torch_bench.py prints for its SeqClassifier (shared/bench/anchors/README.md).
  it.each([
    ['W1', 3_648_514],
    ['W2', 739_586],
    ['W3', 3_056_642],
  ] as const)('%s has PyTorch’s parameter count', (name, params) => {
    expect(new SeqClassifier(WORKLOADS[name]).numParameters()).toBe(params);
  });

  it('names the parameters as torch_bench.py’s SeqClassifier does', () => {
    const keys = [...new SeqClassifier(WORKLOADS.W1).stateDict().keys()];
    expect(keys).toContain('emb.weight');
    expect(keys).toContain('rnn.weight_ih_l0');
    expect(keys).toContain('rnn.bias_hh_l1_reverse');
    expect(keys).toContain('fc.weight');
    expect(keys).toHaveLength(1 + 2 * 2 * 4 + 2);
    expect(WORKLOAD_NAMES).toEqual(['W1', 'W2', 'W3']);
  });

  it('classifies from the output at the last time step', () => {
    // A tiny W2 (one direction): output[:, -1] has read the whole sequence, output[:, 0] only token 0.
    const model = new SeqClassifier({ ...WORKLOADS.W2, vocab: 20, emb: 4, hidden: 3 }).eval();
    const ids = tensor(
      [
        [1, 2, 3, 4, 5],
        [6, 7, 8, 9, 10],
      ],
      { dtype: 'int32' },
    );
    const { output } = model.rnn.forward(model.emb.forward(ids));
    expect(model.forward(ids).toArray()).toEqual(model.fc.forward(output.select(1, -1)).toArray());
    const lastChanged = tensor(
      [
        [1, 2, 3, 4, 19],
        [6, 7, 8, 9, 10],
      ],
      { dtype: 'int32' },
    );
    const before = model.forward(ids).toArray() as number[][];
    const after = model.forward(lastChanged).toArray() as number[][];
    expect(after[0]).not.toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
  });
});
