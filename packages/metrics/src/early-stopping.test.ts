import { ConfigError, type Tensor, tensor } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { EarlyStopping, type EarlyStoppingState, type StateDict } from './index';

/** A stand-in for a tensor: a class instance that copies itself with clone(). */
class FakeTensor {
  constructor(readonly data: Float32Array) {}
  clone(): FakeTensor {
    return new FakeTensor(this.data.slice());
  }
}

describe('EarlyStopping', () => {
  it("copies a Map<string, Tensor> (Module.stateDict()'s type): later training does not change it", () => {
    const weight = tensor([1, 2], { requiresGrad: true });
    const stateDict = (): Map<string, Tensor> => new Map([['fc.weight', weight.detach()]]);
    const stopper = new EarlyStopping({ patience: 1, mode: 'max' });
    stopper.step(0.5, 0, stateDict());
    weight.data[0] = 10; // an optimizer step writes in place, into the storage stateDict() shares
    stopper.step(0.4, 1, stateDict());
    const best = stopper.bestState as Map<string, Tensor>;
    expect(best).toBeInstanceOf(Map);
    expect([...best.keys()]).toEqual(['fc.weight']);
    expect(Array.from(best.get('fc.weight')!.data)).toEqual([1, 2]);
    expect(best.get('fc.weight')!.requiresGrad).toBe(false);
    expect(stopper.shouldStop).toBe(true);
    const restored = new EarlyStopping({ patience: 1, mode: 'max' });
    restored.loadStateDict(stopper.stateDict());
    expect(restored.bestState).toBe(best);
  });

  it("has PyTorch Lightning's defaults: patience 3, minDelta 0, mode 'min'", () => {
    const stopper = new EarlyStopping();
    expect([stopper.patience, stopper.minDelta, stopper.mode]).toEqual([3, 0, 'min']);
    expect([
      stopper.bestValue,
      stopper.bestEpoch,
      stopper.shouldStop,
      stopper.epochsWithoutImprovement,
    ]).toEqual([null, null, false, 0]);
  });

  it("stops after patience steps without improvement in 'min' mode", () => {
    const stopper = new EarlyStopping({ patience: 2 });
    const stops = [0.9, 0.7, 0.71, 0.72, 0.6].map((loss) => stopper.step(loss));
    expect(stops).toEqual([false, false, false, true, true]);
    expect([stopper.bestValue, stopper.bestEpoch, stopper.stoppedEpoch, stopper.stopReason]).toEqual([
      0.6,
      4,
      3,
      'patience',
    ]);
  });

  it("stops in 'max' mode and counts epochs without improvement", () => {
    const stopper = new EarlyStopping({ patience: 3, mode: 'max' });
    const counts = [0.5, 0.6, 0.6, 0.55, 0.61, 0.6, 0.59, 0.6].map((acc) => {
      stopper.step(acc);
      return stopper.epochsWithoutImprovement;
    });
    expect(counts).toEqual([0, 0, 1, 2, 0, 1, 2, 3]);
    expect([stopper.shouldStop, stopper.bestValue, stopper.bestEpoch, stopper.stoppedEpoch]).toEqual([
      true,
      0.61,
      4,
      7,
    ]);
  });

  it('needs an improvement of more than minDelta', () => {
    const stopper = new EarlyStopping({ patience: 1, minDelta: 0.1 });
    expect(stopper.step(1.0)).toBe(false);
    expect(stopper.isImprovement(0.95)).toBe(false);
    expect(stopper.isImprovement(0.85)).toBe(true);
    expect(stopper.step(0.95)).toBe(true);
    expect(stopper.bestValue).toBe(1.0);
    const up = new EarlyStopping({ mode: 'max', minDelta: 0.1 });
    up.step(1.0);
    expect([up.isImprovement(1.05), up.isImprovement(1.15)]).toEqual([false, true]);
  });

  it('with patience 0 stops at the first step without improvement', () => {
    const stopper = new EarlyStopping({ patience: 0 });
    expect(stopper.step(1)).toBe(false);
    expect(stopper.step(1)).toBe(true);
  });

  it('stops at once on a NaN or infinite value', () => {
    const stopper = new EarlyStopping({ patience: 10 });
    stopper.step(1);
    expect(stopper.step(Number.NaN)).toBe(true);
    expect([stopper.stopReason, stopper.stoppedEpoch, stopper.bestValue]).toEqual(['nonFinite', 1, 1]);
    expect(new EarlyStopping().step(Number.POSITIVE_INFINITY)).toBe(true);
  });

  it('uses given epochs and numbers the rest from the last one', () => {
    const stopper = new EarlyStopping({ patience: 5 });
    stopper.step(1.0, 10);
    stopper.step(0.5);
    expect(stopper.bestEpoch).toBe(11);
  });

  it('deep-copies a state dict on improvement only', () => {
    const stopper = new EarlyStopping({ patience: 5 });
    const weights = new Float32Array([1, 2]);
    const model: StateDict = {
      'linear.weight': weights,
      'lstm.w': new FakeTensor(new Float32Array([3])),
      meta: { steps: [1, 2] },
      name: 'm',
    };
    stopper.step(1.0, 0, model);
    weights[0] = 99;
    ((model.meta as { steps: number[] }).steps as number[]).push(3);
    (model['lstm.w'] as FakeTensor).data[0] = 99;
    stopper.step(2.0, 1, model); // worse: not copied
    const best = stopper.bestState as Record<string, unknown>;
    expect(Array.from(best['linear.weight'] as Float32Array)).toEqual([1, 2]);
    expect(best['lstm.w']).toBeInstanceOf(FakeTensor);
    expect(Array.from((best['lstm.w'] as FakeTensor).data)).toEqual([3]);
    expect(best.meta).toEqual({ steps: [1, 2] });
    expect(best.name).toBe('m');
  });

  it('calls a snapshot function on improvement only and keeps its result as is', () => {
    const stopper = new EarlyStopping({ patience: 5 });
    let calls = 0;
    const snapshot = { epoch: -1 };
    const take = (epoch: number) => () => {
      calls++;
      snapshot.epoch = epoch;
      return snapshot;
    };
    stopper.step(1.0, 0, take(0));
    stopper.step(2.0, 1, take(1));
    stopper.step(0.5, 2, take(2));
    expect(calls).toBe(2);
    expect(stopper.bestState).toBe(snapshot);
    expect(snapshot.epoch).toBe(2);
  });

  it('resumes from stateDict exactly where an uninterrupted run would be', () => {
    const losses = [1.0, 0.8, 0.85, 0.79, 0.8, 0.81, 0.78, 0.9, 0.95, 0.99];
    const run = (stopper: EarlyStopping, values: number[]) =>
      values.map((v) => stopper.step(v, undefined, { v }));
    const reference = new EarlyStopping({ patience: 3, minDelta: 0.005 });
    const expected = run(reference, losses);
    expect(expected.indexOf(true)).toBe(9);
    for (let cut = 0; cut <= losses.length; cut++) {
      const first = new EarlyStopping({ patience: 3, minDelta: 0.005 });
      run(first, losses.slice(0, cut));
      const saved: EarlyStoppingState = JSON.parse(JSON.stringify(first.stateDict()));
      const resumed = new EarlyStopping({ patience: 3, minDelta: 0.005 });
      resumed.loadStateDict(saved);
      expect([...run(first, []), ...expected.slice(0, cut), ...run(resumed, losses.slice(cut))]).toEqual(
        expected,
      );
      expect(resumed.stateDict()).toEqual(reference.stateDict());
    }
  });

  it('reset forgets everything', () => {
    const stopper = new EarlyStopping({ patience: 0 });
    stopper.step(1, 0, { a: 1 });
    stopper.step(2);
    stopper.reset();
    expect(stopper.stateDict()).toEqual(new EarlyStopping({ patience: 0 }).stateDict());
  });

  it('throws a ConfigError for bad options', () => {
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(
      new ConfigError('EarlyStopping', 'patience to be an integer ≥ 0', '-1'),
    );
    expect(() => new EarlyStopping({ patience: 1.5 })).toThrow(ConfigError);
    expect(() => new EarlyStopping({ minDelta: -0.1 })).toThrow(
      new ConfigError('EarlyStopping', 'minDelta to be a finite number ≥ 0', '-0.1'),
    );
    expect(() => new EarlyStopping({ minDelta: Number.NaN })).toThrow(ConfigError);
    expect(() => new EarlyStopping({ mode: 'auto' as 'min' })).toThrow(
      new ConfigError('EarlyStopping', "mode 'min' or 'max'", "'auto'"),
    );
    expect(() => new EarlyStopping({ monitor: 'val_loss' } as object)).toThrow(ConfigError);
  });

  it('throws a ConfigError for a bad value, epoch or state in step', () => {
    const stopper = new EarlyStopping();
    expect(() => stopper.step('0.5' as unknown as number)).toThrow(
      new ConfigError('EarlyStopping.step', 'a number', 'the string "0.5"'),
    );
    expect(() => stopper.step(0.5, -1)).toThrow(
      new ConfigError('EarlyStopping.step', 'epoch to be an integer ≥ 0', '-1'),
    );
    expect(() => stopper.step(0.5, 0, [1] as unknown as StateDict)).toThrow(ConfigError);
    class Handle {}
    expect(() => stopper.step(0.5, 0, { m: new Map([['h', new Handle()]]) })).toThrow(
      new ConfigError(
        'EarlyStopping.step',
        'state values that are primitives, arrays, typed arrays, Tensors, Maps, plain objects or have clone()',
        'a Handle at state.m.get("h")',
        'Pass a snapshot function that returns your own copy instead',
      ),
    );
    expect(() => stopper.step(0.5, 0, { f: () => 1 })).toThrow(ConfigError);
    expect(() => stopper.step(0.5, 0, () => null as unknown as StateDict)).toThrow(ConfigError);
    // Failed steps change nothing.
    expect(stopper.stateDict()).toEqual(new EarlyStopping().stateDict());
  });

  it('throws a ConfigError when loading a state saved with other options or with bad fields', () => {
    const saved = new EarlyStopping({ patience: 2 }).stateDict();
    expect(() => new EarlyStopping({ patience: 3 }).loadStateDict(saved)).toThrow(
      new ConfigError(
        'EarlyStopping.loadStateDict',
        'patience 3',
        '2',
        'Construct EarlyStopping with the options it was saved with',
      ),
    );
    expect(() => new EarlyStopping({ patience: 2, mode: 'max' }).loadStateDict(saved)).toThrow(ConfigError);
    const target = new EarlyStopping({ patience: 2 });
    expect(() => target.loadStateDict({ ...saved, wait_count: -1 })).toThrow(
      new ConfigError('EarlyStopping.loadStateDict', 'wait_count to be an integer ≥ 0', '-1'),
    );
    expect(() => target.loadStateDict({ ...saved, best_score: Number.NaN })).toThrow(ConfigError);
    expect(() => target.loadStateDict({ ...saved, stop_reason: 'bored' as 'patience' })).toThrow(ConfigError);
    const { next_epoch: _, ...missing } = saved;
    expect(() => target.loadStateDict(missing as EarlyStoppingState)).toThrow(ConfigError);
    expect(() => target.loadStateDict(null as unknown as EarlyStoppingState)).toThrow(ConfigError);
  });
});
