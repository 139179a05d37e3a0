import { describe, expect, it } from 'vitest';
import { logChart, powerLabel } from './log-chart';

const box = { width: 600, height: 300, margin: { top: 10, right: 10, bottom: 30, left: 50 } };

describe('logChart', () => {
  const chart = logChart(
    [
      { id: 'a', values: [1, 0.1, 0.01, 0.001] },
      { id: 'b', values: [1, 0.5, 0, 0.25] },
    ],
    box,
    1,
  );

  it('spans whole decades from the smallest positive value to the largest', () => {
    expect([chart.minExp, chart.maxExp]).toEqual([-3, 0]);
    expect(chart.yTicks.map((t) => t.label)).toEqual(['1e-3', '0.01', '0.1', '1']);
    expect(chart.yTicks[0].y).toBe(270); // the bottom of the plot
    expect(chart.yTicks[3].y).toBe(10); // the top
  });

  it('puts one point per value on a log scale, evenly spaced in x', () => {
    expect(chart.paths[0]).toEqual({ id: 'a', d: 'M50,10 L230,96.7 L410,183.3 L590,270' });
    expect(chart.xTicks.map((t) => t.x)).toEqual([50, 230, 410, 590]);
  });

  it('leaves out values that a log axis cannot show (0, negative, non-finite)', () => {
    expect(chart.paths[1].d.split(' ')).toHaveLength(3);
    expect(logChart([{ id: 'c', values: [1, Number.NaN, -1] }], box).paths[0].d).toBe('M50,10');
  });

  it('places a value on the y axis as the paths do, and thins the ticks by yStep', () => {
    expect([chart.y(1), chart.y(0.01)]).toEqual([10, 183.3]);
    const wide = logChart([{ id: 'w', values: [1e-2, 1e20] }], box, 1, 5);
    expect(wide.yTicks.map((t) => t.label)).toEqual(['0.01', '1e3', '1e8', '1e13', '1e18']);
  });

  it('labels powers of ten the way the guide writes them', () => {
    expect([0, -1, -2, 2, -3, 3].map(powerLabel)).toEqual(['1', '0.1', '0.01', '100', '1e-3', '1e3']);
  });
});
