import base from '../../tsup.config.base';

// The base build, with two more entries, `@seqlab/tensor/testing` and `@seqlab/tensor/node`. They
// import the main entry by the package's own name (kept external), so all three share one Tensor
// class and one error hierarchy in both the ESM and the CJS build.
export default {
  ...base,
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts', node: 'src/node.ts' },
  external: [/^node:/, '@seqlab/tensor'],
};
