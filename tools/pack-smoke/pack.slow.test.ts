// Pack smoke test: checks what npm users get, not what the workspace sees.
//
// For every published package in packages/* (the ones without `"private": true`):
//   1. `pnpm pack` it (pnpm rewrites `workspace:^` to a real range, as `pnpm publish` would);
//   2. install all the tarballs with one `npm install` into a fresh project in os.tmpdir(), outside
//      the workspace, so @seqlab/* dependencies resolve to the local tarballs and nothing can reach `src`;
//   3. import every package from an ESM script and require it from a CJS script;
//   4. load @seqlab/tensor and @seqlab/layers from ESM and CJS in one process (one copy of each, see
//      NOTE(one-copy-in-node) in tsup.config.base.ts), and a second copy of @seqlab/tensor (refused);
//   5. bundle each main entry for the browser with esbuild, and @seqlab/data without any dataset;
//   6. install @seqlab/data alone (with its peer @seqlab/tensor) and print what it costs on disk;
//   7. lint each tarball with publint and @arethetypeswrong/cli. attw runs with `--profile node16`:
//      node16 from CJS, node16 from ESM and bundler resolution must all find the right types. It
//      skips node10 (`moduleResolution: "node"`), which ignores the exports map and so cannot see
//      subpaths such as `@seqlab/tensor/testing`; we support Node >= 20 and TypeScript's node16,
//      nodenext and bundler resolution.
// It needs `dist/`: `pnpm test` builds first; on its own, run `pnpm build` before it.
// The `.slow.test.ts` suffix keeps it out of `pnpm test:fast`.
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESM_IN_NODE } from './esm-in-node';
import { run, runOk } from './process';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(repo, 'node_modules', '.bin', name);
// node16 profile (see above); no registry look-up for @types.
const attwFlags = ['--profile', 'node16', '--no-definitely-typed', '--format', 'ascii', '--no-color'];

/** Named exports each entry point must expose from both ESM and CJS. Extend as the public API lands. */
const requiredExports: Record<string, string[]> = {
  '@seqlab/tensor': [
    'SeqlabError',
    'ShapeError',
    'DTypeError',
    'ConfigError',
    'BackendError',
    'FormatError',
    'DuplicatePackageError',
  ],
  '@seqlab/tensor/testing': ['expectClose', 'gradcheck'],
  '@seqlab/tensor/backend': ['backend', 'registerBackend', 'makeRecurrentKernels'],
  '@seqlab/datasets': ['firstNames'],
  '@seqlab/datasets/node': ['spamAssassin', 'spamAssassinSplit', 'emailBody'],
  '@seqlab/interop': ['importTfjsLayersModel', 'loadTfjsLayersModel', 'KerasRecurrent'],
  '@seqlab/interop/node': ['loadTfjsLayersModelFile'],
  '@seqlab/onnx': ['exportOnnx', 'OnnxGraph', 'addRecurrent'],
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

// One process that imports and requires @seqlab/tensor, @seqlab/tensor/backend and @seqlab/layers:
// Node must load one copy of each (NOTE(one-copy-in-node)), so a backend registered through one
// is active for the other, a seed set through one drives the other, a CJS layer's output is an
// `instanceof Tensor` of the ESM entry, and a CJS Linear assigned to an ESM Module is registered.
const mixedScript = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const esm = {
  tensor: await import('@seqlab/tensor'),
  kernels: await import('@seqlab/tensor/backend'),
  layers: await import('@seqlab/layers'),
};
const cjs = {
  tensor: require('@seqlab/tensor'),
  kernels: require('@seqlab/tensor/backend'),
  layers: require('@seqlab/layers'),
};
cjs.kernels.registerBackend({ ...cjs.kernels.jsBackend, name: 'mixed' });
esm.tensor.setBackend('mixed');
esm.tensor.manualSeed(7);
const fromCjs = cjs.tensor.randn([3]).toArray();
cjs.tensor.manualSeed(7);
const fromEsm = esm.tensor.randn([3]).toArray();
class Net extends esm.layers.Module {
  constructor() {
    super();
    this.fc = new cjs.layers.Linear(4, 3);
  }
}
const net = new Net();
const y = net.fc.forward(esm.tensor.ones([2, 4]));
console.log(JSON.stringify({
  sameTensorClass: esm.tensor.Tensor === cjs.tensor.Tensor,
  sameModuleClass: esm.layers.Module === cjs.layers.Module,
  outputIsTensor: y instanceof esm.tensor.Tensor,
  childParameters: net.parameters().length,
  backends: [esm.tensor.getBackend().name, cjs.tensor.getBackend().name, esm.kernels.backend().name],
  sameDraws: JSON.stringify(fromCjs) === JSON.stringify(fromEsm),
  files: [import.meta.resolve('@seqlab/tensor'), require.resolve('@seqlab/tensor')].map((f) => f.replace(/.*\\//, '')),
}));
`;
const mixedExpected = {
  sameTensorClass: true,
  sameModuleClass: true,
  outputIsTensor: true,
  childParameters: 2,
  backends: ['mixed', 'mixed', 'mixed'],
  sameDraws: true,
  files: ['index.mjs', 'index.cjs'],
};

// A second copy of @seqlab/tensor (the installed one, copied to another path, as a nested install
// of another version would be) must refuse to load, naming both copies, instead of making a second
// registry and Tensor class. argv[2] is the copy's entry file.
const secondCopyScript = `
const first = require('@seqlab/tensor');
try {
  require(process.argv[2]);
  console.log(JSON.stringify({ loaded: true }));
} catch (error) {
  console.log(JSON.stringify({
    name: error.name,
    message: error.message,
    first: error.first,
    second: error.second,
    firstStillWorks: first.tensor([1, 2]).sum().item(),
  }));
}
`;

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
    .filter((subpath) => !subpath.endsWith('.json') && !subpath.endsWith('.wasm'))
    .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`));
}

/** Every `./dist/...` file the exports map points at. */
function distTargets(value: unknown): string[] {
  if (typeof value === 'string') return value.startsWith('./dist/') ? [value] : [];
  if (value && typeof value === 'object') return Object.values(value).flatMap(distTargets);
  return [];
}

/** Bytes of every file under `dir` (apparent sizes; links are not followed). */
function treeBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += treeBytes(path);
    else if (entry.isFile()) bytes += lstatSync(path).size;
  }
  return bytes;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

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

  it('loads one copy of @seqlab/tensor and @seqlab/layers when one process both imports and requires them', async () => {
    ready();
    const app = join(work, 'app');
    writeFileSync(join(app, 'mixed.mjs'), mixedScript);
    const { stdout } = await runOk(process.execPath, ['mixed.mjs'], { cwd: app });
    expect(JSON.parse(stdout)).toEqual(mixedExpected);
  });

  it('ships the wasm kernels as dist/kernels.wasm in @seqlab/tensor, the file the ES module build fetches and `@seqlab/tensor/kernels.wasm` names', async () => {
    ready();
    const app = join(work, 'app');
    const listed = (await runOk('tar', ['-tzf', tarballs.get('@seqlab/tensor')!])).stdout.split('\n');
    expect(listed).toContain('package/dist/kernels.wasm');
    const installed = join(app, 'node_modules', '@seqlab', 'tensor', 'dist');
    const bytes = readFileSync(join(installed, 'kernels.wasm'));
    expect(WebAssembly.validate(bytes)).toBe(true);
    const resolved = (
      await runOk(process.execPath, ['-p', "require.resolve('@seqlab/tensor/kernels.wasm')"], { cwd: app })
    ).stdout.trim();
    expect(resolved).toBe(join(installed, 'kernels.wasm'));
    // The ES module build's URL of it, in a file beside it (the chunk `ready()` imports, NOTE(wasm-lazy));
    // the Node build carries no such URL.
    const esmChunks = readdirSync(installed).filter((file) => /^[\w.-]+\.js$/.test(file));
    const withUrl = esmChunks.filter((file) =>
      readFileSync(join(installed, file), 'utf8').includes('new URL("./kernels.wasm", import.meta.url)'),
    );
    expect(withUrl).toHaveLength(1);
    const cjs = readdirSync(installed).filter((file) => file.endsWith('.cjs'));
    const cjsWithUrl = cjs.filter((file) =>
      readFileSync(join(installed, file), 'utf8').includes('new URL("./kernels.wasm"'),
    );
    expect(cjsWithUrl).toEqual([]);
    console.log(
      `[pack-smoke] @seqlab/tensor's dist/kernels.wasm: ${kib(bytes.length)}, ${kib(gzipSync(bytes).length)} gzip`,
    );
  });

  it('refuses a second copy of @seqlab/tensor with a DuplicatePackageError naming both', async () => {
    ready();
    const app = join(work, 'app');
    const copy = join(work, 'copy', 'node_modules', '@seqlab', 'tensor');
    cpSync(join(app, 'node_modules', '@seqlab', 'tensor'), copy, { recursive: true });
    writeFileSync(join(app, 'second-copy.cjs'), secondCopyScript);
    const { stdout } = await runOk(process.execPath, ['second-copy.cjs', join(copy, 'dist', 'index.cjs')], {
      cwd: app,
    });
    const result = JSON.parse(stdout);
    const version = published.find((pkg) => pkg.name === '@seqlab/tensor')!.manifest.version;
    expect(result.name).toBe('DuplicatePackageError');
    expect(result.first).toEqual({
      version,
      location: expect.stringMatching(
        /\/app\/node_modules\/@seqlab\/tensor\/dist\/chunk-\w+\.cjs:\d+:\d+ \(cjs build\)$/,
      ),
    });
    expect(result.second.location).toContain('/copy/node_modules/@seqlab/tensor/dist/');
    expect(result.message).toContain(
      `import @seqlab/tensor: expected one copy of @seqlab/tensor per realm, got a second one, ${version} at ${result.second.location}, beside ${version} at ${result.first.location}`,
    );
    expect(result.firstStillWorks).toBe(3);
  });

  it('refuses to run a bundle that holds both the ESM and the CJS build of @seqlab/tensor', async () => {
    ready();
    const app = join(work, 'app');
    const { build } = await import('esbuild');
    // `import` takes the ESM build and `require` the CJS build: two copies in one file.
    const result = await build({
      stdin: {
        contents:
          "import * as esm from '@seqlab/tensor';\nconst cjs = require('@seqlab/tensor');\nconsole.log(esm.Tensor === cjs.Tensor);",
        resolveDir: app,
      },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      outfile: join(app, 'both-builds.mjs'),
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const r = await run(process.execPath, ['both-builds.mjs'], { cwd: app });
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toMatch(
      // (esbuild renames one of the two DuplicatePackageError classes it bundles.)
      /DuplicatePackageError\d*: import @seqlab\/tensor: expected one copy of @seqlab\/tensor per realm, got a second one, \S+ at \S*both-builds\.mjs:\d+:\d+ \(cjs build\), beside \S+ at \S*both-builds\.mjs:\d+:\d+ \(esm build\)/,
    );
  });

  it('bundles @seqlab/data for the browser without any dataset, and @seqlab/datasets with its lists left behind a dynamic import', async () => {
    ready();
    const app = join(work, 'app');
    const { build } = await import('esbuild');
    /** Bundles `import * as m from specifier` (minified, for the browser); the entry's inputs and gzip size. */
    const bundle = async (specifier: string) => {
      const entry = join(app, `bundle-${specifier.replace(/\W/g, '-')}.mjs`);
      writeFileSync(entry, `import * as m from '${specifier}';\nconsole.log(m);\n`);
      const result = await build({
        entryPoints: [entry],
        bundle: true,
        splitting: true,
        platform: 'browser',
        format: 'esm',
        minify: true,
        outdir: join(work, 'bundles', specifier),
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      expect(result.errors).toEqual([]);
      // What loads with the entry: its file and the chunks it imports statically (esbuild puts
      // shared helpers in one); the other chunks load on a dynamic import.
      const outputs = result.metafile.outputs;
      const queue = [Object.keys(outputs).find((file) => outputs[file]!.entryPoint !== undefined)!];
      const eager = new Set<string>();
      while (queue.length > 0) {
        const file = queue.pop()!;
        if (eager.has(file)) continue;
        eager.add(file);
        for (const i of outputs[file]!.imports) if (i.kind === 'import-statement') queue.push(i.path);
      }
      const inputsOf = (files: string[]) => files.flatMap((file) => Object.keys(outputs[file]!.inputs));
      const bytes = result.outputFiles.filter((f) => [...eager].some((file) => f.path === resolve(file)));
      return {
        inputs: inputsOf([...eager]),
        lazyInputs: inputsOf(Object.keys(outputs).filter((file) => !eager.has(file))),
        gzip: bytes.reduce((sum, f) => sum + gzipSync(f.contents).length, 0),
      };
    };
    const data = await bundle('@seqlab/data');
    expect([...data.inputs, ...data.lazyInputs].filter((f) => /@stdlib\/|@seqlab\/datasets/.test(f))).toEqual(
      [],
    );
    expect(data.inputs.some((f) => f.includes('@seqlab/data/dist/index.js'))).toBe(true);
    const datasets = await bundle('@seqlab/datasets');
    expect(datasets.inputs.filter((f) => f.includes('@stdlib/'))).toEqual([]);
    expect(datasets.lazyInputs.filter((f) => f.includes('first-names-en/data/')).length).toBe(2);
    console.log(
      `[pack-smoke] import * from '@seqlab/data', minified, for the browser: ${kib(data.gzip)} gzip (with @seqlab/tensor); ` +
        `'@seqlab/datasets' before its first dataset: ${kib(datasets.gzip)} gzip`,
    );
  });

  it('installs @seqlab/data with its peer @seqlab/tensor and no dataset', async () => {
    ready();
    const dir = join(work, 'data-only');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'package.json'),
      '{ "name": "data-only", "version": "0.0.0", "private": true }\n',
    );
    await runOk(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--ignore-scripts',
        tarballs.get('@seqlab/data')!,
        tarballs.get('@seqlab/tensor')!,
      ],
      { cwd: dir },
    );
    const modules = join(dir, 'node_modules');
    const installed = readdirSync(modules).filter((name) => !name.startsWith('.'));
    expect(installed.sort()).toEqual(['@seqlab', 'csv-parse']);
    const tensor = treeBytes(join(modules, '@seqlab', 'tensor'));
    const data = treeBytes(modules) - tensor;
    console.log(
      `[pack-smoke] npm install @seqlab/data: ${kib(data)} (@seqlab/data and csv-parse) + ${kib(tensor)} (@seqlab/tensor)`,
    );
    // Budget: about a megabyte for data itself, csv-parse's ~1.5 MB beside it.
    expect(data).toBeLessThan(3 * 1024 * 1024);
  });

  describe.each(published)('$name', (pkg) => {
    const { name } = pkg;
    for (const specifier of entryPoints(pkg)) {
      it(`imports ${specifier} from ESM, resolved to the installed dist's Node entry`, () => {
        ready();
        const loaded = esm[specifier]!;
        expect(loaded.type).toBe('object');
        expect(loaded.resolved).toContain(`/app/node_modules/${name}/dist/`);
        if (ESM_IN_NODE.has(name)) {
          // Its ES module build itself (see esm-in-node.ts).
          expect(loaded.resolved).toMatch(/\/dist\/[\w-]+\.js$/);
          expect(readFileSync(fileURLToPath(loaded.resolved), 'utf8')).not.toMatch(/\.cjs'/);
        } else {
          // Node's `import` gets the ES module wrapper around the CJS build (NOTE(one-copy-in-node)).
          expect(loaded.resolved).toMatch(/\.mjs$/);
          expect(readFileSync(fileURLToPath(loaded.resolved), 'utf8')).toMatch(
            /^export \* from '\.\/[\w-]+\.cjs';$/m,
          );
        }
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
      // Files exported for their URL (`@seqlab/tensor/kernels.wasm`) are no modules: nothing to type.
      const files = Object.keys(pkg.manifest.exports ?? {}).filter((subpath) => subpath.endsWith('.wasm'));
      const exclude = files.length > 0 ? ['--exclude-entrypoints', ...files] : [];
      const result = await run(bin('attw'), [tarballs.get(name)!, ...attwFlags, ...exclude], { cwd: repo });
      expect(result.code, result.output).toBe(0);
    });
  });
});
