import { LabelMap } from '@seqlab/data';
import { FormatError, formatValue } from '@seqlab/tensor';
import * as z from 'zod/mini';
import { ENGLISH, formatIssues } from './zod-issues';

/** The saved form of labels.json: the class names by id, and the map from raw labels to ids. */
export interface LabelsJSON {
  names: string[];
  map: unknown;
}

/**
 * labels.json as `seqlab train` writes it: `names[i]` is class i, and `map` (a LabelMap's JSON)
 * sends each name to its position (checked by `crossCheck`, on the raw object: zod's record drops a
 * `__proto__` key, which is a valid label name).
 */
export const LabelsFileSchema = z.strictObject({
  names: z.array(z.string().check(z.minLength(1))).check(z.minLength(1), z.maxLength(100_000)),
  map: z.strictObject({
    type: z.literal('seqlab.LabelMap'),
    version: z.literal(1),
    mode: z.enum(['names', 'integer']),
    ids: z.record(z.string(), z.int().check(z.minimum(0), z.maximum(99_999))),
  }),
});

/**
 * Where the names and the map of a structurally valid labels.json disagree, or null. Every other
 * file is refused: a map that disagrees with the names (two ids swapped, say) would make eval's
 * metrics silently wrong.
 */
function crossCheck(
  names: readonly string[],
  map: { mode: string; ids: Record<string, unknown> },
): string | null {
  if (new Set(names).size !== names.length) {
    const twice = names.find((n, i) => names.indexOf(n) !== i) as string;
    return `names: expected distinct names, got ${formatValue(twice, 40)} twice`;
  }
  if (map.mode === 'integer') {
    const bad = names.findIndex((name, i) => name !== String(i));
    if (bad < 0) return null;
    return `names.${bad}: expected "${bad}" (an integer map names class i "i"), got ${formatValue(names[bad], 40)}`;
  }
  const count = Object.keys(map.ids).length;
  if (count !== names.length) {
    return `map.ids: expected one id per name (${names.length}), got ${count}`;
  }
  for (const [i, name] of names.entries()) {
    const id = Object.hasOwn(map.ids, name) ? map.ids[name] : undefined;
    if (id !== i) {
      const where = `map.ids[${formatValue(name, 40)}]`;
      return `${where}: expected ${i}, the position of the name in names, got ${formatValue(id)}`;
    }
  }
  return null;
}

/**
 * Validates a run's labels.json (already parsed) and returns the class names and the label map.
 *
 * @throws {FormatError} `<option>: expected a labels.json of seqlab train, got <problems> in <path>`
 */
export function parseLabelsFile(
  raw: unknown,
  path: string,
  option = 'loadTextClassifier',
): { names: string[]; labels: LabelMap } {
  const fail = (problems: string): never => {
    throw new FormatError(option, 'a labels.json written by seqlab train', `${problems} in ${path}`);
  };
  const result = LabelsFileSchema.safeParse(raw, ENGLISH);
  if (!result.success) fail(formatIssues(result.error.issues, raw));
  const { names, map } = raw as { names: string[]; map: { mode: string; ids: Record<string, unknown> } };
  const problem = crossCheck(names, map);
  if (problem) fail(problem);
  return { names: [...names], labels: LabelMap.fromJSON(map) };
}
