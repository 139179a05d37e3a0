// The public surface of both entries, and the rule that keeps the main entry browser-safe: nothing
// reachable from src/index.ts imports a Node built-in or the Node-only modules.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tensor from '@seqlab/tensor';
import { describe, expect, it } from 'vitest';
import * as data from './index';
import * as node from './node';

const src = dirname(fileURLToPath(import.meta.url));

/** Every file reachable from `entry` through relative imports, with its import specifiers. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue = [resolve(src, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (graph.has(file)) continue;
    const code = readFileSync(file, 'utf8');
    const specifiers = [...code.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map((m) => m[1]);
    graph.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith('.')) queue.push(`${join(dirname(file), s)}.ts`);
  }
  return graph;
}

describe('@seqlab/data entry points', () => {
  it('keeps the main entry free of Node built-ins and of the node-only files', () => {
    const graph = importGraph('index.ts');
    expect(graph.size).toBeGreaterThan(10);
    for (const [file, specifiers] of graph) {
      const rel = file.slice(src.length + 1);
      expect(rel, rel).not.toMatch(/^readers\/|node\.ts$/);
      for (const s of specifiers)
        expect(s, `${rel} imports ${s}`).not.toMatch(/^node:|^(fs|path|crypto|stream)$/);
    }
  });

  it('pulls in no dataset from either entry (the built-in datasets are in @seqlab/datasets)', () => {
    for (const entry of ['index.ts', 'node.ts']) {
      for (const [file, specifiers] of importGraph(entry)) {
        for (const s of specifiers) expect(s, file).not.toMatch(/^@stdlib\/|^@seqlab\/datasets/);
      }
    }
  });

  it('imports shared classes into the node entry by package name, never by path', () => {
    for (const [file, specifiers] of importGraph('node.ts')) {
      for (const s of specifiers) expect(s, file).not.toMatch(/^\.\.\/(index|labels|vocab|dataset)$/);
    }
  });

  it('re-exports the packing functions of @seqlab/tensor (the same objects)', () => {
    expect(data.PackedSequence).toBe(tensor.PackedSequence);
    expect(data.padSequence).toBe(tensor.padSequence);
    expect(data.packSequence).toBe(tensor.packSequence);
    expect(data.packPaddedSequence).toBe(tensor.packPaddedSequence);
    expect(data.padPackedSequence).toBe(tensor.padPackedSequence);
  });

  it('exports the documented names', () => {
    expect(Object.keys(data).sort()).toEqual(
      [
        'BOS_TOKEN',
        'BPE_PATTERNS',
        'BPETokenizer',
        'CharTokenizer',
        'DEFAULT_BPE_PATTERN',
        'DEFAULT_WORD_PATTERN',
        'DataLoader',
        'EOS_TOKEN',
        'LabelMap',
        'PAD_TOKEN',
        'PackedSequence',
        'UNK_TOKEN',
        'Vocab',
        'WordTokenizer',
        'addingProblem',
        'copyTask',
        'packCollate',
        'packPaddedSequence',
        'packSequence',
        'padCollate',
        'padPackedSequence',
        'padSequence',
        'stratifiedSplit',
      ].sort(),
    );
    expect(Object.keys(node).sort()).toEqual(
      ['TextSource', 'readCsv', 'readFolder', 'readJsonl', 'readTsv'].sort(),
    );
  });
});
