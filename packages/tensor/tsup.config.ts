import base from '../../tsup.config.base';

// The base build, with three more entries. `@seqlab/tensor/testing` and `@seqlab/tensor/node`
// import the main entry by the package's own name (kept external), so all of them share one Tensor
// class and one error hierarchy in both the ESM and the CJS build. `@seqlab/tensor/backend` shares
// the backend registry with the main entry instead: code splitting (ESM, and tsup's CJS splitting)
// puts the registry, the kernels and the errors both entries import in one shared chunk.
export default {
  ...base,
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    node: 'src/node.ts',
    backend: 'src/backend/index.ts',
  },
  splitting: true,
  external: [/^node:/, '@seqlab/tensor'],
};
