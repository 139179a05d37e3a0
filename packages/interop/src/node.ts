// @seqlab/interop/node: importers that read files (Node.js). Imports the main entry by package
// name, so both bundles share its modules.
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sequential } from '@seqlab/layers';
import { FileError, FormatError, formatValue } from '@seqlab/tensor';
import { readRegularFile } from '@seqlab/tensor/node';
import { buildFromShards, checkShardPath, planTfjsModel } from './tfjs/import';

/**
 * Reads a TF.js layers model from disk: `path` is its model.json, or the folder holding a
 * `model.json` (a path or a `file://` URL); the shards are read from the same folder. model.json is
 * checked against its layers and every shard's size against the manifest before any shard is read.
 * See `importTfjsLayersModel` for what is imported and the errors.
 *
 * @throws {FileError} naming a path that cannot be read (model.json, a shard)
 *
 * @example
 * ```ts
 * // tensorflowjs_converter --input_format keras model.h5 web_model/
 * const model = await loadTfjsLayersModelFile('web_model');
 * ```
 */
export async function loadTfjsLayersModelFile(path: string | URL): Promise<Sequential> {
  const op = 'loadTfjsLayersModelFile';
  let file = typeof path === 'string' && !path.startsWith('file:') ? path : fileURLToPath(path);
  const info = await stat(file).catch(() => null);
  if (info?.isDirectory()) file = join(file, 'model.json');
  const text = await readRegularFile(op, file, 'a readable model.json');
  const planned = planTfjsModel(op, text, file);
  const folder = dirname(file);
  const groups = planned.json.groups.map((group, g) => {
    const files = group.paths.map((p) => join(folder, checkShardPath(op, p, file)));
    return { group, g, files };
  });
  // Sizes first, so a wrong manifest costs no read.
  for (const { group, g, files } of groups) {
    let total = 0;
    for (const f of files) {
      const s = await stat(f).catch((error: NodeJS.ErrnoException) => {
        throw new FileError(op, 'a readable weight shard', f, error.code);
      });
      total += s.size;
    }
    if (total !== group.byteLength) {
      throw new FormatError(
        op,
        `${group.byteLength} bytes of float32 weights in the shards of weightsManifest[${g}] (${group.paths.map((p) => formatValue(p)).join(', ')}) of ${file}`,
        `${total} bytes`,
      );
    }
  }
  const shards: Uint8Array[][] = [];
  for (const { files } of groups) {
    const list: Uint8Array[] = [];
    for (const f of files) list.push(await readRegularFile(op, f, 'a readable weight shard'));
    shards.push(list);
  }
  return buildFromShards(op, planned, shards, file);
}
