// Types of typedoc.config.mjs, for the tests that import its list of public entries.
import type { TypeDocOptions } from 'typedoc';

/** Each public entry file with the name a user imports it by (`@seqlab/tensor/testing`). */
export declare const publicEntries: { name: string; file: string }[];

declare const options: Partial<TypeDocOptions>;
export default options;
