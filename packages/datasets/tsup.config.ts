import base from '../../tsup.config.base';

// The base build, with one more entry, `@seqlab/datasets/node` (SpamAssassin, which hashes with
// node:crypto), so the main entry stays free of Node built-ins. The @stdlib packages are external
// (they are dependencies) and are imported only when a dataset is asked for.
export default {
  ...base,
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  external: [/^node:/, /^@stdlib\//, '@seqlab/tensor'],
};
