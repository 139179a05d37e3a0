/**
 * The `model.json` of a TF.js layers model, read as outside data: what `tensorflowjs_converter
 * --input_format keras` writes for a Keras model, and what `model.save('file://…')` writes in
 * @tensorflow/tfjs. Two parts matter here: `modelTopology` (the Keras model config: class names
 * and layer configs, read by keras-config.ts) and `weightsManifest` (groups of weights, each group's
 * bytes concatenated over its shard files, in order). Browser-safe.
 *
 * ```json
 * { "format": "layers-model",
 *   "modelTopology": { "class_name": "Sequential", "config": { "name": "…", "layers": [ … ] } },
 *   "weightsManifest": [ { "paths": ["group1-shard1of1.bin"],
 *                          "weights": [ { "name": "lstm/kernel", "shape": [8, 64], "dtype": "float32" } ] } ] }
 * ```
 */
import { checkJsonDepth, DTypeError, FormatError, formatValue } from '@seqlab/tensor';

/** One weight of the manifest: its name, shape and dtype, and the bytes it takes in its group. */
export interface WeightSpec {
  /** As the manifest spells it (`lstm/lstm_cell/kernel`), with any `:0` suffix dropped. */
  name: string;
  shape: number[];
  dtype: string;
  /** numel × 4 (only float32 weights are read). */
  byteLength: number;
  /** Which manifest group it belongs to. */
  group: number;
  /** Its byte offset in the group's concatenated shards. */
  offset: number;
}

/** One group of the manifest: shard paths (relative to model.json) and the bytes they must hold. */
export interface WeightGroup {
  paths: string[];
  byteLength: number;
}

/** A parsed and checked model.json. */
export interface TfjsModelJson {
  /** The Keras model config (`modelTopology`), checked by keras-config.ts. */
  topology: unknown;
  groups: WeightGroup[];
  /** Weights by name, in manifest order (optimizer weights left out). */
  weights: Map<string, WeightSpec>;
}

/** Weight dtypes the manifest may name; only float32 is read (the layers here have float weights). */
const DTYPES = new Set(['float32', 'int32', 'bool', 'string', 'complex64']);

/** Bytes per element of the fixed-size dtypes (a string weight has no fixed size). */
const BYTES: Record<string, number | undefined> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** The largest dimension accepted in a manifest shape (more cannot be held in one typed array). */
const MAX_DIM = 2 ** 31 - 1;

/**
 * Parses model.json text (or bytes, strict UTF-8) and checks its manifest: nesting ≤ 128 before
 * JSON.parse, an object with `modelTopology` and `weightsManifest`, each weight a unique name, a
 * shape of non-negative integers, dtype float32 and no quantization. Nothing is allocated but the
 * parsed JSON.
 *
 * @param op the importing function, for messages
 * @param where the file or URL, for messages
 * @throws {FormatError} naming the field (and weight) that is wrong
 */
export function parseModelJson(op: string, source: string | Uint8Array, where: string): TfjsModelJson {
  let text: string;
  if (typeof source === 'string') text = source;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(source);
    } catch {
      throw new FormatError(op, `UTF-8 text in ${where}`, 'invalid UTF-8');
    }
  }
  checkJsonDepth(op, text, where);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FormatError(op, `JSON in ${where}`, (error as Error).message.slice(0, 200));
  }
  if (!isRecord(json)) throw new FormatError(op, `a JSON object in ${where}`, formatValue(json));
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new FormatError(
      op,
      `format "layers-model" in ${where}`,
      formatValue(json.format),
      'A graph model (tf.saved_model / tf_frozen_model) has no layer configs to import',
    );
  }
  if (!isRecord(json.modelTopology)) {
    throw new FormatError(op, `an object modelTopology in ${where}`, formatValue(json.modelTopology));
  }
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new FormatError(op, `an array weightsManifest in ${where}`, formatValue(manifest));
  }
  const groups: WeightGroup[] = [];
  const weights = new Map<string, WeightSpec>();
  manifest.forEach((group: unknown, g) => {
    const at = `weightsManifest[${g}]`;
    if (!isRecord(group)) throw new FormatError(op, `an object ${at} in ${where}`, formatValue(group));
    const { paths, weights: specs } = group;
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || p === '')) {
      throw new FormatError(op, `${at}.paths an array of file names in ${where}`, formatValue(paths));
    }
    if (!Array.isArray(specs)) {
      throw new FormatError(op, `${at}.weights an array in ${where}`, formatValue(specs));
    }
    let offset = 0;
    specs.forEach((spec: unknown, i) => {
      const weight = readWeightSpec(op, spec, `${at}.weights[${i}]`, where, g, offset);
      if (typeof weight === 'number') {
        offset += weight; // an optimizer weight: its bytes are in the shards, the model ignores it
        return;
      }
      if (weights.has(weight.name)) {
        throw new FormatError(op, `unique weight names in ${where}`, `${formatValue(weight.name)} twice`);
      }
      weights.set(weight.name, weight);
      offset += weight.byteLength;
    });
    groups.push({ paths: paths as string[], byteLength: offset });
  });
  return { topology: json.modelTopology, groups, weights };
}

/**
 * One manifest entry, checked; for an optimizer weight (`group: "optimizer"`, saved with
 * `includeOptimizer`), which the model skips, only its byte length.
 */
function readWeightSpec(
  op: string,
  spec: unknown,
  at: string,
  where: string,
  group: number,
  offset: number,
): WeightSpec | number {
  if (!isRecord(spec)) throw new FormatError(op, `an object ${at} in ${where}`, formatValue(spec));
  if (typeof spec.name !== 'string' || spec.name === '') {
    throw new FormatError(op, `${at}.name a non-empty string in ${where}`, formatValue(spec.name));
  }
  const name = spec.name.endsWith(':0') ? spec.name.slice(0, -2) : spec.name;
  const shape = spec.shape;
  if (
    !Array.isArray(shape) ||
    shape.length > 8 ||
    shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_DIM)
  ) {
    throw new FormatError(
      op,
      `weight ${formatValue(name)} with a shape of at most 8 integer sizes in [0, 2^31 − 1] in ${where}`,
      formatValue(shape),
    );
  }
  if (typeof spec.dtype !== 'string' || !DTYPES.has(spec.dtype)) {
    throw new FormatError(
      op,
      `weight ${formatValue(name)} with a dtype float32, int32, bool, string or complex64 in ${where}`,
      formatValue(spec.dtype),
    );
  }
  // Floats: a product of sizes ≤ 2^31 each is exact up to 2^53; past that it is only compared with
  // the shard sizes, which it then exceeds.
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  if (spec.group === 'optimizer') {
    const size = BYTES[spec.dtype];
    if (size === undefined) {
      throw new DTypeError(
        op,
        `optimizer weight ${formatValue(name)} of a fixed-size dtype in ${where}`,
        spec.dtype,
      );
    }
    return numel * size;
  }
  if (spec.dtype !== 'float32') {
    throw new DTypeError(op, `weight ${formatValue(name)} of dtype float32 in ${where}`, spec.dtype);
  }
  if (spec.quantization !== undefined && spec.quantization !== null) {
    throw new FormatError(
      op,
      `weight ${formatValue(name)} stored as plain float32 in ${where}`,
      `quantization ${formatValue(spec.quantization)}`,
      'Convert without --quantize_* options',
    );
  }
  return { name, shape: shape as number[], dtype: spec.dtype, byteLength: numel * 4, group, offset };
}

/** A plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
