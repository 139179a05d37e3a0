// @seqlab/tensor/node: what needs Node.js (the file system). Everything here imports the main
// entry by package name, so both bundles share one Tensor class and one error hierarchy.
import { type SaveSafetensorsOptions, saveSafetensors, type Tensor, tensorsFromRaw } from '@seqlab/tensor';
import { readRegularFile } from './io/regular-file';
import {
  openSafetensorsFile,
  readSafetensorsFile,
  type SafetensorsFile,
  writeFileAtomic,
  writeSafetensorsFile,
} from './io/safetensors-node';

/**
 * Reads a safetensors file into tensors (see `loadSafetensors` for the dtype mapping and the
 * validation; a corrupt file's FormatError names the path).
 */
export async function loadSafetensorsFile(path: string | URL): Promise<{
  /** Every tensor of the file by name, in the file's data order. */
  tensors: Map<string, Tensor>;
  /** The header's `__metadata__` strings (`{}` when it has none). */
  metadata: Record<string, string>;
}> {
  const { tensors, metadata } = await readSafetensorsFile(path);
  return { tensors: tensorsFromRaw(tensors), metadata };
}

/**
 * Writes tensors to a safetensors file atomically: a temporary file in the same directory is
 * written and fsynced, then renamed over `path`, so a crash never leaves a half-written file.
 */
export async function saveSafetensorsFile(
  path: string | URL,
  tensors: Record<string, Tensor> | Map<string, Tensor>,
  options: SaveSafetensorsOptions = {},
): Promise<void> {
  await writeFileAtomic(path, saveSafetensors(tensors, options));
}

export type { SafetensorsFile };
export { openSafetensorsFile, readRegularFile, readSafetensorsFile, writeFileAtomic, writeSafetensorsFile };
