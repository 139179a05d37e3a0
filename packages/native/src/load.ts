import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDON_FUNCTIONS, type NativeAddon } from './addon';

/** What `loadNative` returns: the addon and the file it came from, or why there is none. */
export type NativeLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

// The package root: one level above src/ (running from source) and dist/ (built).
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where the addon is looked for, in order (node-gyp-build's convention): the one `node-gyp` built in
 * build/Release/ (`npm rebuild`, or the workspace's build), then a prebuilt binary shipped in the
 * package's prebuilds/<platform>-<arch>/ (installs without a compiler). A local build wins, so a
 * prebuild copied there by `pnpm pack` never shadows a rebuilt addon.
 */
export function addonCandidates(packageRoot = root): string[] {
  const prebuilds = join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  const prebuilt = existsSync(prebuilds)
    ? readdirSync(prebuilds)
        .filter((file) => file.endsWith('.node'))
        .sort()
        .map((file) => join(prebuilds, file))
    : [];
  return [join(packageRoot, 'build', 'Release', 'seqlab_native.node'), ...prebuilt];
}

let cached: NativeLoad | undefined;

/**
 * Loads the compiled addon once. Never throws: a missing binary, one built for another Node ABI
 * or CPU, or one missing a function comes back as `{ ok: false, reason }`.
 */
export function loadNative(): NativeLoad {
  cached ??= loadFrom(addonCandidates());
  return cached;
}

/** Loads the first existing candidate (exported for tests). */
export function loadFrom(candidates: readonly string[]): NativeLoad {
  const path = candidates.find((file) => existsSync(file));
  if (!path) {
    return {
      ok: false,
      reason:
        `the addon is not built (looked for ${candidates.map((file) => relativeToRoot(file)).join(', ')}): ` +
        'build it with `npm rebuild @seqlab/native` (pnpm blocks install scripts: `pnpm approve-builds`, then ' +
        '`pnpm rebuild @seqlab/native`; in the seqlab repository `pnpm --filter @seqlab/native build:addon`), ' +
        'which needs a C compiler, make and Python 3',
    };
  }
  let addon: NativeAddon;
  try {
    addon = createRequire(join(root, 'package.json'))(path) as NativeAddon;
  } catch (e) {
    return { ok: false, reason: `loading ${relativeToRoot(path)} failed: ${(e as Error).message}` };
  }
  const missing = ADDON_FUNCTIONS.filter((name) => typeof addon[name] !== 'function');
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `${relativeToRoot(path)} is stale (no ${missing.join(', ')}): rebuild it with \`pnpm --filter @seqlab/native build:addon\``,
    };
  }
  return { ok: true, addon, path };
}

function relativeToRoot(file: string): string {
  return file.startsWith(root) ? file.slice(root.length + 1) : file;
}
