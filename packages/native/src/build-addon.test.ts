// scripts/build-addon.mjs, the package's build step: without a working compiler (or without
// node-gyp) it warns loudly and exits 0, so `pnpm build` and installs keep working and the
// package reports the addon as missing at load.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { loadFrom } from './load';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** A copy of the package's build inputs in a fresh directory, with or without its node_modules. */
function copyPackage(withNodeModules: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'seqlab-native-build-'));
  for (const entry of ['binding.gyp', 'package.json', 'scripts', 'src/c']) {
    cpSync(join(packageRoot, entry), join(dir, entry), { recursive: true });
  }
  if (withNodeModules) symlinkSync(join(packageRoot, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

// NODE_PATH cleared: pnpm points it at its store, where node-gyp would be found.
const build = (dir: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(dir, 'scripts', 'build-addon.mjs')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, npm_config_node_gyp: '', NODE_PATH: '', ...env },
  });

test('without a C compiler the build warns loudly and succeeds, and loading reports why', () => {
  const dir = copyPackage(true);
  const result = build(dir, { CC: '/nonexistent/cc', CXX: '/nonexistent/c++' });
  expect(result.status).toBe(0);
  expect(result.stderr).toContain('@seqlab/native: the native addon was NOT built.');
  expect(result.stderr).toContain('It needs a C compiler');
  const addon = join(dir, 'build', 'Release', 'seqlab_native.node');
  expect(existsSync(addon)).toBe(false);
  expect(loadFrom([addon])).toMatchObject({ ok: false, reason: expect.stringContaining('not built') });
});

test('without node-gyp the build warns and succeeds', () => {
  const result = build(copyPackage(false));
  expect(result.status).toBe(0);
  expect(result.stderr).toContain('node-gyp was not found');
});

test("without @seqlab/tensor's C sources (the fused recurrence's cells) the build warns and succeeds", () => {
  // node-gyp resolves, @seqlab/tensor does not.
  const dir = copyPackage(false);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(packageRoot, 'node_modules', 'node-gyp'), join(dir, 'node_modules', 'node-gyp'));
  const result = build(dir);
  expect(result.status).toBe(0);
  expect(result.stderr).toContain('@seqlab/native: the native addon was NOT built.');
  expect(result.stderr).toContain("@seqlab/tensor's C sources (src/backend/wasm/recurrent.c) were not found");
  expect(existsSync(join(dir, 'build'))).toBe(false);
});

// The `install` step (build-addon.mjs --if-missing) of a package that ships a prebuild for this
// platform runs no node-gyp, so installing it needs no compiler; a prebuild of another platform
// does not count.
test('install skips node-gyp when prebuilds/<platform>-<arch>/ holds an addon, and only then', () => {
  const dir = copyPackage(false); // no node-gyp: a build attempt would warn
  const other = process.platform === 'linux' ? 'win32-x64' : 'linux-x64';
  mkdirSync(join(dir, 'prebuilds', other), { recursive: true });
  writeFileSync(join(dir, 'prebuilds', other, 'seqlab_native.node'), '');
  const install = () =>
    spawnSync(process.execPath, [join(dir, 'scripts', 'build-addon.mjs'), '--if-missing'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, npm_config_node_gyp: '', NODE_PATH: '' },
    });
  const withoutOwn = install();
  expect(withoutOwn.status).toBe(0);
  expect(withoutOwn.stderr).toContain('node-gyp was not found');

  const own = join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(own);
  writeFileSync(join(own, 'seqlab_native.node'), '');
  const withOwn = install();
  expect(withOwn.status).toBe(0);
  expect(withOwn.stdout + withOwn.stderr).toBe('');
  expect(existsSync(join(dir, 'build'))).toBe(false);
});

// The prepack step (prebuild.mjs --copy) ships the addon `pnpm build` made as this platform's
// prebuild, and without one says loudly what the tarball will hold instead of failing the pack.
test('prebuild --copy copies build/Release into prebuilds/<platform>-<arch>/, or warns naming what ships', () => {
  const dir = copyPackage(false);
  const prebuild = () =>
    spawnSync(process.execPath, [join(dir, 'scripts', 'prebuild.mjs'), '--copy'], {
      cwd: dir,
      encoding: 'utf8',
    });
  const missing = prebuild();
  expect(missing.status).toBe(0);
  expect(missing.stderr).toContain(`no addon to copy into prebuilds/${process.platform}-${process.arch}/`);
  expect(missing.stderr).toContain('The package will ship the prebuilds: none.');

  mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
  writeFileSync(join(dir, 'build', 'Release', 'seqlab_native.node'), 'the addon');
  const copied = prebuild();
  expect(copied.status).toBe(0);
  const target = join(dir, 'prebuilds', `${process.platform}-${process.arch}`, 'seqlab_native.node');
  expect(readFileSync(target, 'utf8')).toBe('the addon');
  expect(readdirSync(dirname(target))).toEqual(['seqlab_native.node']);
});
