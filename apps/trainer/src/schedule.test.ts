import { Adam } from '@seqlab/optim';
import { zeros } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { makeSchedule } from './schedule';

const adam = (lr: number) => new Adam([zeros([3], { requiresGrad: true })], { lr });
const lrOf = (opt: Adam) => opt.paramGroups[0].lr;

describe('makeSchedule (--scheduler)', () => {
  it('none: no schedule, the lr stays', () => {
    expect(makeSchedule({ scheduler: 'none', epochs: 3, lr: 1e-3 }, adam(1e-3), 10)).toBeNull();
  });

  it('cosine: from lr to 0 over the epochs, stepping once per epoch only', () => {
    const opt = adam(2e-3);
    const s = makeSchedule({ scheduler: 'cosine', epochs: 4, lr: 2e-3 }, opt, 5);
    const seen: number[] = [];
    for (let e = 0; e < 4; e++) {
      for (let b = 0; b < 5; b++) s?.afterBatch();
      seen.push(lrOf(opt));
      s?.afterEpoch(0.5);
    }
    const expected = [0, 1, 2, 3].map((e) => 1e-3 * (1 + Math.cos((Math.PI * e) / 4)));
    for (const [e, lr] of seen.entries()) expect(lr).toBeCloseTo(expected[e], 12);
    expect(lrOf(opt)).toBeCloseTo(0, 12);
  });

  it('plateau: halves the lr after each epoch without a better valid accuracy', () => {
    const opt = adam(1e-3);
    const s = makeSchedule({ scheduler: 'plateau', epochs: 10, lr: 1e-3 }, opt, 5);
    const lrs: number[] = [];
    for (const accuracy of [0.7, 0.8, 0.8, 0.79, 0.9, 0.85]) {
      s?.afterEpoch(accuracy);
      lrs.push(lrOf(opt));
    }
    expect(lrs).toEqual([1e-3, 1e-3, 5e-4, 2.5e-4, 2.5e-4, 1.25e-4]);
  });

  it('onecycle: steps per batch, warms up to lr at 30 % of all steps, ends far below it', () => {
    const opt = adam(1e-3);
    const epochs = 2;
    const batches = 10;
    const s = makeSchedule({ scheduler: 'onecycle', epochs, lr: 1e-3 }, opt, batches);
    const lrs = [lrOf(opt)];
    for (let e = 0; e < epochs; e++) {
      for (let b = 0; b < batches; b++) {
        if (e * batches + b < epochs * batches - 1) {
          s?.afterBatch();
          lrs.push(lrOf(opt));
        }
      }
      s?.afterEpoch(0.5);
    }
    expect(lrs[0]).toBeCloseTo(1e-3 / 25, 12);
    // PyTorch: the peak is at step pctStart * total - 1 = 5.
    expect(Math.max(...lrs)).toBeCloseTo(1e-3, 12);
    expect(lrs.indexOf(Math.max(...lrs))).toBe(5);
    expect(lrs.at(-1)).toBeCloseTo(1e-3 / 25 / 1e4, 12);
    // Adam's beta1 is cycled the other way (0.95 -> 0.85 at the peak).
    expect((opt.paramGroups[0] as unknown as { betas: number[] }).betas[0]).toBeCloseTo(0.95, 12);
  });

  it('state dicts: a schedule restored mid-way continues exactly', () => {
    const run = (cut: number | null) => {
      let opt = adam(1e-3);
      let s = makeSchedule({ scheduler: 'onecycle', epochs: 1, lr: 1e-3 }, opt, 20);
      const lrs: number[] = [];
      for (let k = 0; k < 19; k++) {
        if (k === cut) {
          const saved = JSON.parse(JSON.stringify({ o: opt.stateDict(), s: s?.stateDict() }));
          opt = adam(1e-3);
          s = makeSchedule({ scheduler: 'onecycle', epochs: 1, lr: 1e-3 }, opt, 20);
          opt.loadStateDict(saved.o);
          s?.loadStateDict(saved.s);
        }
        lrs.push(lrOf(opt));
        s?.afterBatch();
      }
      return lrs;
    };
    expect(run(7)).toEqual(run(null));
  });
});
