import { checkJsonDepth, FormatError } from '@seqlab/tensor';

/** The four files a classifier is loaded from, by role, as `seqlab train` names them in a run. */
export const CLASSIFIER_FILES = {
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  labels: 'labels.json',
  model: 'model.safetensors',
} as const;

/** One of the four files. */
export type ClassifierFile = keyof typeof CLASSIFIER_FILES;

const decoder = new TextDecoder();

/**
 * Parses the text of a run's JSON file (bytes as read or fetched, or a string). The nesting is
 * checked first (at most 128 levels): a file nested thousands deep would overflow the stack of what
 * walks it after JSON.parse.
 *
 * @throws {FormatError} `<op>: expected JSON nested at most 128 deep in <file>, …` or
 *   `<op>: expected valid JSON, got a corrupt file <file>`
 */
export function parseRunJson(content: Uint8Array | string, file: string, op: string): unknown {
  const text = typeof content === 'string' ? content : decoder.decode(content);
  checkJsonDepth(op, text, file);
  try {
    return JSON.parse(text);
  } catch {
    throw new FormatError(op, 'valid JSON', `a corrupt file ${file}`);
  }
}
