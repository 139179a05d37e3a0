import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig, TrainConfigSchema } from './config';
import { configJsonSchema } from './config-schema';

const committed = JSON.parse(readFileSync(new URL('../config.schema.json', import.meta.url), 'utf8'));

describe('config.schema.json', () => {
  it('is what the zod schema generates (regenerate with `pnpm config-schema`)', () => {
    expect(committed).toEqual(configJsonSchema());
  });

  it('lists every option with the schema’s default and bounds', () => {
    const keys = Object.keys(TrainConfigSchema.def.in.def.shape);
    expect(Object.keys(committed.properties)).toEqual(['$schema', ...keys]);
    expect(committed.additionalProperties).toBe(false);
    expect(committed.properties.hidden).toEqual({ default: 32, type: 'integer', minimum: 1, maximum: 4096 });
    expect(committed.properties.lr).toMatchObject({ type: 'number', exclusiveMinimum: 0, maximum: 10 });
    expect(committed.properties.dropout).toMatchObject({ minimum: 0, exclusiveMaximum: 1 });
    expect(committed.properties.model.enum).toEqual(['lstm', 'gru', 'rnn', 'bag']);
    const defaults = parseTrainConfig({});
    for (const key of keys) {
      if (key === 'dataset') continue; // null: the schema's transform picks spam-assassin without --train
      expect(committed.properties[key].default, key).toEqual(defaults[key as keyof typeof defaults]);
    }
  });

  it('the bounds of the JSON Schema are the ones parseTrainConfig enforces', () => {
    const numeric = Object.entries(
      committed.properties as Record<string, Record<string, number | string>>,
    ).filter(([, spec]) => spec.type === 'number' || spec.type === 'integer');
    expect(numeric.length).toBe(17);
    for (const [key, spec] of numeric) {
      const step = spec.type === 'integer' ? 1 : 1e-6;
      const accepts = (v: number) =>
        expect(() => parseTrainConfig({ [key]: v }), `${key} = ${v}`).not.toThrow();
      const refuses = (v: number) =>
        expect(() => parseTrainConfig({ [key]: v }), `${key} = ${v}`).toThrow(/expected/);
      const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = spec as Record<
        string,
        number | undefined
      >;
      if (minimum !== undefined) {
        accepts(minimum);
        refuses(minimum - step);
      }
      if (maximum !== undefined) {
        accepts(maximum);
        refuses(maximum + step);
      }
      if (exclusiveMinimum !== undefined) {
        refuses(exclusiveMinimum);
        accepts(exclusiveMinimum + step);
      }
      if (exclusiveMaximum !== undefined) refuses(exclusiveMaximum);
      if (spec.type === 'integer') refuses(((minimum ?? 0) as number) + 0.5);
    }
  });
});
