import { version } from '../package.json';
import { DuplicatePackageError, type PackageCopy } from './errors';

// NOTE(one-copy): @seqlab/tensor holds state for the whole program: the backend registry, the
// default generator, the grad mode. A second copy in the same realm would hold its own, and the two
// would silently disagree (a backend set on one, a seed on the other, a Tensor that is no
// `instanceof Tensor` for the other copy's ops). In Node, `import` and `require` load one copy (see
// NOTE(one-copy-in-node) in tsup.config.base.ts); what remains is two installed versions or paths,
// or a bundle holding both the ES module and the CommonJS build. The first copy to load records
// itself under a global symbol; a copy from anywhere else throws a DuplicatePackageError naming
// both. The same file evaluated again (hot reload, `vi.resetModules`) takes the record over.

// The format tsup built this file for ('esm' or 'cjs'; see tsup.config.base.ts); undefined on src.
declare const __SEQLAB_BUILD__: string | undefined;

/** The version and location of this copy of @seqlab/tensor. */
export function thisCopy(): PackageCopy {
  const build = typeof __SEQLAB_BUILD__ === 'string' ? `${__SEQLAB_BUILD__} build` : 'source';
  return { version, location: `${codeLocation()} (${build})` };
}

/**
 * Records `copy` as the one copy of `packageName` in `realm` (the global object), or throws a
 * DuplicatePackageError if another copy, at another location, recorded itself first.
 */
export function claimSingleCopy(
  packageName: string,
  copy: PackageCopy,
  realm: Record<symbol, unknown> = globalThis as unknown as Record<symbol, unknown>,
): void {
  const key = Symbol.for(`${packageName} copy`);
  const first = realm[key];
  if (isCopy(first) && first.location !== copy.location)
    throw new DuplicatePackageError(packageName, first, copy);
  // A frozen global object (a hardened realm) has no room for the record: the check is skipped
  // there rather than making the package unloadable.
  if (!Object.isExtensible(realm) && !Object.hasOwn(realm, key)) return;
  Object.defineProperty(realm, key, {
    value: Object.freeze({ ...copy }),
    configurable: true,
    writable: false,
  });
}

function isCopy(value: unknown): value is PackageCopy {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.version === 'string' && typeof record.location === 'string';
}

// A file or URL with its line and column, as a stack frame shows it: V8's `(file:///a.js:1:2)` or
// `(/a.cjs:1:2)`, Firefox's and Safari's `f@https://x/a.js:1:2`, a Windows path. Paths may hold
// `@` (`node_modules/@seqlab/tensor`).
const FRAME = /(?:[a-z][a-z0-9+.-]*:\/\/[^\s()]+?|\/[^\s():]+|[A-Za-z]:\\[^\s():]+):\d+:\d+/i;

/** The first file or URL with a line and column in `stack`, or undefined. */
export function stackLocation(stack: string): string | undefined {
  return FRAME.exec(stack)?.[0];
}

/**
 * Where this code runs from: the file and the line of this function, from the stack. The line tells
 * two copies inside one bundle apart, which a file name alone (or `import.meta.url`, which the
 * CommonJS build would empty) cannot. Falls back to the CommonJS file name without a stack.
 */
function codeLocation(): string {
  const frame = stackLocation(new Error().stack ?? '');
  if (frame) return frame;
  return typeof __filename === 'string' ? __filename : 'an unknown location';
}
