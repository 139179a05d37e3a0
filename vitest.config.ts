import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One vitest process for the whole repo: one project per package and app. Tests run on `src`
// through the `@seqlab/source` export condition, so no build is needed for them; the pack smoke
// test checks the built `dist`. `*.slow.test.ts` files are skipped by `pnpm test:fast`.
const conditions = ['@seqlab/source', 'module', 'node', 'import', 'default'];
const workspaces = [
  ...['packages', 'apps'].flatMap((dir) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${dir}/${entry.name}`),
  ),
  'tools/pack-smoke',
  'tools/bench',
];
// The CLI end-to-end tests run the built dist, so test:fast (no build) leaves them out too.
const slow = process.env.SEQLAB_FAST ? ['**/*.slow.test.ts', '**/src/e2e/**'] : [];

// The backend test matrix: these packages' golden and parity tests iterate listBackends(), so the
// native backend joins them when its addon loads (registered, not made the default).
const MATRIX = ['packages/tensor', 'packages/layers', 'packages/optim'];
const nativeSetup = fileURLToPath(new URL('./tools/vitest/native-backend.ts', import.meta.url));

// Projects whose files run in `vmForks`: each file still gets its own module graph (a fresh VM
// context), but in a reused process instead of a new fork per file (these 81 files: 53 s instead
// of 75 s on an idle 2-core machine). Only projects whose every test gives the same result in both
// pools are listed (2383 passed and 7 skipped in both). Left in `forks`, the default: tensor
// (start-up.test.ts's wrong-Content-Type case ends on js instead of wasm in a VM context),
// classifier (load.fuzz.test.ts) and onnx (ONNX Runtime) fail there; native, trainer and docs
// (child processes, a browser) are not checked.
const VM_POOL = [
  'packages/layers',
  'packages/optim',
  'packages/metrics',
  'packages/data',
  'packages/datasets',
  'packages/interop',
];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@seqlab/source'] } },
  test: {
    projects: workspaces.map((root) => ({
      extends: true,
      root,
      test: {
        name: root.split('/')[1],
        exclude: ['**/node_modules/**', '**/dist/**', ...slow],
        setupFiles: MATRIX.includes(root) ? [nativeSetup] : [],
        ...(VM_POOL.includes(root) ? { pool: 'vmForks' as const } : {}),
      },
    })),
    // Two files at a time even on a 2-core machine, where vitest's default (cores - 1) is one: one
    // worker runs mostly one thread at a time (module import and setup, the docs build, a wait on a
    // CLI child, Chromium, Python or a report's 5 s reload), so a core is often idle. The slow files
    // keep their own limits: the e2e harness runs at most 2 CLI processes per file, the docs
    // build takes a lock. `--maxWorkers=1` restores one file at a time. CONTRIBUTING.md, "The
    // suite's wall time", has the measurements.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default', 'json'],
    outputFile: { json: '.reports/vitest.json' },
    testTimeout: 60_000,
    // Hooks get the tests' time too (vitest's default is 10 s): several train a run for the file's
    // tests, which takes seconds when another file runs beside it on a loaded machine.
    hookTimeout: 60_000,
    passWithNoTests: true,
  },
});
