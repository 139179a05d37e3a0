import { formatValue } from '@seqlab/tensor';
import type { $ZodIssue } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

/**
 * Parse options that give zod's English messages (`Too big: expected number to be <=99999`). The
 * schemas of this package use `zod/mini`, which bundles no locale: zod's full API would add about
 * 450 KB (minified) to a page that loads a classifier.
 */
export const ENGLISH = { error: en().localeError };

/** Reads the value at a path of the raw input, for error messages. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path)
    v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/** At most this many problems are listed in one message; the count of all of them follows. */
const MAX_PROBLEMS = 10;

/**
 * A path into a file's JSON for a message: `history.3.epoch`, each key cut to 40 characters (a key
 * comes from the file and may be megabytes long), `root` for the whole file.
 */
export function formatPath(path: readonly PropertyKey[], root = '(file)'): string {
  if (path.length === 0) return root;
  return path
    .slice(0, 20)
    .map((k) => {
      const key = String(k);
      return key.length > 40 ? `${key.slice(0, 39)}…` : key;
    })
    .join('.');
}

/**
 * Problems joined by `; `: the first 10, then `… (N problems in all)` when there are more (`total`,
 * when only the first ones were written out), so a message stays short.
 */
export function joinProblems(problems: readonly string[], total = problems.length): string {
  const shown = problems.slice(0, MAX_PROBLEMS);
  if (total > MAX_PROBLEMS) shown.push(`… (${total.toLocaleString('en-US')} problems in all)`);
  return shown.join('; ');
}

/** Unknown keys of an object for a message: at most 10, each shown briefly. */
export function formatKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, 10).map((k) => formatValue(k, 40));
  return `${shown.join(', ')}${keys.length > 10 ? `, … (${keys.length})` : ''}`;
}

/**
 * A zod error's issues as one line, `path: expected …, got …` joined by `; `, each value shown
 * briefly (formatValue), so a hostile file cannot make the message long. At most 10 issues.
 */
export function formatIssues(issues: readonly $ZodIssue[], raw: unknown, root = '(file)'): string {
  const lines = issues.slice(0, MAX_PROBLEMS).map((issue) => {
    const path = formatPath(issue.path, root);
    if (issue.code === 'unrecognized_keys') return `${path}: unknown key(s) ${formatKeys(issue.keys)}`;
    const given = valueAt(raw, issue.path);
    return `${path}: ${issue.message.replace(/^Invalid input: /, '')} (given ${given === undefined ? 'nothing' : formatValue(given)})`;
  });
  return joinProblems(lines, issues.length);
}
