import { defineConfig } from 'tsup';

/** The one build config: every package's tsup.config.ts re-exports it. ESM + CJS + .d.ts. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
  external: [/^node:/],
});
