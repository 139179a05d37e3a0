// Loading and registering: a missing or broken addon is a reason, never an exception at import;
// registerNative sizes the pool and becomes the default unless SEQLAB_BACKEND or setBackend chose;
// SEQLAB_BACKEND=native waits for registerNative and fails loudly without it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, getBackend, listBackends, setBackend } from '@seqlab/tensor';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { addonCandidates, loadFrom, loadNative } from './load';
import { nativeStatus, registerNative, resolveThreads, setNativeThreads } from './register';

const load = loadNative();
const skipped = load.ok ? '' : ` (skipped: ${load.reason})`;

describe('loading the addon', () => {
  // node-gyp-build's order: a local build (npm rebuild, or the workspace's `pnpm build`) wins over
  // the binary shipped in the package, so a prebuild left by `pnpm pack` never shadows a rebuilt addon.
  test('looks in build/Release/ first, then prebuilds/<platform>-<arch>/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqlab-native-candidates-'));
    const prebuilds = join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
    mkdirSync(prebuilds, { recursive: true });
    writeFileSync(join(prebuilds, 'seqlab_native.node'), '');
    writeFileSync(join(prebuilds, 'README.md'), '');
    expect(addonCandidates(dir)).toEqual([
      join(dir, 'build', 'Release', 'seqlab_native.node'),
      join(prebuilds, 'seqlab_native.node'),
    ]);
    expect(addonCandidates('/pkg')).toEqual(['/pkg/build/Release/seqlab_native.node']);
  });

  test('a missing addon is a reason naming the build command, not an exception', () => {
    const result = loadFrom(['/nowhere/prebuilds/x/a.node', '/nowhere/build/Release/seqlab_native.node']);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain('the addon is not built');
      expect(result.reason).toContain('pnpm --filter @seqlab/native build:addon');
    }
  });

  test('a file that is not an addon is a reason with the loader’s message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqlab-native-'));
    const file = join(dir, 'broken.node');
    writeFileSync(file, 'not an ELF file');
    const result = loadFrom([file]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^loading .*broken\.node failed: /);
  });
});

describe('SEQLAB_THREADS and the threads option', () => {
  test('the option wins, then SEQLAB_THREADS, then the available cores', () => {
    expect(resolveThreads(3, '5')).toBe(3);
    expect(resolveThreads(undefined, '5')).toBe(5);
    expect(resolveThreads(undefined, ' 2 ')).toBe(2);
    expect(resolveThreads(undefined, undefined)).toBe(availableParallelism());
    expect(resolveThreads(undefined, '')).toBe(availableParallelism());
  });

  test('a bad value is a ConfigError naming where it came from', () => {
    expect(() => resolveThreads(undefined, 'four')).toThrow(ConfigError);
    expect(() => resolveThreads(undefined, 'four')).toThrow(
      "SEQLAB_THREADS: expected an integer from 1 to 1024, got 'four'",
    );
    expect(() => resolveThreads(undefined, '0')).toThrow(
      'SEQLAB_THREADS: expected an integer from 1 to 1024, got 0',
    );
    expect(() => resolveThreads(1.5)).toThrow(
      'registerNative: threads: expected an integer from 1 to 1024, got 1.5',
    );
    expect(() => registerNative({ threads: 0 })).toThrow(ConfigError);
  });
});

describe.skipIf(!load.ok)(`registering the native backend${skipped}`, () => {
  const initial = getBackend().name;
  const threads = load.ok ? load.addon.threads() : 1;
  afterAll(() => {
    setBackend(initial);
    if (load.ok) load.addon.setThreads(threads);
  });

  test('registers `native` and reports what it runs on', () => {
    const status = registerNative({ threads: 2, default: false });
    expect(status).toMatchObject({ ok: true, threads: 2 });
    expect(listBackends()).toContain('native');
    expect(nativeStatus()).toEqual(status);
    setNativeThreads(1);
    expect(nativeStatus()).toMatchObject({ threads: 1 });
    expect(() => setNativeThreads(0)).toThrow('setNativeThreads: expected an integer from 1 to 1024, got 0');
  });

  test('retainFreedMemory sets malloc’s policy only when asked (memory.test.ts: what it does)', () => {
    if (!load.ok) return;
    // Not called through: this process's allocator stays as it is (memory.test.ts uses child processes).
    const spy = vi.spyOn(load.addon, 'retainFreedMemory').mockReturnValue(true);
    try {
      registerNative({ default: false });
      registerNative({ default: false, retainFreedMemory: false });
      expect(spy).not.toHaveBeenCalled();
      registerNative({ default: false, retainFreedMemory: true });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  // A fresh process for each: the default is decided once per process.
  const packageRoot = fileURLToPath(new URL('..', import.meta.url));
  const run = (env: Record<string, string>, register: boolean) =>
    execFileSync(
      process.execPath,
      [
        '--conditions=@seqlab/source',
        '--import',
        'tsx',
        '-e',
        `(async () => {
          const t = await import('@seqlab/tensor');
          const n = await import('@seqlab/native');
          ${register ? 'n.registerNative();' : ''}
          try { console.log(JSON.stringify(t.getBackend())); } catch (e) { console.log(e.name + ': ' + e.message); }
        })()`,
      ],
      {
        cwd: packageRoot,
        env: { ...process.env, SEQLAB_BACKEND: '', SEQLAB_THREADS: '', ...env },
        encoding: 'utf8',
      },
    ).trim();

  test('becomes the default when registered, unless SEQLAB_BACKEND chose another', () => {
    const isa = load.ok ? load.addon.gemmInfo().isa : '';
    expect(JSON.parse(run({}, true))).toEqual({
      name: 'native',
      reason: `default: the native addon loaded (${isa}, ${availableParallelism()} threads)`,
    });
    expect(JSON.parse(run({ SEQLAB_THREADS: '1' }, true)).reason).toMatch(/, 1 threads\)$/);
    expect(JSON.parse(run({ SEQLAB_BACKEND: 'js' }, true))).toEqual({
      name: 'js',
      reason: 'selected with SEQLAB_BACKEND=js',
    });
  });

  test('SEQLAB_BACKEND=native selects it once registered, and fails loudly when it never is', () => {
    expect(JSON.parse(run({ SEQLAB_BACKEND: 'native' }, true))).toEqual({
      name: 'native',
      reason: 'selected with SEQLAB_BACKEND=native',
    });
    expect(run({ SEQLAB_BACKEND: 'native' }, false)).toBe(
      "BackendError: SEQLAB_BACKEND: expected one of js, wasm, got 'native'. It registers when the application calls `registerNative()` from '@seqlab/native' (the seqlab CLI does)",
    );
  });
});
