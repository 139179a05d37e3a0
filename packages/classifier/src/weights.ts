import { skipInit } from '@seqlab/layers';
import {
  decodeSafetensorsTensor,
  FormatError,
  formatShape,
  parseSafetensorsHeader,
  type RawTensor,
  type SafetensorsDType,
  SeqlabError,
  tensorsFromRaw,
} from '@seqlab/tensor';
import { checkFiniteWeights } from './finite-weights';
import { classifierShapes, TextClassifier } from './model';
import type { ModelConfig } from './model-config';

/**
 * A safetensors file whose header has been read and validated and whose tensors are read one at a
 * time: `openSafetensorsFile` of `@seqlab/tensor/node` on disk, {@link safetensorsBytes} in memory.
 */
export interface SafetensorsReader {
  /** The file (a path or a URL), for messages. */
  readonly path: string;
  /** Each tensor's dtype and shape, from the header alone. */
  readonly tensors: ReadonlyMap<string, { dtype: SafetensorsDType; shape: readonly number[] }>;
  /** Decodes one tensor (a copy of its bytes only). */
  read(name: string): Promise<RawTensor>;
  close(): Promise<void>;
}

/**
 * The safetensors bytes of a file named `path` (fetched, or given by the caller), as a reader. The
 * header is validated against the length of `bytes` at once (parseSafetensorsHeader); its errors
 * are FormatErrors with op `op` and the file appended to `actual`.
 *
 * @throws {FormatError} when the bytes are not a valid safetensors file
 */
export function safetensorsBytes(bytes: Uint8Array, path: string, op: string): SafetensorsReader {
  const header = inFile(op, path, () => parseSafetensorsHeader(bytes));
  const entries = new Map(header.entries.map((e) => [e.name, e]));
  return {
    path,
    tensors: new Map(header.entries.map(({ name, dtype, shape }) => [name, { dtype, shape }])),
    async read(name) {
      const entry = entries.get(name);
      if (entry === undefined) throw new FormatError(op, `a tensor ${name} in ${path}`, 'none');
      // A copy that owns its buffer, as decodeSafetensorsTensor requires: one tensor at a time.
      // (Not `bytes.slice`: on a Node.js Buffer that is a view of the same memory.)
      const raw = new Uint8Array(entry.end - entry.begin);
      raw.set(bytes.subarray(header.dataStart + entry.begin, header.dataStart + entry.end));
      return inFile(op, path, () => decodeSafetensorsTensor(entry, raw));
    },
    async close() {},
  };
}

/** Runs `f`, giving a FormatError from the safetensors parser this op and the file. */
function inFile<T>(op: string, path: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (!(error instanceof FormatError) || error.op === op) throw error;
    const wrapped = new FormatError(op, error.expected, `${error.actual} in ${path}`, error.hint);
    wrapped.cause = error;
    throw wrapped;
  }
}

/** The dtypes a float parameter loads from (F16/BF16 widen to float32, F64 narrows). */
const FLOAT_DTYPES: readonly SafetensorsDType[] = ['F32', 'F16', 'BF16', 'F64'];

/**
 * Builds a run's classifier from its weights, checking the file before building anything: the
 * header (names, dtypes, shapes; no tensor data) must hold exactly the parameters config.json
 * implies, so a small config.json that implies a huge model is refused unless the file really holds
 * that model. Then the model is built without random init (every parameter is loaded) and the
 * tensors are read one at a time, each straight into its parameter. The reader is not closed.
 *
 * @throws {FormatError} naming the file and the first tensor that does not fit config.json
 * @throws {NumericError} naming the file and the first tensor holding a NaN or an infinity
 */
export async function loadClassifierWeights(
  config: ModelConfig,
  vocabSize: number,
  numClasses: number,
  weights: SafetensorsReader,
  op: string,
): Promise<TextClassifier> {
  const expected = classifierShapes(config, vocabSize, numClasses);
  checkWeightsHeader(weights, expected, op);
  const model = skipInit(() => new TextClassifier(config, vocabSize, numClasses));
  for (const name of expected.keys()) {
    const one = tensorsFromRaw(new Map([[name, await weights.read(name)]]));
    checkFiniteWeights(one, weights.path, op);
    try {
      model.loadStateDict(one, { strict: false });
    } catch (error) {
      if (!(error instanceof SeqlabError)) throw error;
      throw new FormatError(
        op,
        `${weights.path} to hold the model of config.json: ${error.expected}`,
        error.actual,
      );
    }
  }
  return model;
}

/**
 * The file's names, dtypes and shapes against the model's (`classifierShapes`), before anything of
 * the model's size is allocated.
 *
 * @throws {FormatError} `<op>: expected <file> to hold the model of config.json: <what>, got <found>`
 */
export function checkWeightsHeader(
  weights: Pick<SafetensorsReader, 'path' | 'tensors'>,
  expected: Map<string, number[]>,
  op: string,
): void {
  const fail = (what: string, actual: string): never => {
    throw new FormatError(op, `${weights.path} to hold the model of config.json: ${what}`, actual);
  };
  const missing = [...expected.keys()].filter((name) => !weights.tensors.has(name));
  const unexpected = [...weights.tensors.keys()].filter((name) => !expected.has(name));
  if (missing.length > 0 || unexpected.length > 0) {
    const list = (names: string[]) => names.slice(0, 10).join(', ') + (names.length > 10 ? ', …' : '');
    fail(
      'its parameter names',
      [
        missing.length ? `missing ${list(missing)}` : '',
        unexpected.length ? `unexpected ${list(unexpected)}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    );
  }
  for (const [name, shape] of expected) {
    const { dtype, shape: given } = weights.tensors.get(name) as {
      dtype: SafetensorsDType;
      shape: readonly number[];
    };
    if (given.length !== shape.length || given.some((n, i) => n !== shape[i])) {
      fail(`${name} of shape ${formatShape(shape)}`, formatShape([...given]));
    }
    if (!FLOAT_DTYPES.includes(dtype)) fail(`${name} of a float dtype (F32, F16, BF16 or F64)`, dtype);
  }
}
