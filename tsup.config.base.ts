import { readdir, writeFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';

/**
 * Writes `dist/<entry>.mjs`, an ES module that re-exports `dist/<entry>.cjs`, for every entry.
 *
 * NOTE(one-copy-in-node): Node resolves `import` through the `node` condition of each exports map
 * to these files, and `require` to the `.cjs` files they re-export, so in Node both load one
 * module instance: one `Tensor` class, one backend registry, one default generator, one
 * `Module` class, however a program and its dependencies mix `import` and `require` (the dual
 * package hazard of the Node.js docs, solved with their ES module wrapper). Bundlers and browsers
 * skip the `node` condition and get the ES module build (`dist/<entry>.js`), which tree-shakes.
 * Node's CommonJS lexer finds every export of a tsup `.cjs` file, so `export *` re-exports them
 * all; the pack smoke test compares the names. @seqlab/classifier, which keeps no state of its own,
 * is the exception: Node's `import` gets its ES module build, which shares zod's ES module build
 * with the program (see its tsup.config.ts).
 */
async function writeNodeWrappers(): Promise<void> {
  const entries = (await readdir('dist')).filter(
    (file) => file.endsWith('.cjs') && !file.startsWith('chunk-'),
  );
  await Promise.all(
    entries.map((file) =>
      writeFile(
        `dist/${file.slice(0, -'.cjs'.length)}.mjs`,
        `// Node's entry for \`import\`: the CommonJS build, so import and require share one copy.\nexport * from './${file}';\n`,
      ),
    ),
  );
}

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
  // The build's format as a constant, so a copy of @seqlab/tensor can say which build it is
  // (see NOTE(one-copy) in packages/tensor/src/single-copy.ts).
  esbuildOptions(options, { format }) {
    options.define = { ...options.define, __SEQLAB_BUILD__: JSON.stringify(format) };
  },
  onSuccess: writeNodeWrappers,
});
