// Guide 9's code, both ways. The PyTorch side runs when /usr/bin/python3 has torch
// (`apt-get install -y python3-torch`) and is skipped, saying so, otherwise.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromPyTorch, toPyTorch } from './pytorch-interop';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const noTorch = probe.error ? `${PYTHON} not found` : probe.status !== 0 ? `${PYTHON} has no torch` : null;
if (noTorch)
  console.warn(
    `pytorch-interop.test.ts: the PyTorch side is SKIPPED: ${noTorch} (apt-get install -y python3-torch)`,
  );

describe('weights between PyTorch and seqlab (guide 9)', () => {
  it("PyTorch → seqlab: PyTorch's state dict gives PyTorch's final states", () => {
    expect(fromPyTorch()).toBeLessThan(1e-6);
  });

  it.skipIf(noTorch !== null)(
    "seqlab → PyTorch: torch.nn.LSTM loads seqlab's state dict (strict) and gives seqlab's output",
    async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'seqlab-interop-')), 'from-seqlab.safetensors');
      await toPyTorch(file);
      const script = fileURLToPath(new URL('./pytorch-interop.py', import.meta.url));
      const run = spawnSync(PYTHON, [script, file], { encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^seqlab -> PyTorch: max \|output - seqlab's\| = \d\.\d\de-\d+\n$/);
    },
    60_000,
  );
});
