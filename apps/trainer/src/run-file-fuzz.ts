// Generators and a file reader shared by the fuzz tests of the run-directory loaders
// (`*.fuzz.test.ts` beside config.ts, labels-file.ts, text.ts, train-state.ts, data-fingerprint.ts).
// Test code only: nothing in the CLI imports it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll } from 'vitest';
import { type RunOption, readJson } from './run-dir';

/** A scratch directory for the files of the cases, removed after the test file. */
export const scratchDir = mkdtempSync(join(tmpdir(), 'seqlab-fuzz-'));
afterAll(() => rmSync(scratchDir, { recursive: true, force: true }));

/**
 * Writes `text` as the run file `name` of the scratch directory and reads it back as the loaders do
 * (`readJson`: a regular file, nesting ≤ 128, then JSON.parse), so `__proto__` keys are own
 * properties and deep nesting meets the depth check, as with a file someone sent.
 */
export async function readAsRunFile(
  text: string,
  name: string,
  option: RunOption = '--run',
): Promise<unknown> {
  const path = join(scratchDir, name);
  writeFileSync(path, text);
  return readJson(path, option);
}

/** A placeholder that `toText` replaces with arrays nested this deep (JSON.stringify would overflow). */
const DEEP = '@@deep@@';

/**
 * Values a hostile file puts in a field: wrong types, huge, negative and fractional numbers, 1e300,
 * NaN-ish and numeric strings, long strings, `__proto__`-like names, nesting 1,000 to 6,000 deep,
 * and random JSON.
 */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -0,
    -1,
    1,
    2,
    1.5,
    0.1,
    1e300,
    -1e300,
    5e-324,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 53,
    4096,
    100_001,
    'NaN',
    'Infinity',
    '-Infinity',
    '1e300',
    '1',
    '',
    '__proto__',
    'constructor',
    'toString',
    '\ud800',
    [],
    {},
    [null],
    [[]],
    { $tensor: 'x' },
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1_000, max: 6_000 }).map((n) => `${DEEP}${n}`),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Keys a hostile file adds to an object. */
const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', '', 'extra'),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => 'k'.repeat(n)),
);

type Path = (string | number)[];

/** Every path into a JSON value (the root included), in a fixed order. */
function pathsOf(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) pathsOf(v, [...path, i], out);
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...path, k], out);
  return out;
}

/** A deep copy with own keys only: a `__proto__` key stays an own property (JSON.stringify writes it). */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (!value || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value))
    Object.defineProperty(out, k, { value: copy(v), enumerable: true, writable: true, configurable: true });
  return out;
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** One change to a valid JSON value, at one of its paths. */
type Mutation =
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'remove'; at: number }
  | { op: 'add'; at: number; key: string; value: unknown }
  | { op: 'repeat'; at: number; times: number };

function apply(good: unknown, m: Mutation): unknown {
  const root = { v: copy(good) } as Record<string, unknown>;
  const paths = pathsOf(root.v);
  const path = paths[m.at % paths.length];
  let parent: Record<string | number, unknown> = root;
  let key: string | number = 'v';
  for (const k of path) {
    parent = parent[key] as Record<string | number, unknown>;
    key = k;
  }
  const here = parent[key];
  if (m.op === 'replace') setOwn(parent as Record<string, unknown>, String(key), m.value);
  else if (m.op === 'remove') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (m.op === 'add') {
    if (Array.isArray(here)) here.push(m.value);
    else if (here && typeof here === 'object') setOwn(here as Record<string, unknown>, m.key, m.value);
    else setOwn(parent as Record<string, unknown>, String(key), { [m.key]: m.value });
  } else if (Array.isArray(here) && here.length > 0) {
    // Many copies of the first element (a long history, many ids): allocation must follow the file.
    // At most about 1 MB of copies, so that files stay within what the time bound can read.
    const times = Math.min(m.times, Math.floor(1_000_000 / toText(here[0]).length));
    for (let i = 0; i < times; i++) here.push(copy(here[0]));
  }
  return root.v;
}

/** JSON text of a value, with the deep-nesting placeholders expanded. */
export function toText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.replace(new RegExp(`"${DEEP}(\\d+)"`, 'g'), (_, n: string) => {
    const depth = Number(n);
    return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  });
}

/**
 * The text of a run file someone sent, starting from a valid one (`good`): unchanged, one field
 * replaced by a hostile value, removed, a key added (`__proto__`, `constructor`, long), an array
 * repeated, a top-level key given twice (the first or the last copy wins in JSON.parse), truncated,
 * or a random JSON value.
 */
export function runFileText(good: unknown): fc.Arbitrary<string> {
  const at = fc.nat(10_000);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('replace' as const), at, value: hostileValue }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), at }) },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('add' as const), at, key: hostileKey, value: hostileValue }),
    },
    fc.record({ op: fc.constant('repeat' as const), at, times: fc.constantFrom(1, 100, 5_000) }),
  );
  const goodText = JSON.stringify(good);
  const keys = Object.keys(good as object);
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(goodText) },
    { weight: 12, arbitrary: mutation.map((m) => toText(apply(good, m))) },
    {
      weight: 2,
      arbitrary: fc
        .array(mutation, { minLength: 2, maxLength: 4 })
        .map((ms) => toText(ms.reduce(apply, good))),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...keys, '__proto__', 'constructor'), hostileValue, fc.boolean())
        .map(([key, value, last]) => {
          const pair = `${JSON.stringify(key)}:${toText(value)}`;
          return last ? `${goodText.slice(0, -1)},${pair}}` : `{${pair},${goodText.slice(1)}`;
        }),
    },
    fc.nat(goodText.length - 1).map((n) => goodText.slice(0, n)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  );
}
