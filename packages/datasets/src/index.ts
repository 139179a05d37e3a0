// @seqlab/datasets: the built-in datasets, each imported from its @stdlib package on first use.
// This entry is browser-safe; the SpamAssassin corpus (Node only) is in `@seqlab/datasets/node`.

// English first names
export { FIRST_NAMES_LABELS, firstNames } from './names';
export type { FirstNamesOptions } from './names';

// The example type every dataset produces (the shape of @seqlab/data's TextExample)
export type { TextExample } from './text-example';
