import base from '../../tsup.config.base';

// The base build with a second entry, `@seqlab/interop/node` (file reading). Code splitting puts
// what both entries use (the importer, the glue modules) in one shared chunk, so a model loaded
// through either entry is made of the same classes.
export default {
  ...base,
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  splitting: true,
  external: [/^node:/, '@seqlab/tensor', '@seqlab/layers'],
};
