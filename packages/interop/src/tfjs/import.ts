/**
 * Importing a TF.js layers model (`model.json` + weight shards) as a seqlab module: from bytes
 * (`importTfjsLayersModel`) or from a URL with fetch (`loadTfjsLayersModel`). Browser-safe; files
 * on disk: `loadTfjsLayersModelFile` in `@seqlab/interop/node`.
 *
 * Checks run in the order that keeps allocation proportional to the input: model.json's nesting,
 * then its layers, then every weight's name and shape against the layer configs, then the
 * manifest's byte sizes against the shards; only then are the weights copied and the layers built.
 */
import type { Sequential } from '@seqlab/layers';
import { FormatError, formatValue } from '@seqlab/tensor';
import { buildModel, type PlannedLayer, planModel } from './convert';
import { readKerasModel } from './keras-config';
import { parseModelJson, type TfjsModelJson, type WeightSpec } from './model-json';

/** Bytes as the importers take them. */
export type Bytes = Uint8Array | ArrayBuffer;

/**
 * The weight shards: one buffer, or a list of buffers, holding every manifest group's shards
 * concatenated in manifest order (what `tf.io.withSaveHandler` gives as `weightData`); or the
 * shard files by their manifest path (`{ 'group1-shard1of1.bin': bytes }`).
 */
export type TfjsWeights =
  | Bytes
  | readonly Bytes[]
  | ReadonlyMap<string, Bytes>
  | Readonly<Record<string, Bytes>>;

/** A model.json checked against its layers: what is left is to check and read the shards. */
export interface PlannedModel {
  json: TfjsModelJson;
  plan: PlannedLayer[];
}

/**
 * Parses and checks model.json (text or bytes): see parseModelJson, readKerasModel, planModel.
 * Nothing is allocated but the parsed JSON.
 */
export function planTfjsModel(op: string, modelJson: string | Bytes | object, where: string): PlannedModel {
  const json =
    typeof modelJson === 'string' || modelJson instanceof Uint8Array || modelJson instanceof ArrayBuffer
      ? parseModelJson(op, typeof modelJson === 'string' ? modelJson : toUint8(modelJson), where)
      : parseModelJson(op, jsonText(op, modelJson), where);
  return { json, plan: planModel(op, readKerasModel(op, json.topology), json.weights) };
}

/** An already parsed model.json (a ModelArtifacts-like object) as text, so it takes the same checks. */
function jsonText(op: string, value: object): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new FormatError(
      op,
      'a JSON-serialisable model.json object',
      (error as Error).message.slice(0, 200),
    );
  }
}

/**
 * A shard path from the manifest, checked: relative, without `..` segments or a scheme, so a
 * model.json cannot make the loader read files or URLs outside its own folder.
 */
export function checkShardPath(op: string, path: string, where: string): string {
  const parts = path.split(/[\\/]/);
  if (
    path.startsWith('/') ||
    path.startsWith('\\') ||
    /^[a-z][a-z0-9+.-]*:/i.test(path) ||
    parts.includes('..')
  ) {
    throw new FormatError(
      op,
      `a shard path relative to model.json, inside its folder, in ${where}`,
      formatValue(path),
    );
  }
  return path;
}

/**
 * Checks the shards' sizes against the manifest, then builds the model (see buildModel).
 *
 * @param shards per manifest group, its shard files' bytes in order
 */
export function buildFromShards(
  op: string,
  planned: PlannedModel,
  shards: Uint8Array[][],
  where: string,
): Sequential {
  const { groups } = planned.json;
  groups.forEach((group, g) => {
    const given = shards[g].reduce((n, s) => n + s.byteLength, 0);
    if (given !== group.byteLength) {
      throw new FormatError(
        op,
        `${group.byteLength} bytes of float32 weights in the shards of weightsManifest[${g}] (${group.paths.map((p) => formatValue(p)).join(', ')}) of ${where}`,
        `${given} bytes`,
      );
    }
  });
  return buildModel(planned.plan, (spec) => readWeight(shards[spec.group], spec));
}

/** Copies one weight out of its group's shards (it may span several). */
function readWeight(chunks: Uint8Array[], spec: WeightSpec): Float32Array {
  const out = new Float32Array(spec.byteLength / 4);
  const bytes = new Uint8Array(out.buffer);
  let start = spec.offset;
  let written = 0;
  for (const chunk of chunks) {
    if (written === bytes.length) break;
    if (start >= chunk.byteLength) {
      start -= chunk.byteLength;
      continue;
    }
    const piece = chunk.subarray(start, start + bytes.length - written);
    bytes.set(piece, written);
    written += piece.length;
    start = 0;
  }
  return out;
}

function toUint8(bytes: Bytes): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
}

/**
 * Imports a TF.js layers model from its model.json and its weight shards, as a seqlab `Sequential`
 * in eval mode whose forward gives the TF.js model's `predict`: on int32 ids [B, T] when it starts
 * with an Embedding, else on floats [B, T, F]. Layers: SimpleRNN, LSTM, GRU (reset_after=true),
 * Bidirectional (merge_mode concat), Embedding, Dense, Activation, Dropout (the identity), in a
 * Sequential model or a functional one whose layers form a chain. Recurrent layers become seqlab's
 * RNN, LSTM and GRU with PyTorch's weight layout (`batchFirst: true`), inside `KerasRecurrent`.
 *
 * @param modelJson model.json as text, bytes, or a parsed object (`{ modelTopology, weightsManifest }`)
 * @param weights the shards (see TfjsWeights)
 * @throws {FormatError} malformed model.json, a weight missing, unknown or with a wrong dtype, shard
 *   sizes that differ from the manifest
 * @throws {ShapeError} a weight's shape differs from its layer config's (names the weight, both shapes)
 * @throws {ConfigError} a layer or option with no PyTorch equivalent (names the layer)
 *
 * @example
 * ```ts
 * const model = importTfjsLayersModel(modelJsonText, { 'group1-shard1of1.bin': shardBytes });
 * model.forward(tensor([[4, 9, 2]], { dtype: 'int32' })); // what model.predict gives in TF.js
 * ```
 */
export function importTfjsLayersModel(modelJson: string | Bytes | object, weights: TfjsWeights): Sequential {
  const op = 'importTfjsLayersModel';
  const where = 'model.json';
  const planned = planTfjsModel(op, modelJson, where);
  return buildFromShards(op, planned, splitWeights(op, planned, weights, where), where);
}

/** The given weights as each group's list of shard bytes (sizes are checked by buildFromShards). */
function splitWeights(
  op: string,
  planned: PlannedModel,
  weights: TfjsWeights,
  where: string,
): Uint8Array[][] {
  const { groups } = planned.json;
  if (weights instanceof Uint8Array || weights instanceof ArrayBuffer || Array.isArray(weights)) {
    // One stream for every group in order: cut it at the group sizes the manifest gives.
    const chunks = (Array.isArray(weights) ? (weights as Bytes[]) : [weights as Bytes]).map(toUint8);
    const total = chunks.reduce((n, c) => n + c.byteLength, 0);
    const expected = groups.reduce((n, g) => n + g.byteLength, 0);
    if (total !== expected) {
      throw new FormatError(
        op,
        `${expected} bytes of float32 weights for the weightsManifest of ${where}`,
        `${total} bytes`,
      );
    }
    const all = chunks.length === 1 ? chunks[0] : concat(chunks, total);
    let offset = 0;
    return groups.map((g) => {
      const part = all.subarray(offset, offset + g.byteLength);
      offset += g.byteLength;
      return [part];
    });
  }
  const map: ReadonlyMap<string, Bytes> =
    weights instanceof Map ? weights : new Map(Object.entries(weights as Record<string, Bytes>));
  return groups.map((g) =>
    g.paths.map((path) => {
      const bytes = map.get(path);
      if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer)) {
        throw new FormatError(
          op,
          `the bytes of shard ${formatValue(path)} named in ${where}`,
          bytes === undefined ? 'none' : formatValue(bytes),
        );
      }
      return toUint8(bytes);
    }),
  );
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Options of `loadTfjsLayersModel`. */
export interface LoadTfjsOptions {
  /** The fetch to use (default: the global `fetch`), e.g. one that adds credentials. */
  fetch?: (url: string) => Promise<Response>;
}

/**
 * Fetches a TF.js layers model from the URL of its model.json, and its shards from the same folder,
 * then imports it as `importTfjsLayersModel` does. model.json is checked against its layers before
 * any shard is fetched, and each shard's `Content-Length` (when the server sends one) before its
 * body is read.
 *
 * @throws {FormatError} as importTfjsLayersModel, or a response that is not OK (its status)
 */
export async function loadTfjsLayersModel(
  url: string | URL,
  options: LoadTfjsOptions = {},
): Promise<Sequential> {
  const op = 'loadTfjsLayersModel';
  const get = options.fetch ?? ((u: string) => fetch(u));
  // A relative URL is resolved against the page, as fetch resolves it.
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  let base: string;
  try {
    base = new URL(String(url), page).href;
  } catch {
    throw new FormatError(
      op,
      'an absolute URL of model.json (or one relative to the page)',
      formatValue(String(url)),
    );
  }
  const fetchOk = async (u: string): Promise<Response> => {
    const response = await get(u);
    if (!response.ok) throw new FormatError(op, `an OK response for ${u}`, `status ${response.status}`);
    return response;
  };
  const text = await (await fetchOk(base)).text();
  const planned = planTfjsModel(op, text, base);
  const shards: Uint8Array[][] = [];
  for (const [g, group] of planned.json.groups.entries()) {
    const list: Uint8Array[] = [];
    let left = group.byteLength;
    for (const path of group.paths) {
      const shardUrl = new URL(checkShardPath(op, path, base), base).href;
      const response = await fetchOk(shardUrl);
      const length = response.headers.get('content-length');
      if (length !== null && Number(length) > left) {
        throw new FormatError(
          op,
          `at most ${left} more bytes for weightsManifest[${g}] of ${base}`,
          `a Content-Length of ${formatValue(length)} for ${shardUrl}`,
        );
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      left -= bytes.byteLength;
      list.push(bytes);
    }
    shards.push(list);
  }
  return buildFromShards(op, planned, shards, base);
}
