/**
 * A bound on how deeply a JSON text nests, checked before anything walks the parsed value. V8's
 * JSON.parse copes with any depth, but every recursive step after it (JSON.stringify in a message, a
 * schema, a copy) overflows the stack on a 10 KB file nested 5,000 deep, and the user gets a bare
 * `RangeError: Maximum call stack size exceeded` instead of a FormatError. Browser-safe.
 */
import { FormatError } from '../errors';

/**
 * The deepest nesting of arrays and objects accepted in a JSON file: serde_json's default recursion
 * limit, so the safetensors reference reads exactly the headers we read. seqlab's own files nest at
 * most 5 deep.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * How deeply the arrays and objects of a JSON text nest (0 for a scalar), counting up to `limit + 1`
 * and stopping there. One pass over the characters with a counter (no recursion, no allocation);
 * brackets inside strings do not count. Meant for text that is then given to JSON.parse: on
 * malformed text the answer is some number and JSON.parse reports the error.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string: to the next quote that is not escaped.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return deepest;
}

/**
 * Throws a FormatError when `text` nests deeper than {@link MAX_JSON_DEPTH}; call it before
 * JSON.parse on text from a file.
 *
 * @param op the function reading the file, for the message
 * @param text the JSON text
 * @param where the file (and line) it came from, e.g. `/runs/a/labels.json` or `train.jsonl:7`
 * @throws {FormatError} `<op>: expected JSON nested at most 128 deep in <where>, got more than 128 levels`
 */
export function checkJsonDepth(op: string, text: string, where: string): void {
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new FormatError(
      op,
      `JSON nested at most ${MAX_JSON_DEPTH} deep in ${where}`,
      `more than ${MAX_JSON_DEPTH} levels of arrays or objects`,
    );
  }
}
