// Fuzzing importTfjsLayersModel (fast-check): a seeded 200-case sample in `pnpm test`, 10,000 cases
// with time and heap bounds in `pnpm fuzz` (see CONTRIBUTING.md). Cases start from model.json files
// and weights saved by @tensorflow/tfjs (an Embedding + Bidirectional LSTM + Dense classifier and a
// stacked SimpleRNN/LSTM model), then change one value at any depth (wrong types, huge, negative or
// fractional numbers, other class names and activations), remove a key, repeat an array element up
// to 5,000 times, add `__proto__` keys, nest 1,000 to 6,000 deep, or cut, extend or shift the
// weight bytes. A case must build a model no bigger than its input or throw a documented error.
import { importTfjsLayersModel } from '@seqlab/interop';
import { ConfigError, DTypeError, FormatError, ShapeError } from '@seqlab/tensor';
import { checkCase, fuzzSettings } from '@seqlab/tensor/testing';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { randomizeWeights, type SavedModel, save, tf, useCpu } from '../../test/tfjs-models';

const fuzz = fuzzSettings();
const bases: SavedModel[] = [];

beforeAll(async () => {
  await useCpu();
  const sigmoid = { recurrentActivation: 'sigmoid' } as const;
  const models = [
    tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 9, outputDim: 3, inputLength: 4 }),
        tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, ...sigmoid }) as tf.RNN }),
        tf.layers.dropout({ rate: 0.1 }),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    }),
    tf.sequential({
      layers: [
        tf.layers.simpleRNN({ units: 3, returnSequences: true, goBackwards: true, inputShape: [4, 2] }),
        tf.layers.lstm({ units: 2, ...sigmoid, useBias: false }),
        tf.layers.dense({ units: 2, activation: 'tanh' }),
      ],
    }),
  ];
  for (const [i, model] of models.entries()) {
    randomizeWeights(model, i);
    bases.push(await save(model));
    model.dispose();
  }
});

/** Every path to a value in a JSON value (objects and arrays), as key lists. */
function paths(
  value: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) paths(v, [...prefix, i], out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  }
  return out;
}

const oddValue = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, {}, [], 0, '', true) },
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    2 ** 31,
    2 ** 53,
    1e300,
    '',
    'float32',
    'int32',
    'string',
    'LSTM',
    'GRU',
    'Conv1D',
    'hard_sigmoid',
    'sigmoid',
    'softmax',
    'sum',
    [],
    {},
    [2 ** 30, 2 ** 30],
    [0],
    ['../x.bin'],
  ),
  fc.integer({ min: -2, max: 40 }),
  fc.jsonValue({ maxDepth: 2 }),
);

type Mutation =
  | { kind: 'set'; pick: number; focus: number; value: unknown }
  | { kind: 'remove'; pick: number; focus: number }
  | { kind: 'repeat'; pick: number; focus: number; times: number }
  | { kind: 'proto'; pick: number; focus: number }
  | { kind: 'deep'; depth: number }
  | { kind: 'none' };

/** Where a change lands: `focus` picks a tier of paths (see `mutate`), `pick` one path in it. */
const pick = { pick: fc.nat(), focus: fc.nat(3) };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), ...pick, value: oddValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), ...pick }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('repeat' as const),
      ...pick,
      times: fc.integer({ min: 2, max: 5000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('proto' as const), ...pick }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 1000, max: 6000 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
);

/** The weights: as saved, cut, extended, shifted, or one byte flipped. */
const bytesChange = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'same' as const, n: 0 }) },
  fc.record({
    kind: fc.constantFrom('cut' as const, 'extend' as const, 'shift' as const, 'flip' as const),
    n: fc.nat(64),
  }),
);

/** model.json text after one mutation, as a file would hold it. */
function mutate(json: unknown, m: Mutation): string {
  if (m.kind === 'none') return JSON.stringify(json);
  if (m.kind === 'deep')
    return `{"modelTopology":${'['.repeat(m.depth)}${']'.repeat(m.depth)},"weightsManifest":[]}`;
  const copy = JSON.parse(JSON.stringify(json));
  const all = paths(copy).filter((p) => p.length > 0);
  // Most picks land where the importer looks: a layer entry, its class_name or config (a
  // Bidirectional's inner layer included), one option of a config, or a manifest entry; the rest
  // anywhere.
  const inLayers = (p: (string | number)[]) =>
    p[0] === 'modelTopology' && p[1] === 'config' && p[2] === 'layers';
  const tiers = [
    all.filter((p) => inLayers(p) && (p.length <= 5 || (p[4] === 'layer' && p.length <= 7))),
    all.filter((p) => inLayers(p) && p.length <= 7 && !String(p.at(-1)).endsWith('initializer')),
    all.filter((p) => p[0] === 'weightsManifest'),
    all,
  ];
  const list = tiers[m.focus].length ? tiers[m.focus] : all;
  const path = list[m.pick % list.length];
  const parent = path
    .slice(0, -1)
    .reduce((v: Record<string | number, unknown>, k) => v[k] as Record<string | number, unknown>, copy);
  const key = path[path.length - 1];
  if (m.kind === 'set') parent[key] = m.value;
  else if (m.kind === 'remove') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (m.kind === 'repeat') {
    if (Array.isArray(parent)) parent.splice(Number(key), 0, ...Array(m.times).fill(parent[key]));
    else parent[key] = Array(m.times).fill(parent[key]);
  } else if (m.kind === 'proto') {
    // JSON.parse makes "__proto__" an own key, as in a file.
    const marker = '"__seqlab_proto_marker__"';
    parent[key] = {
      __seqlab_proto_marker__: { class_name: 'Dense', config: { units: 1e9 } },
      value: parent[key],
    };
    return JSON.stringify(copy).replace(marker, '"__proto__"');
  }
  return JSON.stringify(copy);
}

function changeBytes(
  bytes: Uint8Array,
  change: { kind: 'same' | 'cut' | 'extend' | 'shift' | 'flip'; n: number },
): Uint8Array {
  switch (change.kind) {
    case 'same':
      return bytes;
    case 'cut':
      return bytes.subarray(0, Math.max(0, bytes.length - 1 - change.n));
    case 'extend':
      return Uint8Array.from([...bytes, ...new Uint8Array(change.n + 1)]);
    case 'shift':
      return Uint8Array.from([...bytes.subarray(change.n + 1), ...new Uint8Array(change.n + 1)]);
    case 'flip': {
      const out = bytes.slice();
      if (out.length) out[change.n % out.length] ^= 0xff;
      return out;
    }
  }
}

describe('fuzzing importTfjsLayersModel', () => {
  test('a model no bigger than its weights, or a short FormatError, ShapeError, ConfigError or DTypeError; Object.prototype untouched', {
    timeout: fuzz.testTimeout,
  }, () => {
    fc.assert(
      fc.property(fc.nat(bases.length - 1), mutation, bytesChange, (which, m, change) => {
        const base = bases[which];
        const text = mutate(base.modelJson, m);
        const weights = changeBytes(base.weights, change);
        checkCase(
          fuzz,
          () => {
            try {
              return importTfjsLayersModel(text, weights);
            } catch (error) {
              expect((error as Error).message.length).toBeLessThan(2000);
              throw error;
            }
          },
          {
            errors: [FormatError, ShapeError, ConfigError, DTypeError],
            inputSize: text.length + weights.length,
            resultBytes: (model) => model.parameters().reduce((n, p) => n + 4 * p.numel, 0),
          },
        );
      }),
      fuzz.params,
    );
  });
});
