// The one-copy rule (NOTE(one-copy)) on a scratch realm object; the pack smoke test loads real
// copies from the packed tarballs.
import { describe, expect, it } from 'vitest';
import { DuplicatePackageError } from './errors';
import { getBackend } from './index';
import { claimSingleCopy, stackLocation, thisCopy } from './single-copy';

const first = { version: '0.1.0', location: '/app/node_modules/@seqlab/tensor/dist/index.cjs' };
const second = {
  version: '0.2.0',
  location: '/app/node_modules/x/node_modules/@seqlab/tensor/dist/index.cjs',
};

describe('claimSingleCopy', () => {
  it('lets the first copy load, and the same file load again', () => {
    const realm = {};
    claimSingleCopy('@seqlab/tensor', first, realm);
    claimSingleCopy('@seqlab/tensor', { ...first }, realm);
    expect(Object.getOwnPropertySymbols(realm).map(String)).toEqual(['Symbol(@seqlab/tensor copy)']);
  });

  it('refuses a second copy from another location with a DuplicatePackageError naming both', () => {
    const realm = {};
    claimSingleCopy('@seqlab/tensor', first, realm);
    let error: unknown;
    try {
      claimSingleCopy('@seqlab/tensor', second, realm);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DuplicatePackageError);
    const e = error as DuplicatePackageError;
    expect(e.message).toBe(
      'import @seqlab/tensor: expected one copy of @seqlab/tensor per realm, got a second one, ' +
        `0.2.0 at ${second.location}, beside 0.1.0 at ${first.location}. Install one version ` +
        '(`npm ls @seqlab/tensor`: the other @seqlab packages take it as a peer dependency), and let a ' +
        'bundler include either its ES module or its CommonJS build, not both',
    );
    expect([e.packageName, e.first, e.second]).toEqual(['@seqlab/tensor', first, second]);
    // The same version at another path is still a second copy.
    expect(() =>
      claimSingleCopy('@seqlab/tensor', { ...first, location: '/elsewhere/index.cjs' }, realm),
    ).toThrow(DuplicatePackageError);
  });

  it('keeps packages apart, and overwrites a global that is not a copy record', () => {
    const realm: Record<symbol, unknown> = { [Symbol.for('@seqlab/tensor copy')]: 'junk' };
    claimSingleCopy('@seqlab/tensor', first, realm);
    claimSingleCopy('@seqlab/layers', second, realm);
    expect(realm[Symbol.for('@seqlab/tensor copy')]).toEqual(first);
  });

  it('loads in a frozen realm, where there is nowhere to record a copy', () => {
    const realm = Object.freeze({});
    claimSingleCopy('@seqlab/tensor', first, realm);
    claimSingleCopy('@seqlab/tensor', second, realm);
    expect(Object.getOwnPropertySymbols(realm)).toEqual([]);
  });

  it('knows its own version and file, and has recorded itself in this realm', () => {
    const copy = thisCopy();
    expect(copy.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(copy.location).toMatch(/single-copy\.ts:\d+:\d+ \(source\)$/);
    expect(getBackend().name).toEqual(expect.any(String)); // the registry has loaded
    const recorded = (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('@seqlab/tensor copy')];
    expect(recorded).toEqual(copy);
  });
});

describe('stackLocation', () => {
  it.each([
    [
      'V8, CommonJS under node_modules/@seqlab',
      'Error\n    at codeLocation (/app/node_modules/@seqlab/tensor/dist/chunk-A.cjs:998:28)\n    at f (/x.js:1:1)',
      '/app/node_modules/@seqlab/tensor/dist/chunk-A.cjs:998:28',
    ],
    [
      'V8, an ES module',
      'Error\n    at codeLocation (file:///app/node_modules/@seqlab/tensor/dist/chunk-B.js:996:28)',
      'file:///app/node_modules/@seqlab/tensor/dist/chunk-B.js:996:28',
    ],
    ['V8, anonymous frame', 'Error\n    at /srv/bundle.js:12:3', '/srv/bundle.js:12:3'],
    [
      'Firefox and Safari',
      'codeLocation@https://unpkg.com/@seqlab/tensor@0.1.0/dist/index.js:40:9\n@https://x/y.js:1:1',
      'https://unpkg.com/@seqlab/tensor@0.1.0/dist/index.js:40:9',
    ],
    [
      'Windows',
      'Error\n    at codeLocation (C:\\app\\node_modules\\@seqlab\\tensor\\dist\\chunk-A.cjs:5:7)',
      'C:\\app\\node_modules\\@seqlab\\tensor\\dist\\chunk-A.cjs:5:7',
    ],
  ])('%s', (_, stack, location) => {
    expect(stackLocation(stack)).toBe(location);
  });

  it('finds nothing in a stack without frames', () => {
    expect(stackLocation('Error')).toBeUndefined();
  });
});
