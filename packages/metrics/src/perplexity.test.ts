import { ConfigError, ShapeError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { perplexity } from './index';

describe('perplexity', () => {
  it('is exp of the mean negative log-likelihood in nats', () => {
    expect(perplexity(0)).toBe(1);
    expect(perplexity(Math.log(50))).toBeCloseTo(50, 12);
    expect(perplexity([0.5, 1.5])).toBe(Math.E);
    expect(perplexity(new Float32Array([1, 1]))).toBe(Math.E);
  });

  it('is the vocabulary size for a uniform guess', () => {
    const v = 1000;
    expect(perplexity(Array(7).fill(Math.log(v)))).toBeCloseTo(v, 9);
  });

  it('overflows to Infinity for huge losses, never NaN', () => {
    expect(perplexity(800)).toBe(Number.POSITIVE_INFINITY);
  });

  it('throws a ConfigError for a negative or non-finite loss', () => {
    expect(() => perplexity(-0.1)).toThrow(
      new ConfigError('perplexity', 'a finite mean negative log-likelihood ≥ 0', '-0.1'),
    );
    expect(() => perplexity(Number.NaN)).toThrow(ConfigError);
    expect(() => perplexity([0.5, -1])).toThrow(
      new ConfigError('perplexity', 'negative log-likelihoods ≥ 0', '-1 at index 1'),
    );
    expect(() => perplexity([0.5, Number.POSITIVE_INFINITY])).toThrow(ConfigError);
  });

  it('throws a ShapeError for an empty array', () => {
    expect(() => perplexity([])).toThrow(
      new ShapeError('perplexity', 'at least one sample in nll', '0 samples'),
    );
  });
});
