// A config.json or --config file someone sent: its values and keys reach the error message, which
// stays one short line whatever their size.
import { ConfigError } from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import { parseSavedConfig } from './config';

function messageOf(raw: unknown): string {
  try {
    parseSavedConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseSavedConfig on hostile values', () => {
  it('a 10 MB string, an array nested 128 deep: shown briefly', () => {
    const nested = JSON.parse(`${'['.repeat(127)}${']'.repeat(127)}`);
    const message = messageOf({ model: 'x'.repeat(10_000_000), hidden: nested });
    expect(message).toContain('model: ');
    expect(message).toContain('(given "xxxxx');
    expect(message).toContain('hidden: ');
    expect(message).toContain('(given [[[[…]]]])');
    expect(message.length).toBeLessThan(600);
  });

  it('a hundred thousand unknown keys: ten are listed', () => {
    const raw = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}${'y'.repeat(100)}`, 1]));
    const message = messageOf(raw);
    expect(message).toMatch(/unknown option\(s\) k0y+…, k1y+…, .*, … \(100000\)$/);
    expect(message.length).toBeLessThan(1000);
  });
});
