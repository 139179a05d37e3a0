import base from '../../tsup.config.base';

// The base build, with one more entry, `@seqlab/classifier/node` (run directories on disk). It
// imports the main entry by the package's own name (kept external), so both entries share one
// TextClassifier class in both the ESM and the CJS build, and the main entry stays free of Node
// built-ins.
//
// No ES module wrappers (the base's onSuccess): in Node, `import` gets the ES module build itself,
// the exception to NOTE(one-copy-in-node) in ../../tsup.config.base.ts. This package keeps no state
// that two copies could split (no registry, no default; its models are @seqlab/layers Modules, one
// copy through that package), and its zod, built for both module systems without such a wrapper,
// is then the ES module build that an importing program loads too: the seqlab CLI loaded two zods.
export default {
  ...base,
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  external: [/^node:/, '@seqlab/classifier', '@seqlab/data', '@seqlab/layers', '@seqlab/tensor'],
  onSuccess: undefined,
};
