// Browser bundles of the published packages: their size, and what they do in headless Chromium.
//
// 1. `pnpm pack` @seqlab/tensor, layers, optim and data, and install the tarballs with npm outside
//    the workspace (what npm users get, as pack.slow.test.ts does for every package);
// 2. bundle two entries with esbuild for the browser (minified, ES modules, code splitting as
//    every app bundler does for a dynamic import), read esbuild's metafile and gzip the output:
//    the JavaScript of browser/lstm-forward.mjs (an LSTM forward: tensor + layers) must be
//    ≤ 30 KB gzip, and that of browser/training.mjs (tensor + layers + optim + data) ≤ 50 KB gzip.
//    Sizes per package are printed, and per source file (read from the bundle's source map). The
//    wasm kernels are no JavaScript: the ES module build fetches dist/kernels.wasm in `ready()`
//    (NOTE(wasm-bytes) in
//    packages/tensor/src/backend/wasm/kernel-bytes.ts), from the
//    `new URL('./kernels.wasm', import.meta.url)` the bundle keeps; its size, raw and gzip, is
//    printed beside the budgets;
// 3. in Debian's chromium through playwright-core (no browser download), the site being the bundle
//    and kernels.wasm copied beside it (esbuild copies no asset): the LSTM forward on a page's main
//    thread and in a Worker (browser/worker.mjs, served with @seqlab/tensor/worker) gives the
//    numbers Node gives for the same code, on the wasm backend, fetched from the site and compiled
//    while it downloads (`WebAssembly.compileStreaming`) by `ready()`, not at import; training in
//    the Worker posts its progress, gives Node's losses and stops when the page asks; a server that
//    sends kernels.wasm as application/octet-stream gets a warning saying so and wasm all the same;
//    `ready({ wasm: url })` fetches the URL given; a page whose Content-Security-Policy is
//    `script-src 'self'` gets the warning naming 'wasm-unsafe-eval' and runs js, and
//    `ready('wasm')` rejects there, while `script-src 'self' 'wasm-unsafe-eval'` runs wasm;
// 4. the Worker pattern of apps/docs/guides/responsive-page.md, its `train.worker.ts` and `main.ts`
//    blocks read from the guide and bundled as it says (kernels.wasm copied beside them): the page
//    shows the Worker's progress, and its stop button stops the training.
//
// Chromium: `apt-get install -y chromium` (.ci/install-tools does it when it is missing). Without
// /usr/bin/chromium the Chromium tests are skipped, and say so; the budgets still run.
// It needs `dist/`: `pnpm test` builds first; on its own, run `pnpm build` before it.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOk } from './process';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const sources = fileURLToPath(new URL('./browser/', import.meta.url));
const PACKAGES = ['tensor', 'layers', 'optim', 'data'];
const GUIDE = join(repo, 'apps/docs/guides/responsive-page.md');

/** The guide's code blocks titled `[name]` (VitePress's code-group titles), by name. */
function guideBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/^```\w+ \[([\w.-]+)\]\n([\s\S]*?)^```$/gm))
    blocks.set(match[1]!, match[2]!);
  return blocks;
}

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `browser-bundle.slow.test.ts: the headless-Chromium tests are skipped, ${CHROMIUM} is missing (apt-get install -y chromium, or run .ci/install-tools)`,
  );
}

/** The bundles and their budgets (gzip bytes of what loads with the entry). */
const BUDGETS = [
  { entry: 'lstm-forward.mjs', what: 'an LSTM forward (tensor + layers)', budget: 30 * 1024 },
  {
    entry: 'training.mjs',
    what: 'the training pipeline (tensor + layers + optim + data)',
    budget: 50 * 1024,
  },
];

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** The package an esbuild input belongs to: `@seqlab/tensor`, …, or the entry itself. */
function packageOf(input: string): string {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? input.replace(/.*\//, '');
}

/**
 * The characters of minified `code` per original source file, read from its source map (esbuild
 * chains the packages' own maps, so these are the files under each package's src/): what to look
 * at when the budget is tight.
 */
function bySource(code: string, map: { sources: string[]; mappings: string }): Map<string, number> {
  const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const lines = code.split('\n');
  const chars = new Map<string, number>();
  let source = 0;
  map.mappings.split(';').forEach((line, i) => {
    // A segment: the generated column, then the source's index, line and column (and a name), each
    // a base64 VLQ delta from the previous segment's.
    const starts: [column: number, source: number][] = [];
    let column = 0;
    for (const segment of line.split(',').filter(Boolean)) {
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const digit of segment) {
        const d = BASE64.indexOf(digit);
        value += (d & 31) << shift;
        shift += 5;
        if (d & 32) continue;
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
      column += fields[0]!;
      if (fields.length > 1) source += fields[1]!;
      starts.push([column, fields.length > 1 ? source : -1]);
    }
    starts.forEach(([start, s], k) => {
      const name = s < 0 ? '(unmapped)' : map.sources[s]!.replace(/.*node_modules\/@seqlab\//, '');
      const end = starts[k + 1]?.[0] ?? lines[i]!.length;
      chars.set(name, (chars.get(name) ?? 0) + end - start);
    });
  });
  return chars;
}

interface Measured {
  /** Gzip bytes of the entry's file and the chunks it imports statically. */
  gzip: number;
  /** Minified bytes per package, in what loads with the entry. */
  minified: Map<string, number>;
  /** Minified characters per source file (bySource), in what loads with the entry. */
  sources: Map<string, number>;
  /** The chunks loaded by a dynamic import, with their inputs and gzip bytes. */
  lazy: { inputs: string[]; gzip: number }[];
  /** All the JavaScript the bundle wrote, as text. */
  text: string;
}

/** Bundles `entry` (in `app`) for the browser, minified and split, and measures it. */
async function measure(app: string, out: string, entry: string): Promise<Measured> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(app, entry)],
    bundle: true,
    splitting: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    outdir: out,
    write: false,
    metafile: true,
    sourcemap: 'external',
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  // The JavaScript files (not their source maps).
  const outputs: Metafile['outputs'] = Object.fromEntries(
    Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js')),
  );
  const outputFile = (file: string) =>
    result.outputFiles.find((f) => f.path === resolve(repo, file) || f.path === resolve(file))!;
  const queue = [Object.keys(outputs).find((file) => outputs[file]!.entryPoint !== undefined)!];
  const eager = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (eager.has(file)) continue;
    eager.add(file);
    for (const i of outputs[file]!.imports) if (i.kind === 'import-statement') queue.push(i.path);
  }
  const gzipOf = (file: string) => gzipSync(outputFile(file).contents).length;
  const minified = new Map<string, number>();
  const sources = new Map<string, number>();
  for (const file of eager) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[file]!.inputs)) {
      minified.set(packageOf(input), (minified.get(packageOf(input)) ?? 0) + bytesInOutput);
    }
    const map = JSON.parse(outputFile(`${file}.map`).text);
    for (const [name, chars] of bySource(outputFile(file).text, map))
      sources.set(name, (sources.get(name) ?? 0) + chars);
  }
  return {
    gzip: [...eager].reduce((sum, file) => sum + gzipOf(file), 0),
    minified,
    sources,
    lazy: Object.keys(outputs)
      .filter((file) => !eager.has(file))
      .map((file) => ({ inputs: Object.keys(outputs[file]!.inputs), gzip: gzipOf(file) })),
    text: result.outputFiles
      .filter((file) => file.path.endsWith('.js'))
      .map((file) => file.text)
      .join('\n'),
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * The pages' policies: `/csp/` refuses WebAssembly, `/csp-wasm/` allows it (NOTE(wasm-csp));
 * `/octet/` has none, and serves .wasm files as application/octet-stream, as a misconfigured
 * server does.
 */
const POLICIES: Record<string, string | null> = {
  '/csp/': "script-src 'self'",
  '/csp-wasm/': "script-src 'self' 'wasm-unsafe-eval'",
  '/octet/': null,
};

/**
 * A static server of `root`; a path under a POLICIES prefix is the same file, an HTML page served
 * with that policy. The paths asked for are in `requested`.
 */
const requested: string[] = [];
async function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://x').pathname;
    requested.push(pathname);
    const prefix = Object.keys(POLICIES).find((p) => pathname.startsWith(p));
    const file = normalize(join(root, prefix ? pathname.slice(prefix.length - 1) : pathname));
    const path = file.endsWith('/') ? join(file, 'index.html') : file;
    if (!path.startsWith(root) || !existsSync(path)) {
      response.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = {
      'content-type':
        prefix === '/octet/' && extname(path) === '.wasm'
          ? 'application/octet-stream'
          : (CONTENT_TYPES[extname(path)] ?? 'application/octet-stream'),
    };
    if (prefix && POLICIES[prefix]) headers['content-security-policy'] = POLICIES[prefix]!;
    response.writeHead(200, headers).end(readFileSync(path));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface LstmResult {
  backend: { name: string; reason: string };
  output: number[];
  hN: number[];
  cN: number[];
}
interface TrainResult {
  backend: { name: string; reason: string };
  losses: number[];
}

/** The part of playwright-core's API this test uses. */
interface Page {
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', listener: (error: Error) => void): void;
  addInitScript(script: () => void): Promise<void>;
  goto(url: string): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
  close(): Promise<void>;
}
interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Chromium {
  launch(options: { executablePath: string; headless: boolean; args: string[] }): Promise<Browser>;
}
interface InWorker<T> {
  result: T;
  progress: unknown[];
}

let work = '';
let app = '';
let setupError: unknown;
let node: { lstm: LstmResult; train: TrainResult };
let server: Server | undefined;
let site = '';
/** dist/kernels.wasm of the installed @seqlab/tensor. */
let kernelsWasm = '';

describe('browser bundles of @seqlab/tensor, layers, optim and data', () => {
  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      setupError = error;
    }
  }, 180_000);
  const ready = () => {
    if (setupError) throw setupError;
  };

  async function setUp(): Promise<void> {
    const unbuilt = PACKAGES.filter((name) => !existsSync(join(repo, 'packages', name, 'dist', 'index.js')));
    if (unbuilt.length) {
      throw new Error(
        `browser-bundle test: dist/ is not built for ${unbuilt.join(', ')}. Run \`pnpm build\` first.`,
      );
    }
    work = mkdtempSync(join(tmpdir(), 'seqlab-browser-bundle-'));
    const packs = join(work, 'packs');
    app = join(work, 'app');
    mkdirSync(packs);
    mkdirSync(app);
    for (const name of PACKAGES)
      await runOk('pnpm', ['pack', '--pack-destination', packs], { cwd: join(repo, 'packages', name) });
    writeFileSync(
      join(app, 'package.json'),
      '{ "name": "browser-bundle", "version": "0.0.0", "private": true, "type": "module" }\n',
    );
    const tarballs = readdirSync(packs).map((file) => join(packs, file));
    await runOk(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...tarballs],
      {
        cwd: app,
      },
    );
    for (const file of readdirSync(sources)) copyFileSync(join(sources, file), join(app, file));
    kernelsWasm = join(app, 'node_modules', '@seqlab', 'tensor', 'dist', 'kernels.wasm');

    // Node runs the same code from the installed packages (Node's build, through the `node` condition).
    const nodeRun = await runOk(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { lstmForward } = await import('./lstm-forward.mjs');
           const { train } = await import('./training.mjs');
           console.log(JSON.stringify({ lstm: await lstmForward(), train: await train({ epochs: 4 }) }));`,
      ],
      { cwd: app },
    );
    node = JSON.parse(nodeRun.stdout);

    if (!hasChromium) return;
    // The site: every entry bundled for the browser, shared code in chunks, and an empty page.
    site = join(work, 'site');
    const { build } = await import('esbuild');
    await build({
      entryPoints: ['lstm-forward.mjs', 'training.mjs', 'worker.mjs', 'page.mjs'].map((f) => join(app, f)),
      bundle: true,
      splitting: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      outdir: site,
      entryNames: '[name]',
      logLevel: 'silent',
    });
    // esbuild keeps `new URL('./kernels.wasm', import.meta.url)` as it is: the file goes beside the
    // bundle by hand (Vite, webpack and Rollup with an asset plugin copy it themselves). A copy
    // under another name serves `ready({ wasm: url })`.
    copyFileSync(kernelsWasm, join(site, 'kernels.wasm'));
    mkdirSync(join(site, 'assets'));
    copyFileSync(kernelsWasm, join(site, 'assets', 'seqlab-kernels.wasm'));
    writeFileSync(
      join(site, 'index.html'),
      '<!doctype html><link rel="icon" href="data:,"><title>seqlab</title><p>seqlab bundle test</p>\n',
    );
    // The guide's Worker page, bundled as the guide says (both entries together, split).
    const blocks = guideBlocks(readFileSync(GUIDE, 'utf8'));
    for (const name of ['train.worker.ts', 'main.ts']) {
      const code = blocks.get(name);
      if (!code) throw new Error(`${GUIDE}: expected a code block titled [${name}]`);
      writeFileSync(join(app, name), code);
    }
    mkdirSync(join(site, 'guide'));
    await build({
      entryPoints: ['main.ts', 'train.worker.ts'].map((f) => join(app, f)),
      bundle: true,
      splitting: true,
      platform: 'browser',
      format: 'esm',
      outdir: join(site, 'guide'),
      logLevel: 'silent',
    });
    copyFileSync(kernelsWasm, join(site, 'guide', 'kernels.wasm'));
    writeFileSync(
      join(site, 'guide', 'index.html'),
      '<!doctype html><link rel="icon" href="data:,"><title>training</title><p id="status"></p><button id="stop">Stop</button><script type="module" src="./main.js"></script>\n',
    );
    ({ server, url: site } = await serve(site));
  }

  afterAll(async () => {
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('runs the LSTM forward and the training in Node on wasm, from the installed tarballs', () => {
    ready();
    expect(node.lstm.backend.name).toBe('wasm');
    expect(node.lstm.output).toHaveLength(5 * 3 * 32);
    expect(node.train.backend.name).toBe('wasm');
    expect(node.train.losses).toHaveLength(4);
    expect(node.train.losses[3]!).toBeLessThan(node.train.losses[0]!);
  });

  it.each(BUDGETS)(
    'bundles $what within its budget, the wasm kernels a .wasm file beside it',
    async ({ entry, what, budget }) => {
      ready();
      const measured = await measure(app, join(work, 'budget', entry), entry);
      // No base64 of a wasm module ('\0asm' is 'AGFzbQ') in any chunk, eager or lazy: the bundle
      // fetches kernels.wasm from beside itself.
      expect(measured.text).not.toContain('AGFzbQ');
      expect(measured.text).toContain('new URL("./kernels.wasm",import.meta.url)');
      const wasm = readFileSync(kernelsWasm);
      const perPackage = [...measured.minified]
        .sort((a, b) => b[1] - a[1])
        .map(([name, bytes]) => `${name} ${kib(bytes)}`)
        .join(', ');
      // The wasm backend's JavaScript is a chunk that ready() imports (NOTE(wasm-lazy)), not counted.
      const loader = measured.lazy.filter((chunk) =>
        chunk.inputs.some((input) => /@seqlab\/tensor\/dist\/loader-chunk\.browser-\w+\.js$/.test(input)),
      );
      expect(loader).toHaveLength(1);
      const topSources = [...measured.sources]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([name, chars]) => `${name} ${chars}`)
        .join(', ');
      console.log(
        `[pack-smoke] ${what}, minified for the browser: JavaScript ${measured.gzip} B (${kib(measured.gzip)}) gzip (budget ${budget} B, ${budget - measured.gzip} B left); ` +
          `minified per package: ${perPackage}. Loaded by ready(): the wasm backend's JavaScript ` +
          `${kib(loader[0]!.gzip)} gzip, and dist/kernels.wasm ${kib(wasm.length)}, ${kib(gzipSync(wasm).length)} gzip. ` +
          `Minified characters by source file, the largest: ${topSources}`,
      );
      expect(measured.gzip).toBeLessThanOrEqual(budget);
    },
  );

  describe.skipIf(!hasChromium)('in headless Chromium', () => {
    let browser: Browser | undefined;
    beforeAll(async () => {
      // playwright-core is a dependency of the docs app (tools/pack-smoke is no workspace package,
      // so it has neither the module nor its types: the few calls used are typed below).
      const path = createRequire(join(repo, 'apps/docs/package.json')).resolve('playwright-core');
      const { chromium } = (await import(pathToFileURL(path).href)) as { chromium: Chromium };
      // --no-sandbox: the test may run as root (CI containers), where Chromium's sandbox cannot start.
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    /** Opens `path` of the site; records the page's warnings and errors. */
    async function open(path: string, init?: () => void) {
      const page = await browser!.newPage();
      const warnings: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'warning' || message.type() === 'error') warnings.push(message.text());
      });
      page.on('pageerror', (error) => warnings.push(`pageerror: ${error.message}`));
      // Counts the page's WebAssembly compilations, synchronous and asynchronous, from the start.
      await page.addInitScript(() => {
        const calls = { Module: 0, compile: 0, compileStreaming: 0 };
        const { Module, compile, compileStreaming } = WebAssembly;
        (globalThis as unknown as { wasmCalls: typeof calls }).wasmCalls = calls;
        // A function with Module's prototype, so that `instanceof WebAssembly.Module` still works.
        WebAssembly.Module = Object.assign(
          (bytes: BufferSource) => {
            calls.Module++;
            return new Module(bytes);
          },
          { prototype: Module.prototype },
        ) as unknown as typeof WebAssembly.Module;
        WebAssembly.compile = (bytes: BufferSource) => {
          calls.compile++;
          return compile(bytes);
        };
        WebAssembly.compileStreaming = (source: Response | PromiseLike<Response>) => {
          calls.compileStreaming++;
          return compileStreaming(source);
        };
      });
      if (init) await page.addInitScript(init);
      await page.goto(`${site}${path}`);
      return { page, warnings };
    }

    it('main thread: the LSTM forward gives Node’s numbers on wasm, kernels.wasm fetched by ready() and compiled while it downloads', async () => {
      ready();
      requested.length = 0;
      const { page, warnings } = await open('/');
      // (Strings: vitest rewrites an `import()` in a function it compiles.)
      const got = (await page.evaluate(`(async () => {
        const m = await import('/lstm-forward.js');
        const atImport = { ...wasmCalls };
        const result = await m.lstmForward();
        return { atImport, after: { ...wasmCalls }, result };
      })()`)) as { atImport: object; after: object; result: LstmResult };
      expect(got.atImport).toEqual({ Module: 0, compile: 0, compileStreaming: 0 });
      expect(got.after).toEqual({ Module: 0, compile: 0, compileStreaming: 1 });
      expect(requested.filter((path) => path.endsWith('.wasm'))).toEqual(['/kernels.wasm']);
      expect(got.result.backend).toEqual(node.lstm.backend);
      expect(got.result.output).toEqual(node.lstm.output);
      expect(got.result.hN).toEqual(node.lstm.hN);
      expect(got.result.cN).toEqual(node.lstm.cN);
      expect(warnings).toEqual([]);
      await page.close();
    });

    it('Worker: the LSTM forward and the training give Node’s numbers on wasm; progress arrives; a stop stops', async () => {
      ready();
      requested.length = 0;
      const { page, warnings } = await open('/');
      const [lstm, trained, stopped] = (await page.evaluate(`(async () => {
        const { inWorker } = await import('/page.js');
        return Promise.all([
          inWorker('lstmForward', undefined),
          inWorker('train', { epochs: 4 }),
          inWorker('train', { epochs: 1000 }, { stopAfter: 2 }),
        ]);
      })()`)) as [InWorker<LstmResult>, InWorker<TrainResult>, InWorker<TrainResult>];
      expect(lstm.result.backend.name).toBe('wasm');
      // Each of the three Workers fetched kernels.wasm from the site (the browser may cache it).
      expect(requested.filter((path) => path.endsWith('.wasm'))).toContain('/kernels.wasm');
      expect(lstm.result.output).toEqual(node.lstm.output);
      expect(lstm.result.hN).toEqual(node.lstm.hN);
      expect(trained.result).toEqual(node.train);
      expect(trained.progress).toEqual(node.train.losses.map((loss, i) => ({ epoch: i + 1, loss })));
      expect(stopped.result.losses.length).toBeGreaterThanOrEqual(2);
      expect(stopped.result.losses.length).toBeLessThan(10);
      expect(stopped.result.losses.slice(0, 2)).toEqual(node.train.losses.slice(0, 2));
      expect(warnings).toEqual([]);
      await page.close();
    });

    it('the guide’s Worker page shows the training’s progress, and its stop button stops it', async () => {
      ready();
      // The stop button is clicked as soon as the page shows epoch 3 (from the page itself, so the
      // test does not race the training).
      const { page, warnings } = await open('/guide/', () => {
        document.addEventListener('DOMContentLoaded', () => {
          const status = document.querySelector('#status') as HTMLElement;
          const seen: string[] = [];
          (globalThis as unknown as { seen: string[] }).seen = seen;
          new MutationObserver(() => {
            seen.push(status.textContent ?? '');
            if (/^epoch 3: /.test(status.textContent ?? ''))
              (document.querySelector('#stop') as HTMLElement).click();
          }).observe(status, { childList: true, characterData: true, subtree: true });
        });
      });
      const seen = () => page.evaluate('seen') as Promise<string[]>;
      const deadline = Date.now() + 30_000;
      while (!(await seen()).some((text) => text.startsWith('epoch 3: ')) && Date.now() < deadline)
        await sleep(20);
      await sleep(1500);
      const shown = await seen();
      console.log(`[pack-smoke] the guide page, stopped at epoch 3, showed: ${shown.join('; ')}`);
      expect(shown.slice(0, 3).map((text) => text.replace(/loss [\d.]+/, 'loss x'))).toEqual([
        'epoch 1: loss x',
        'epoch 2: loss x',
        'epoch 3: loss x',
      ]);
      // The Worker runs an epoch or two (a few milliseconds each) until the stop arrives, then
      // returns: far fewer than the guide's 200 epochs.
      expect(shown.length).toBeLessThan(200);
      expect(await seen()).toEqual(shown);
      expect(warnings).toEqual([]);
      await page.close();
    });

    it('a server that sends kernels.wasm as application/octet-stream: one warning saying so, and wasm all the same', async () => {
      ready();
      const { page, warnings } = await open('/octet/');
      const got = (await page.evaluate(`(async () => {
        const m = await import('/octet/lstm-forward.js');
        return { result: await m.lstmForward(), calls: { ...wasmCalls } };
      })()`)) as { result: LstmResult; calls: object };
      expect(got.result.backend.name).toBe('wasm');
      expect(got.result.output).toEqual(node.lstm.output);
      // compileStreaming refused the response; the downloaded bytes were compiled.
      expect(got.calls).toEqual({ Module: 0, compile: 1, compileStreaming: 1 });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^BackendError: ready: expected http:\/\/127\.0\.0\.1:\d+\/octet\/kernels\.wasm served as application\/wasm, got 'application\/octet-stream' \(.*MIME type.*\)\. Compiled it from the downloaded bytes/,
      );
      await page.close();
    });

    it('ready({ wasm: url }) fetches the URL given, not the one beside the bundle', async () => {
      ready();
      requested.length = 0;
      const { page, warnings } = await open('/');
      const got = (await page.evaluate(
        `import('/lstm-forward.js').then((m) => m.lstmForward({ wasm: '/assets/seqlab-kernels.wasm' }))`,
      )) as LstmResult;
      expect(got.backend.name).toBe('wasm');
      expect(got.output).toEqual(node.lstm.output);
      expect(requested.filter((path) => path.endsWith('.wasm'))).toEqual(['/assets/seqlab-kernels.wasm']);
      expect(warnings).toEqual([]);
      await page.close();
    });

    it("a page whose CSP has no 'wasm-unsafe-eval' warns naming it and runs js; ready('wasm') rejects", async () => {
      ready();
      const { page, warnings } = await open('/csp/');
      const got = (await page.evaluate(`(async () => {
        const m = await import('/lstm-forward.js');
        return { forward: await m.lstmForward(), wasm: await m.readyWasm() };
      })()`)) as { forward: LstmResult; wasm: { ok: boolean; error?: string } };
      expect(got.forward.backend.name).toBe('js');
      expect(got.forward.backend.reason).toMatch(
        /^default: the pure-TypeScript backend \(no wasm: compiling the WebAssembly kernels failed: .*Content Security Policy/,
      );
      // js and wasm round differently: close, not equal (float32 GEMMs accumulate in float64 in js).
      for (let i = 0; i < node.lstm.output.length; i++)
        expect(got.forward.output[i]).toBeCloseTo(node.lstm.output[i]!, 5);
      const cspWarnings = warnings.filter((w) => w.includes('wasm-unsafe-eval'));
      expect(cspWarnings).toHaveLength(1);
      expect(cspWarnings[0]).toMatch(
        /^BackendError: backend: expected a Content-Security-Policy that lets the page compile WebAssembly \('wasm-unsafe-eval' in script-src\), got one that refuses it \(.*\)\. Add 'wasm-unsafe-eval' to the script-src directive/,
      );
      expect(got.wasm.ok).toBe(false);
      expect(got.wasm.error).toMatch(
        /^BackendError: ready: expected a Content-Security-Policy that lets the page compile WebAssembly/,
      );
      await page.close();

      const allowed = await open('/csp-wasm/');
      const backend = await allowed.page.evaluate(
        `import('/lstm-forward.js').then(async (m) => (await m.lstmForward()).backend.name)`,
      );
      expect(backend).toBe('wasm');
      expect(allowed.warnings).toEqual([]);
      await allowed.page.close();
    });
  });
});
