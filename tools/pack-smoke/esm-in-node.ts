/**
 * The published packages whose `node` condition sends `import` to their ES module build, not to the
 * ES module wrapper around their CommonJS build (NOTE(one-copy-in-node) in tsup.config.base.ts).
 * @seqlab/classifier keeps no state that two copies could split, and its dependency zod, built for
 * both module systems without such a wrapper, is then the ES module build that an importing program
 * (the seqlab CLI) loads too, instead of a second copy.
 */
export const ESM_IN_NODE: ReadonlySet<string> = new Set(['@seqlab/classifier']);
