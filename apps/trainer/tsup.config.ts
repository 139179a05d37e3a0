import { defineConfig } from 'tsup';

// The CLI: one ESM file for Node; the @seqlab packages and other dependencies stay external.
export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
  dts: false,
  // Optional, loaded on demand (bench speed --engine onnxruntime): never bundled, even as a devDependency.
  external: ['onnxruntime-node'],
});
