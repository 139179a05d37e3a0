// The command-line reading the bench scripts share: `--name value` flags and comma lists.

/** The value after `--name` in `argv`, or `fallback` when the flag (or its value) is missing. */
export function flagOf(argv, name, fallback) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}

/** `a, b,,c` as ['a', 'b', 'c']. */
export function listOf(s) {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}
