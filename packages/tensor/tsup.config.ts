import base from '../../tsup.config.base';

// The base build, with one more entry, `@seqlab/tensor/testing`. They
// import the main entry by the package's own name (kept external), so both share one Tensor
// class and one error hierarchy in both the ESM and the CJS build.
export default {
  ...base,
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  external: [/^node:/, '@seqlab/tensor'],
};
