import { ConfigError, checkJsonDepth } from '@seqlab/tensor';
import { readRegularFile } from '@seqlab/tensor/node';

/** Commander gives strings: numeric-looking ones become numbers, others stay (zod then names them). */
export function numberish(value: string): number | string {
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

/** Reads a JSON config file (`--config FILE`), with one-line errors; a `$schema` key is dropped. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readRegularFile('--config', path));
  } catch (error) {
    throw new ConfigError(
      '--config',
      'a readable JSON file',
      `${path} (${(error as NodeJS.ErrnoException).code ?? 'not a regular file'})`,
    );
  }
  checkJsonDepth('--config', text, path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('--config', 'valid JSON', `${path}: ${(error as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      '--config',
      'a JSON object of options',
      `${path} holds ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  // `$schema` points editors at config.schema.json; it is not an option.
  const { $schema: _, ...options } = value as Record<string, unknown>;
  return options;
}

/** Drops undefined values (flags the user did not give), so they do not override the file. */
export function given(flags: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (flags[key] !== undefined) out[key] = flags[key];
  return out;
}
