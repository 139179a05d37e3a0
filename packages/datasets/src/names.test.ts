import { CharTokenizer, stratifiedSplit, type TextExample, Vocab } from '@seqlab/data';
import { ConfigError } from '@seqlab/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIRST_NAMES_LABELS, firstNames } from './index';

describe('firstNames', () => {
  let all: TextExample[];
  beforeAll(async () => {
    all = await firstNames();
  });

  it('lists the distinct female names (label 0), then the male names (label 1)', () => {
    expect(all.filter((x) => x.label === 0).length).toBe(4944);
    expect(all.filter((x) => x.label === 1).length).toBe(3897);
    expect(all[0]).toEqual({ text: 'Aaren', label: 0 });
    expect(FIRST_NAMES_LABELS).toEqual(['female', 'male']);
    const firstMale = all.findIndex((x) => x.label === 1);
    expect(all.slice(firstMale).every((x) => x.label === 1)).toBe(true);
  });

  it('keeps names on both lists once per label, or drops them', async () => {
    const both = all.filter((x) => x.text === 'Abbey').map((x) => x.label);
    expect(both).toEqual([0, 1]);
    const dropped = await firstNames({ unisex: 'drop' });
    expect(dropped.length).toBe(all.length - 2 * 419);
    expect(dropped.some((x) => x.text === 'Abbey')).toBe(false);
  });

  it('feeds a character-level pipeline with a stratified split', () => {
    const tok = new CharTokenizer({ lowercase: true });
    const { train, valid } = stratifiedSplit(all, { seed: 0 });
    const vocab = Vocab.build(train.map((x) => tok.tokenize(x.text)));
    expect(vocab.has('a')).toBe(true);
    expect(vocab.has('-')).toBe(true); // Ann-Marie
    expect(vocab.size).toBeLessThan(40);
    expect(valid.filter((x) => x.label === 1).length / valid.length).toBeCloseTo(3897 / 8841, 2);
  });

  it('rejects an unknown unisex value and an unknown option key', async () => {
    await expect(firstNames({ unisex: 'merge' as 'drop' })).rejects.toThrow(
      /firstNames: expected unisex 'keep' or 'drop', got "merge"/,
    );
    await expect(firstNames({ unisx: 'drop' } as never)).rejects.toThrow(ConfigError);
    await expect(firstNames({ unisx: 'drop' } as never)).rejects.toThrow(/Did you mean unisex\?/);
  });
});
