import { defineConfig } from 'tsup';

// The CLI: ESM for Node, dist/cli.js and a chunk per command module it imports when that command runs
// (NOTE(lazy-commands) in src/cli.ts); the @seqlab packages and other dependencies stay external.
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
