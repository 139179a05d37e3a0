import { LabelMap } from '@seqlab/data';
import { FormatError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { parseLabelsFile } from './labels-file';

const NAMES = ['sports', 'food', 'weather'];

function message(json: unknown): string {
  try {
    parseLabelsFile(json, '/runs/x/labels.json');
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return (error as Error).message;
  }
  throw new Error('expected a FormatError');
}

describe('parseLabelsFile', () => {
  it('returns the names and a map that sends names[i] to i', () => {
    const { names, labels } = parseLabelsFile(
      { names: NAMES, map: new LabelMap(NAMES).toJSON() },
      'labels.json',
    );
    expect(names).toEqual(NAMES);
    expect(names.map((n) => labels.encode(n))).toEqual([0, 1, 2]);
  });

  // The path of a problem holds keys from the file: a 100,000-character label name used to be
  // written out whole in the message, once per problem.
  it('cuts long keys in the paths of its problems and lists at most 10 problems', () => {
    const long = 'k'.repeat(100_000);
    const ids = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`${long}${i}`, 'x']));
    const text = message({ names: NAMES, map: { ...new LabelMap(NAMES).toJSON(), ids } });
    expect(text).toContain(`map.ids.${'k'.repeat(39)}…: expected number`);
    expect(text).toMatch(/… \(20 problems in all\) in \/runs\/x\/labels\.json$/);
    expect(text.length).toBeLessThan(2_000);
  });
});
