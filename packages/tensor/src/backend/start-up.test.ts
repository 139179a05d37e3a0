// Backend start-up (NOTE(backend-start-up) in registry.ts): nothing compiles at import, `ready()`
// compiles the wasm kernels asynchronously, Node's synchronous first use still gets wasm, the
// ES module build (kernel-bytes.browser.ts) needs `ready()`, which fetches kernels.wasm and
// compiles it streaming (a wrong Content-Type: a warning and the bytes compiled; a missing file:
// a warning naming it, and js), `ready({ wasm })` takes the application's URL, bytes or module,
// and a Content-Security-Policy that refuses WebAssembly is a warning or a rejection naming
// 'wasm-unsafe-eval', never a quiet js.
// The same in a real page (headless Chromium, main thread, Worker, CSP):
// tools/pack-smoke/browser-bundle.slow.test.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { isCspRefusal } from './wasm/module';

/** The kernels.wasm the ES module build fetches (beside kernel-bytes.browser.ts in the sources). */
const KERNELS_URL = new URL('./wasm/kernels.wasm', import.meta.url).href;

/** Chromium's words when a page's CSP has no 'wasm-unsafe-eval' (Chromium 14x; the Chromium test checks them). */
const CHROMIUM_CSP =
  "WebAssembly.compile(): Compiling or instantiating WebAssembly module violates the following Content Security policy directive because 'unsafe-eval' is not an allowed source of script in the following Content Security Policy directive: \"script-src 'self'\".";

/** The real WebAssembly, except that compiling (sync, async or both) throws `error`. */
function refusingWebAssembly(error: () => Error, which: { sync: boolean; async: boolean }) {
  const real = WebAssembly;
  return {
    validate: real.validate,
    Memory: real.Memory,
    Instance: real.Instance,
    instantiate: real.instantiate,
    CompileError: real.CompileError,
    compile: which.async ? () => Promise.reject(error()) : real.compile,
    compileStreaming: which.async ? () => Promise.reject(error()) : real.compileStreaming,
    Module: which.sync
      ? function Module() {
          throw error();
        }
      : real.Module,
  };
}

/**
 * A static server's `fetch` over the files of this repository (Node's fetch has no `file:`): a
 * `file:` URL answers with the file, as `contentType`, or with a 404 when it does not exist; the
 * URLs asked for are in `fetched`.
 */
function fileServer(contentType = 'application/wasm') {
  const fetched: string[] = [];
  const fetchFile = async (input: string | URL) => {
    const url = String(input);
    fetched.push(url);
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = new Uint8Array(readFileSync(fileURLToPath(url)));
    } catch {
      return new Response(null, { status: 404, statusText: 'Not Found' });
    }
    return new Response(body, { headers: { 'content-type': contentType } });
  };
  return { fetched, fetch: vi.fn(fetchFile) };
}

/**
 * A fresh copy of @seqlab/tensor (its registry in its start-up state), as the ES module build
 * (`browserBuild`: the kernels are kernels.wasm, fetched by `ready()` through `fetch`, by default a
 * fileServer) or Node's, with `webAssembly` in place of the global and `SEQLAB_BACKEND` set.
 */
async function fresh(
  options: {
    browserBuild?: boolean;
    webAssembly?: object;
    env?: string;
    fetch?: (url: string | URL) => Promise<Response>;
  } = {},
): Promise<typeof import('@seqlab/tensor')> {
  vi.resetModules();
  if (options.browserBuild) {
    vi.doMock('./wasm/kernel-bytes', () => import('./wasm/kernel-bytes.browser'));
    vi.stubGlobal('fetch', options.fetch ?? fileServer().fetch);
  } else {
    vi.doUnmock('./wasm/kernel-bytes');
  }
  if (options.webAssembly) vi.stubGlobal('WebAssembly', options.webAssembly);
  vi.stubEnv('SEQLAB_BACKEND', options.env ?? '');
  return import('@seqlab/tensor');
}

/**
 * The real WebAssembly, counting its compilations of the kernels (sync, async and streaming; not
 * those of Node's own fetch, which compiles an HTTP parser of its own).
 */
function countingWebAssembly() {
  const real = WebAssembly;
  const ours = (bytes: BufferSource) => bytes.byteLength === readFileSync(fileURLToPath(KERNELS_URL)).length;
  const calls = { Module: 0, compile: 0, compileStreaming: 0 };
  const webAssembly = {
    ...Object.fromEntries(Object.getOwnPropertyNames(real).map((key) => [key, Reflect.get(real, key)])),
    Module: Object.assign(
      function Module(bytes: BufferSource) {
        calls.Module += Number(ours(bytes));
        return new real.Module(bytes);
      },
      { prototype: real.Module.prototype },
    ),
    compile: (bytes: BufferSource) => {
      calls.compile += Number(ours(bytes));
      return real.compile(bytes);
    },
    compileStreaming: (response: Response | PromiseLike<Response>) => {
      calls.compileStreaming++;
      return real.compileStreaming(response);
    },
  };
  return { calls, webAssembly };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  vi.doUnmock('./wasm/kernel-bytes');
  vi.restoreAllMocks();
});

/** A float32 matmul big enough for the wasm GEMM, the same numbers on every call. */
function product(t: typeof import('@seqlab/tensor')): number[] {
  const a = t.arange(0, 24).reshape([4, 6]).div(7);
  const b = t.arange(0, 30).reshape([6, 5]).div(11);
  return (t.matmul(a, b).toArray() as number[][]).flat();
}

describe('in Node (the CommonJS build, and the sources)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  /** Counts WebAssembly's compile calls in a fresh process, around `script`. */
  const counted = (script: string) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--conditions=@seqlab/source',
          '--import',
          'tsx',
          '-e',
          `(async () => {
            // Only our module counts (tsx and Node compile lexers of their own).
            const { KERNELS_BASE64 } = await import('./src/backend/wasm/kernels.ts');
            const ours = (bytes) => bytes.byteLength === atob(KERNELS_BASE64).length;
            const calls = { Module: 0, compile: 0 };
            const { Module, compile } = WebAssembly;
            WebAssembly.Module = function (bytes) { calls.Module += ours(bytes); return new Module(bytes); };
            WebAssembly.compile = (bytes) => { calls.compile += ours(bytes); return compile(bytes); };
            const t = await import('@seqlab/tensor');
            const seen = [{ ...calls }];
            ${script}
            console.log(JSON.stringify(seen));
          })()`,
        ],
        { cwd: root, env: { ...process.env, SEQLAB_BACKEND: '' }, encoding: 'utf8' },
      ),
    );

  test('importing compiles nothing; the first op compiles the kernels synchronously, once', () => {
    const seen = counted(`
      seen.push(t.listBackends(), { ...calls });
      t.tensor([1, 2]).add(1);
      t.tensor([1, 2]).add(1);
      seen.push({ ...calls }, t.getBackend().name);`);
    expect(seen).toEqual([
      { Module: 0, compile: 0 },
      ['js', 'wasm'],
      { Module: 0, compile: 0 },
      { Module: 1, compile: 0 },
      'wasm',
    ]);
  });

  test('await ready() compiles them asynchronously (WebAssembly.compile), and only once', () => {
    const seen = counted(`
      const [a, b] = await Promise.all([t.ready(), t.ready()]);
      t.tensor([1, 2]).add(1);
      seen.push(a, b, { ...calls });`);
    expect(seen.slice(1)).toEqual([
      { name: 'wasm', reason: 'default: WebAssembly SIMD is available (float64 work runs in js)' },
      { name: 'wasm', reason: 'default: WebAssembly SIMD is available (float64 work runs in js)' },
      { Module: 0, compile: 1 },
    ]);
  });
});

describe('the ES module build (what a bundler gives a browser)', () => {
  test('ops before ready() run js with one warning; ready() then fetches kernels.wasm and compiles it streaming, same numbers as Node', async () => {
    const node = await fresh();
    expect(node.getBackend().name).toBe('wasm');
    const want = product(node);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const server = fileServer();
    const { calls, webAssembly } = countingWebAssembly();
    const t = await fresh({ browserBuild: true, fetch: server.fetch, webAssembly });
    expect(t.listBackends()).toEqual(['js', 'wasm']);
    expect(t.getBackend()).toEqual({
      name: 'js',
      reason: 'default: the pure-TypeScript backend, until `await ready()` compiles the wasm kernels',
    });
    t.tensor([1]).add(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toContain("Call `await ready('wasm')`");
    expect(() => t.setBackend('wasm')).toThrow(
      "setBackend: expected the wasm kernels compiled, got a synchronous call before they were (this build loads the WebAssembly kernels asynchronously). Call `await ready('wasm')`",
    );
    expect(server.fetched).toEqual([]);
    expect(await t.ready()).toEqual({
      name: 'wasm',
      reason: 'default: WebAssembly SIMD is available (float64 work runs in js)',
    });
    expect(server.fetched).toEqual([KERNELS_URL]);
    expect(calls).toEqual({ Module: 0, compile: 0, compileStreaming: 1 });
    expect(product(t)).toEqual(want);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test("ready('wasm') selects wasm; setBackend('wasm') works once the kernels are compiled", async () => {
    const t = await fresh({ browserBuild: true });
    expect(await t.ready('wasm')).toEqual({ name: 'wasm', reason: "selected with setBackend('wasm')" });
    t.setBackend('js');
    t.setBackend('wasm');
    expect(t.getBackend().name).toBe('wasm');
  });

  test('a server that sends kernels.wasm with the wrong Content-Type: wasm all the same, and one warning saying why', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { calls, webAssembly } = countingWebAssembly();
    const t = await fresh({
      browserBuild: true,
      fetch: fileServer('application/octet-stream').fetch,
      webAssembly,
    });
    expect((await t.ready()).name).toBe('wasm');
    // compileStreaming refused the response; the bytes were compiled instead.
    expect(calls).toEqual({ Module: 0, compile: 1, compileStreaming: 1 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(
      /^BackendError: ready: expected file:\/\/.*\/kernels\.wasm served as application\/wasm, got 'application\/octet-stream' \(.+\)\. Compiled it from the downloaded bytes instead of while downloading$/,
    );
    await t.ready();
    expect(t.tensor([1, 2]).add(1).toArray()).toEqual([2, 3]);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test('a kernels.wasm that is not there: the default warns naming its URL and how to serve it, and runs js', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const missing = async (url: string | URL) => {
      expect(String(url)).toBe(KERNELS_URL);
      return new Response('not here', { status: 404, statusText: 'Not Found' });
    };
    const t = await fresh({ browserBuild: true, fetch: vi.fn(missing) });
    const info = await t.ready();
    expect(info).toEqual({
      name: 'js',
      reason: `default: the pure-TypeScript backend (no wasm: loading the WebAssembly kernels failed: fetching ${KERNELS_URL} failed: HTTP 404 Not Found)`,
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toBe(
      `BackendError: backend: expected the wasm kernels to compile, got 'wasm' (loading the WebAssembly kernels failed: fetching ${KERNELS_URL} failed: HTTP 404 Not Found). Copy node_modules/@seqlab/tensor/dist/kernels.wasm beside the bundle (Vite and webpack do, esbuild does not), or pass its URL or bytes to ready({ wasm })`,
    );
    await expect(t.ready('wasm')).rejects.toThrow(
      `ready: expected the wasm kernels to compile, got 'wasm' (loading the WebAssembly kernels failed: fetching ${KERNELS_URL} failed: HTTP 404 Not Found)`,
    );
    const offline = await fresh({
      browserBuild: true,
      fetch: vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    });
    await expect(offline.ready('wasm')).rejects.toThrow(`fetching ${KERNELS_URL} failed: Failed to fetch)`);
  });

  const kernelsFile = () => new Uint8Array(readFileSync(fileURLToPath(KERNELS_URL)));
  test.each([
    ['a URL', () => new URL('https://cdn.example/seqlab/k.wasm'), ['https://cdn.example/seqlab/k.wasm']],
    ['a string URL', () => 'https://cdn.example/seqlab/k.wasm', ['https://cdn.example/seqlab/k.wasm']],
    [
      'a Response',
      () => new Response(kernelsFile(), { headers: { 'content-type': 'application/wasm' } }),
      [],
    ],
    ['the bytes (a Uint8Array)', () => new Uint8Array(kernelsFile()), []],
    ['the bytes (an ArrayBuffer)', () => new Uint8Array(kernelsFile()).buffer, []],
    ['a compiled WebAssembly.Module', () => new WebAssembly.Module(kernelsFile()), []],
  ])(
    "ready({ wasm: %s }) compiles the application's kernels, not the build's",
    async (_, source, fetched) => {
      const cdn = { fetched: [] as string[] };
      const fetchCdn = vi.fn(async (url: string | URL) => {
        cdn.fetched.push(String(url));
        return new Response(kernelsFile(), { headers: { 'content-type': 'application/wasm' } });
      });
      const t = await fresh({ browserBuild: true, fetch: fetchCdn });
      expect(await t.ready({ wasm: source() })).toEqual({
        name: 'wasm',
        reason: 'default: WebAssembly SIMD is available (float64 work runs in js)',
      });
      expect(cdn.fetched).toEqual(fetched);
      // A later source is not used: the kernels are compiled.
      expect((await t.ready({ backend: 'wasm', wasm: 'https://elsewhere.example/k.wasm' })).name).toBe(
        'wasm',
      );
      expect(cdn.fetched).toEqual(fetched);
    },
  );

  test('ready({ wasm }) in Node: the bytes given, before the first op', async () => {
    const t = await fresh();
    const { calls, webAssembly } = countingWebAssembly();
    vi.stubGlobal('WebAssembly', webAssembly);
    expect((await t.ready({ wasm: new Uint8Array(kernelsFile()) })).name).toBe('wasm');
    expect(calls).toEqual({ Module: 0, compile: 1, compileStreaming: 0 });
  });

  test('ready({ wasm }) with a module that is not the kernels: the default warns and runs js', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // The smallest valid module: the magic number and version, no sections.
    const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    const t = await fresh({ browserBuild: true });
    expect((await t.ready({ wasm: empty })).reason).toBe(
      "default: the pure-TypeScript backend (no wasm: the WebAssembly module given is not seqlab's kernels: it has no export gemm_packed, pack_b, transpose, recurrent_forward, recurrent_backward, recurrent_infer, act_exp, act_sigmoid, act_tanh, adam_step, add_bias, sum_rows, sum_squares, dropout, __heap_base)",
    );
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test("ready's options are checked: a ConfigError for an unknown key or a wasm that is no source", async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = await fresh({ browserBuild: true });
    await expect(t.ready({ wsam: 'k.wasm' } as never)).rejects.toThrow(
      "ready: expected options among backend, wasm, got unknown option 'wsam'. Did you mean wasm?",
    );
    await expect(t.ready({ wasm: 42 } as never)).rejects.toThrow(t.ConfigError);
    await expect(t.ready({ wasm: 42 } as never)).rejects.toThrow(
      'ready: expected wasm: a URL, a Response, bytes or a WebAssembly.Module, got the number 42',
    );
    await expect(t.ready({ backend: 'cuda' })).rejects.toThrow(
      "setBackend: expected one of js, wasm, got 'cuda'",
    );
    expect(t.getBackend().name).toBe('js');
  });

  test('a main thread that refuses to compile synchronously (RangeError) still gets wasm from ready()', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const sizeLimit = () =>
      new RangeError(
        'WebAssembly.Module(): Buffer size exceeds 4KB limit for sync compile, use WebAssembly.compile instead',
      );
    const t = await fresh({ webAssembly: refusingWebAssembly(sizeLimit, { sync: true, async: false }) });
    expect(t.getBackend().name).toBe('js');
    expect(warn).toHaveBeenCalledTimes(1);
    expect((await t.ready()).name).toBe('wasm');
  });
});

describe("a Content-Security-Policy without 'wasm-unsafe-eval' (NOTE(wasm-csp))", () => {
  const csp = () =>
    refusingWebAssembly(() => new WebAssembly.CompileError(CHROMIUM_CSP), { sync: true, async: true });
  const directive =
    "expected a Content-Security-Policy that lets the page compile WebAssembly ('wasm-unsafe-eval' in script-src), got one that refuses it (compiling the WebAssembly kernels failed: WebAssembly.compile(): Compiling or instantiating";

  test('the default warns once with a BackendError naming the directive, and runs js', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = await fresh({ browserBuild: true, webAssembly: csp() });
    const info = await t.ready();
    expect(info.name).toBe('js');
    expect(info.reason).toMatch(
      /^default: the pure-TypeScript backend \(no wasm: compiling the WebAssembly kernels failed: .*Content Security Policy/,
    );
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toContain(`BackendError: backend: ${directive}`);
    expect(warn.mock.calls[0]![0]).toContain("Add 'wasm-unsafe-eval' to the script-src directive");
    await t.ready();
    expect(t.tensor([1, 2]).add(1).toArray()).toEqual([2, 3]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(t.listBackends()).toEqual(['js']);
  });

  test("ready('wasm') rejects and setBackend('wasm') throws, with that BackendError", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = await fresh({ browserBuild: true, webAssembly: csp() });
    const rejected = await t.ready('wasm').catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(t.BackendError);
    expect((rejected as Error).message).toContain(`ready: ${directive}`);
    expect(() => t.setBackend('wasm')).toThrow(`setBackend: ${directive}`);
    // The default then runs js, and says so once.
    expect(t.getBackend().name).toBe('js');
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test('Node build, synchronous first use: the same warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const t = await fresh({ webAssembly: csp() });
    expect(t.tensor([1, 2]).add(1).toArray()).toEqual([2, 3]);
    expect(t.getBackend().name).toBe('js');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toContain("'wasm-unsafe-eval'");
  });

  test('SEQLAB_BACKEND=wasm (an explicit choice) rejects instead of warning', async () => {
    const t = await fresh({ webAssembly: csp(), env: 'wasm' });
    await expect(t.ready()).rejects.toThrow(`ready: ${directive}`);
    expect(() => t.tensor([1]).add(1)).toThrow(t.BackendError);
  });

  test('isCspRefusal knows the browsers’ words and nothing else', () => {
    expect(isCspRefusal(new WebAssembly.CompileError(CHROMIUM_CSP))).toBe(true);
    expect(isCspRefusal(new Error('call to WebAssembly.compile() blocked by CSP'))).toBe(true);
    expect(isCspRefusal(new EvalError('Wasm code generation disallowed by embedder'))).toBe(true);
    expect(isCspRefusal(new WebAssembly.CompileError('WebAssembly.Module(): invalid opcode'))).toBe(false);
    expect(isCspRefusal(new RangeError('WebAssembly.Module(): Buffer size exceeds 4KB'))).toBe(false);
  });
});
