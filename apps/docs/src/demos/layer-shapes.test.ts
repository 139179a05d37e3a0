// Guide 6's shapes, checked against PyTorch: the trailing comments of the PyTorch snippet
// (layer-shapes.py) and of its seqlab twin (snippetShapes) against what PyTorch 1.13 printed for the
// snippet (fixtures/layer-shapes.json, written by `/usr/bin/python3 tools/fixtures/gen_layer_shapes.py`),
// seqlab's computed shapes against the same lines, and, when /usr/bin/python3 has torch, the
// snippet run again now.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layerShapes, snippetShapes } from './layer-shapes';

const PYTHON = '/usr/bin/python3';
const SNIPPET = fileURLToPath(new URL('./layer-shapes.py', import.meta.url));
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../fixtures/layer-shapes.json', import.meta.url)), 'utf8'),
) as { torch: string; lines: string[]; parameters: Record<'lstm' | 'gru' | 'rnn', [string, number[]][]> };

function torchMissing(): string | null {
  if (!existsSync(PYTHON)) return `no ${PYTHON}`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `${PYTHON} has no torch (apt-get install -y python3-torch)`;
}
const missing = torchMissing();
if (missing) console.warn(`layer-shapes.test.ts: SKIPPED the fresh PyTorch run: ${missing}`);

/** The shapes a line states, in order: `lstm [5, 3, 20] [1, 3, 20]` -> ['[5, 3, 20]', '[1, 3, 20]']. */
const shapesIn = (line: string) => line.match(/\[[\d, ]*\]/g) ?? [];

/** The trailing `# …` (Python) or `// […]` (TypeScript) comment of every line that prints shapes. */
function statedComments(file: string, marker: RegExp): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /print\(|lines\.push\(/.test(line))
    .map((line) => line.match(marker)?.[1] ?? `(no comment on: ${line.trim()})`);
}

describe('guide 6: the PyTorch snippet and its seqlab twin', () => {
  it('states in its comments exactly what PyTorch printed (the fixture)', () => {
    expect(fixture.torch).toMatch(/^1\.13/);
    expect(fixture.lines).toHaveLength(6);
    expect(statedComments(SNIPPET, /\)\s+# (.+)$/)).toEqual(fixture.lines);
  });

  it('seqlab prints the same lines as PyTorch', () => {
    expect(snippetShapes()).toEqual(fixture.lines);
  });

  it("states in the seqlab code's comments the shapes PyTorch printed", () => {
    const file = fileURLToPath(new URL('./layer-shapes.ts', import.meta.url));
    const stated = statedComments(file, /; \/\/ (\[.+)$/);
    expect(stated.map(shapesIn)).toEqual(fixture.lines.map(shapesIn));
  });

  it("states in the guide's table the shapes PyTorch printed, case by case", () => {
    const guide = readFileSync(
      fileURLToPath(new URL('../../guides/stacked-bidirectional.md', import.meta.url)),
      'utf8',
    );
    // | `case` | PyTorch | seqlab | output | hN | cN |: the case's name and the shapes of the last three cells.
    const rows = guide
      .split('\n')
      .filter((line) => /^\| `[a-z-]+` \|/.test(line))
      .map((line) => {
        const cells = line.split(' | ');
        const name = cells[0].replace(/^\| `|`$/g, '');
        return [name, ...cells.slice(-3).flatMap(shapesIn)].join(' ');
      });
    expect(rows).toEqual(fixture.lines);
  });

  it('names and shapes every parameter as PyTorch does, stacked and bidirectional', () => {
    for (const cell of ['lstm', 'gru', 'rnn'] as const) {
      const r = layerShapes({
        cell,
        length: 5,
        batch: 3,
        inputSize: 10,
        hiddenSize: 20,
        numLayers: 2,
        bidirectional: true,
        batchFirst: false,
      });
      expect(r.parameters.map((p) => [p.name, p.shape])).toEqual(fixture.parameters[cell]);
      expect(r.output).toEqual([5, 3, 40]);
      expect(r.hN).toEqual([4, 3, 20]);
      expect(r.cN).toEqual(cell === 'lstm' ? [4, 3, 20] : null);
    }
  });

  it('keeps hN [L·D, B, H] with batchFirst (only input and output are batch-first)', () => {
    const r = layerShapes({
      cell: 'gru',
      length: 7,
      batch: 2,
      inputSize: 4,
      hiddenSize: 6,
      numLayers: 3,
      bidirectional: false,
      batchFirst: true,
    });
    expect([r.input, r.output, r.hN]).toEqual([
      [2, 7, 4],
      [2, 7, 6],
      [3, 2, 6],
    ]);
  });

  it.skipIf(missing !== null)(
    'prints, run by PyTorch now, what its comments state',
    () => {
      const run = spawnSync(PYTHON, [SNIPPET], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.stdout.trim().split('\n')).toEqual(statedComments(SNIPPET, /\)\s+# (.+)$/));
    },
    60_000,
  );
});
