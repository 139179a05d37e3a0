// Pack smoke test: checks what npm users get, not what the workspace sees.
//
// For every published package in packages/* (the ones without `"private": true`):
//   1. `pnpm pack` it (pnpm rewrites `workspace:^` to a real range, as `pnpm publish` would);
//   2. install all the tarballs with one `npm install` into a fresh project in os.tmpdir(), outside
//      the workspace, so @seqlab/* dependencies resolve to the local tarballs and nothing can reach `src`;
//   3. import every package from an ESM script and require it from a CJS script;
//   4. lint each tarball with publint and @arethetypeswrong/cli. attw runs with `--profile node16`:
//      node16 from CJS, node16 from ESM and bundler resolution must all find the right types. It
//      skips node10 (`moduleResolution: "node"`), which ignores the exports map and so cannot see
//      subpaths such as `@seqlab/tensor/testing`; we support Node >= 20 and TypeScript's node16,
//      nodenext and bundler resolution.
// It needs `dist/`: `pnpm test` builds first; on its own, run `pnpm build` before it.
// The `.slow.test.ts` suffix keeps it out of `pnpm test:fast`.
import { type ExecFileOptions, execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(repo, 'node_modules', '.bin', name);
// node16 profile (see above); no registry look-up for @types.
const attwFlags = ['--profile', 'node16', '--no-definitely-typed', '--format', 'ascii', '--no-color'];

/** Named exports each entry point must expose from both ESM and CJS. Extend as the public API lands. */
const requiredExports: Record<string, string[]> = {
  '@seqlab/tensor': ['SeqlabError', 'ShapeError', 'DTypeError', 'ConfigError', 'BackendError', 'FormatError'],
  '@seqlab/tensor/testing': ['expectClose', 'gradcheck'],
  '@seqlab/tensor/backend': ['backend', 'registerBackend', 'makeRecurrentKernels'],
};

// A backend registered through @seqlab/tensor/backend must be the one @seqlab/tensor's ops run
// (one registry shared by both entries, in ESM and in CJS), and the kernel surface must have left
// the main entry.
const registryScript = (load: string) => `
${load}
kernels.registerBackend({ ...kernels.jsBackend, name: 'smoke' });
tensor.setBackend('smoke');
console.log(JSON.stringify({
  active: tensor.getBackend().name,
  kernels: kernels.backend().name,
  sum: tensor.tensor([1, 2]).add(1).toArray(),
  onMain: ['backend', 'registerBackend'].filter((key) => key in tensor),
}));
`;
/** Published packages that only run in Node, so the browser-bundle check does not apply. */
const NODE_ONLY = new Set(['@seqlab/native']);

const registryExpected = { active: 'smoke', kernels: 'smoke', sum: [2, 3], onMain: [] };

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports?: Record<string, unknown>;
}

interface Published {
  name: string;
  dir: string;
  manifest: Manifest;
}

const published: Published[] = readdirSync(join(repo, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(repo, 'packages', entry.name, 'package.json')))
  .map((entry) => {
    const dir = join(repo, 'packages', entry.name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    return { name: manifest.name, dir, manifest };
  })
  .filter((pkg) => !pkg.manifest.private)
  .sort((a, b) => a.name.localeCompare(b.name));

/** The import specifiers of a package's entry points: `@seqlab/tensor`, `@seqlab/tensor/testing`, … */
function entryPoints(pkg: Published): string[] {
  return Object.keys(pkg.manifest.exports ?? { '.': null })
    .filter((subpath) => !subpath.endsWith('.json'))
    .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`));
}

/** Every `./dist/...` file the exports map points at. */
function distTargets(value: unknown): string[] {
  if (typeof value === 'string') return value.startsWith('./dist/') ? [value] : [];
  if (value && typeof value === 'object') return Object.values(value).flatMap(distTargets);
  return [];
}

/** Child-process env without pnpm's npm_* variables, so the inner npm uses its own defaults. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_)/i.test(key) && key !== 'NODE_OPTIONS' && key !== 'INIT_CWD') env[key] = value;
  }
  return env;
}

interface Result {
  code: number;
  output: string;
  stdout: string;
}

/** Runs a command and resolves with its exit code and output; never rejects on a non-zero exit. */
function run(file: string, args: string[], options: ExecFileOptions = {}): Promise<Result> {
  return new Promise((resolvePromise) => {
    execFile(
      file,
      args,
      { env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...options },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const output = `$ ${file} ${args.join(' ')}\n${stdout}${stderr}${error && !stderr ? String(error) : ''}`;
        resolvePromise({ code, output, stdout: String(stdout) });
      },
    );
  });
}

async function runOk(file: string, args: string[], options: ExecFileOptions = {}): Promise<Result> {
  const result = await run(file, args, options);
  if (result.code !== 0) throw new Error(`command failed with exit code ${result.code}\n${result.output}`);
  return result;
}

/** What one import/require of a package looked like from the consumer project. */
interface Loaded {
  type: string;
  resolved: string;
  exports: Record<string, string>;
}

const esmScript = `
const names = JSON.parse(process.argv[2]);
const out = {};
for (const name of names) {
  const ns = await import(name);
  const exports = Object.fromEntries(Object.keys(ns).sort().map((key) => [key, typeof ns[key]]));
  out[name] = { type: typeof ns, resolved: import.meta.resolve(name), exports };
}
console.log(JSON.stringify(out));
`;

const cjsScript = `
const names = JSON.parse(process.argv[2]);
const out = {};
for (const name of names) {
  const ns = require(name);
  const exports = Object.fromEntries(Object.keys(ns).sort().map((key) => [key, typeof ns[key]]));
  out[name] = { type: typeof ns, resolved: require.resolve(name), exports };
}
console.log(JSON.stringify(out));
`;

let work = '';
let setupError: unknown;
const tarballs = new Map<string, string>();
let esm: Record<string, Loaded> = {};
let cjs: Record<string, Loaded> = {};

describe('published packages', () => {
  // A setup failure is rethrown by every test, so it is counted as failed tests, not silently skipped ones.
  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      setupError = error;
    }
  }, 120_000);
  const ready = () => {
    if (setupError) throw setupError;
  };

  async function setUp(): Promise<void> {
    const unbuilt = published.flatMap((pkg) => {
      const missing = distTargets(pkg.manifest.exports).filter((file) => !existsSync(join(pkg.dir, file)));
      return missing.length ? [`${pkg.name} (missing ${missing.join(', ')})`] : [];
    });
    if (unbuilt.length) {
      throw new Error(
        `pack smoke test: dist/ is not built for ${unbuilt.join('; ')}. Run \`pnpm build\` first.`,
      );
    }

    work = mkdtempSync(join(tmpdir(), 'seqlab-pack-smoke-'));
    const packs = join(work, 'packs');
    const app = join(work, 'app');
    mkdirSync(packs);
    mkdirSync(app);

    for (const pkg of published) {
      const before = new Set(readdirSync(packs));
      await runOk('pnpm', ['pack', '--pack-destination', packs], { cwd: pkg.dir });
      const created = readdirSync(packs).filter((file) => !before.has(file) && file.endsWith('.tgz'));
      if (created.length !== 1) {
        throw new Error(`pnpm pack of ${pkg.name} produced ${created.length} tarballs`);
      }
      tarballs.set(pkg.name, join(packs, created[0]!));
    }

    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'seqlab-pack-smoke-consumer', version: '0.0.0', private: true }, null, 2)}\n`,
    );
    writeFileSync(join(app, 'esm.mjs'), esmScript);
    writeFileSync(join(app, 'cjs.cjs'), cjsScript);
    // One npm command for all tarballs, so a dependency on @seqlab/tensor resolves to the local tarball.
    await runOk(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...tarballs.values()],
      { cwd: app },
    );

    const names = JSON.stringify(published.flatMap(entryPoints));
    esm = JSON.parse((await runOk(process.execPath, ['esm.mjs', names], { cwd: app })).stdout);
    cjs = JSON.parse((await runOk(process.execPath, ['cjs.cjs', names], { cwd: app })).stdout);
  }

  // The installed app holds the SpamAssassin corpus (tens of thousands of files): removing it can
  // take longer than vitest's 10 s hook default on a loaded machine.
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('finds the published packages', () => {
    ready();
    expect(published.map((pkg) => pkg.name)).toContain('@seqlab/tensor');
  });

  it('shares one backend registry between @seqlab/tensor and @seqlab/tensor/backend (ESM and CJS)', async () => {
    ready();
    const app = join(work, 'app');
    writeFileSync(
      join(app, 'registry.mjs'),
      registryScript(
        "const tensor = await import('@seqlab/tensor'); const kernels = await import('@seqlab/tensor/backend');",
      ),
    );
    writeFileSync(
      join(app, 'registry.cjs'),
      registryScript(
        "const tensor = require('@seqlab/tensor'); const kernels = require('@seqlab/tensor/backend');",
      ),
    );
    for (const file of ['registry.mjs', 'registry.cjs']) {
      const { stdout } = await runOk(process.execPath, [file], { cwd: app });
      expect(JSON.parse(stdout), file).toEqual(registryExpected);
    }
  });

  describe.each(published)('$name', (pkg) => {
    const { name } = pkg;
    for (const specifier of entryPoints(pkg)) {
      it(`imports ${specifier} from ESM, resolved to the installed dist`, () => {
        ready();
        const loaded = esm[specifier]!;
        expect(loaded.type).toBe('object');
        expect(loaded.resolved).toContain(`/app/node_modules/${name}/dist/`);
        expect(loaded.resolved).toMatch(/\.js$/);
        for (const key of requiredExports[specifier] ?? []) expect(loaded.exports[key], key).toBe('function');
      });

      it(`requires ${specifier} from CJS with the same exports as ESM`, () => {
        ready();
        const loaded = cjs[specifier]!;
        expect(loaded.type).toBe('object');
        expect(loaded.resolved).toContain(`/app/node_modules/${name}/dist/`);
        expect(loaded.resolved).toMatch(/\.cjs$/);
        for (const key of requiredExports[specifier] ?? []) expect(loaded.exports[key], key).toBe('function');
        expect(loaded.exports).toEqual(esm[specifier]!.exports);
      });
    }

    // @seqlab/native is a Node-API addon: Node only by design (the browser's backends are in tensor).
    it.skipIf(NODE_ONLY.has(name))(
      'bundles its main entry for the browser (no Node built-ins reachable from it)',
      async () => {
        ready();
        const { build } = await import('esbuild');
        const result = await build({
          stdin: { contents: `export * from '${name}';`, resolveDir: join(work, 'app') },
          bundle: true,
          platform: 'browser',
          format: 'esm',
          write: false,
          logLevel: 'silent',
          conditions: ['browser', 'import', 'default'],
        });
        expect(result.errors).toEqual([]);
        const text = result.outputFiles[0]!.text;
        expect(text).not.toMatch(/from ["']node:/);
      },
    );

    it.concurrent('passes publint', async () => {
      ready();
      const result = await run(bin('publint'), ['run', tarballs.get(name)!, '--strict'], { cwd: repo });
      expect(result.code, result.output).toBe(0);
    });

    it.concurrent('passes attw (node16 profile)', async () => {
      ready();
      const result = await run(bin('attw'), [tarballs.get(name)!, ...attwFlags], { cwd: repo });
      expect(result.code, result.output).toBe(0);
    });
  });
});
