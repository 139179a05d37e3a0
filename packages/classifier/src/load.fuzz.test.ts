// Fuzzing loadTextClassifier from bytes, the browser's way in (fast-check): a seeded 200-case
// sample in `pnpm test`, 10,000 cases with time and heap bounds in `pnpm fuzz` (see
// CONTRIBUTING.md). The run is a tiny one; each case changes its model.safetensors (a header
// entry's dtype, shape or offsets, a tensor renamed, a byte flipped, a weight made NaN, infinite or
// huge, the file cut short)
// and/or its config.json (the model's fields set to sizes of up to gigabytes). The loader must give
// the tiny model or a short FormatError / NumericError, and never build a model bigger than the
// weights file: the header is checked against config.json first. (The JSON files' own fuzz tests,
// with the generators the trainer's other files share, are apps/trainer/src/*.fuzz.test.ts.)
import { LabelMap } from '@seqlab/data';
import type { Module } from '@seqlab/layers';
import { FormatError, manualSeed, NumericError, saveSafetensors } from '@seqlab/tensor';
import { checkCaseAsync, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { buildTextEncoder, loadTextClassifier, type RunFiles, TextClassifier } from './index';

const fuzz = fuzzSettings();

/** float32 bytes of each model the loader builds (inside skipInit), counted as it returns. */
const built = vi.hoisted(() => [] as number[]);
vi.mock('@seqlab/layers', async (importOriginal) => {
  const original = await importOriginal<typeof import('@seqlab/layers')>();
  const skipInit = <T>(build: () => T): T => {
    const model = original.skipInit(build);
    built.push((model as Module).parameters().reduce((n, p) => n + 4 * p.numel, 0));
    return model;
  };
  return { ...original, skipInit };
});

const NAMES = ['sports', 'food', 'weather'];
const config = {
  model: 'lstm',
  layers: 2,
  hidden: 4,
  embed: 3,
  bidirectional: true,
  dropout: 0,
  forgetBias: 0,
  tokenizer: 'word',
  maxLen: 20,
  minFreq: 1,
  vocabSize: 100,
} as const;
const encoder = buildTextEncoder(config, [
  { text: 'the team scored a goal', label: 0 },
  { text: 'a rich chocolate cake', label: 1 },
  { text: 'rain and wind tomorrow', label: 2 },
]);
manualSeed(3);
const weights = saveSafetensors(new TextClassifier(config, encoder.vocabSize, NAMES.length).stateDict());
const files: RunFiles = {
  config: JSON.stringify(config),
  tokenizer: JSON.stringify(encoder.toJSON()),
  labels: JSON.stringify({ names: NAMES, map: new LabelMap(NAMES).toJSON() }),
  model: weights,
};

const headerLength = Number(new DataView(weights.buffer).getBigUint64(0, true));
const header = JSON.parse(new TextDecoder().decode(weights.subarray(8, 8 + headerLength))) as Record<
  string,
  Record<string, unknown>
>;
const tensorNames = Object.keys(header).filter((k) => k !== '__metadata__');

/** The weights with the header replaced (its length prefix rewritten) and the data kept. */
function withHeader(edit: (h: Record<string, unknown>) => void): Uint8Array {
  const h = structuredClone(header) as Record<string, unknown>;
  edit(h);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + weights.length - 8 - headerLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(weights.subarray(8 + headerLength), 8 + json.length);
  return out;
}

const odd = fc.oneof(
  fc.constantFrom<unknown>(
    'F32',
    'F16',
    'BF16',
    'F64',
    'I32',
    'U8',
    'BOOL',
    'F8_E4M3',
    null,
    -1,
    1e300,
    [],
    {},
  ),
  fc.array(fc.constantFrom(0, 1, 2, 3, 4, 12, 16, 4096, 1e6, 2 ** 31, -1, 1.5), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const modelBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(weights) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        name: fc.constantFrom(...tensorNames),
        field: fc.constantFrom('dtype', 'shape', 'data_offsets'),
        value: odd,
      })
      .map(({ name, field, value }) =>
        withHeader((h) => {
          (h[name] as Record<string, unknown>)[field] = value;
        }),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        name: fc.constantFrom(...tensorNames),
        to: fc.constantFrom('fc.weight2', '__proto__', 'lstm.weight_ih_l2', ''),
      })
      .map(({ name, to }) =>
        withHeader((h) => {
          Object.defineProperty(h, to, {
            value: h[name],
            enumerable: true,
            configurable: true,
            writable: true,
          });
          delete h[name];
        }),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ at: fc.nat(weights.length - 1), byte: fc.integer({ min: 0, max: 255 }) })
      .map(({ at, byte }) => {
        const out = weights.slice();
        out[at] = byte;
        return out;
      }),
  },
  { weight: 1, arbitrary: fc.nat(weights.length - 1).map((n) => weights.slice(0, n)) },
  {
    // A weight set to a non-finite or huge value (float32 little-endian, in the data buffer).
    weight: 2,
    arbitrary: fc
      .record({
        at: fc.nat(Math.floor((weights.length - 8 - headerLength) / 4) - 1),
        value: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3e38, 1e30),
      })
      .map(({ at, value }) => {
        const out = weights.slice();
        new DataView(out.buffer).setFloat32(8 + headerLength + 4 * at, value, true);
        return out;
      }),
  },
);

const configText = fc.oneof(
  { weight: 3, arbitrary: fc.constant(files.config as string) },
  fc
    .record({
      hidden: fc.constantFrom(4, 5, 4096),
      embed: fc.constantFrom(3, 4096),
      layers: fc.constantFrom(1, 2, 8),
      bidirectional: fc.boolean(),
      model: fc.constantFrom('lstm', 'gru', 'rnn', 'bag'),
    })
    .map((fields) => JSON.stringify({ ...config, ...fields })),
);

describe('fuzzing loadTextClassifier from bytes (model.safetensors and config.json)', () => {
  test('the tiny model or a short FormatError/NumericError; nothing bigger than the weights file built; Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(modelBytes, configText, async (model, configJson) => {
        built.length = 0;
        const classifier = await checkCaseAsync(
          fuzz,
          async () => {
            try {
              return await loadTextClassifier({ ...files, config: configJson, model });
            } catch (error) {
              expect((error as Error).message.length).toBeLessThan(2_000);
              throw error;
            }
          },
          {
            errors: [FormatError, NumericError],
            inputSize: model.length + configJson.length,
            resultBytes: (c) => c.model.parameters().reduce((n, p) => n + 4 * p.numel, 0),
            maxResultBytes: model.length,
          },
        );
        for (const bytes of built) expect(bytes).toBeLessThanOrEqual(model.length);
        if (classifier) {
          expect(built).toHaveLength(1); // the count sees the loader's model
          // Huge weights may overflow the outputs: a NumericError, never a NaN probability.
          const rows = await checkCaseAsync(fuzz, async () => classifier.predictProba(['the goal', 'cake']), {
            errors: [NumericError],
            inputSize: 20,
          });
          for (const row of rows ?? []) {
            expect(row).toHaveLength(NAMES.length);
            for (const p of row) expect(Number.isFinite(p)).toBe(true);
          }
        }
      }),
      fuzz.params,
    );
  });
});
