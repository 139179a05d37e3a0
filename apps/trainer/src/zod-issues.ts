import { formatValue } from '@seqlab/tensor';
import type { z } from 'zod';

/** Reads the value at a path of the raw input, for error messages. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path)
    v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/**
 * A zod error's issues as one line, `path: expected …, got …` joined by `; `, each value shown
 * briefly (formatValue), so a hostile file cannot make the message long. At most 10 issues.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, root = '(file)'): string {
  const lines = issues.slice(0, 10).map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : root;
    if (issue.code === 'unrecognized_keys') {
      return `${path}: unknown key(s) ${issue.keys
        .slice(0, 10)
        .map((k) => formatValue(k, 40))
        .join(', ')}`;
    }
    const given = valueAt(raw, issue.path);
    return `${path}: ${issue.message.replace(/^Invalid input: /, '')} (given ${given === undefined ? 'nothing' : formatValue(given)})`;
  });
  if (issues.length > 10) lines.push(`… (${issues.length} problems in all)`);
  return lines.join('; ');
}
