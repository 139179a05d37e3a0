import base from '../../tsup.config.base';

// The base build, with one more entry, `@seqlab/classifier/node` (run directories on disk). It
// imports the main entry by the package's own name (kept external), so both entries share one
// TextClassifier class in both the ESM and the CJS build, and the main entry stays free of Node
// built-ins.
export default {
  ...base,
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  external: [/^node:/, '@seqlab/classifier', '@seqlab/data', '@seqlab/layers', '@seqlab/tensor'],
};
