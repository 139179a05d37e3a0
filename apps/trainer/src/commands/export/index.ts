import { join, resolve } from 'node:path';
import { ConfigError } from '@seqlab/tensor';
import { writeFileAtomic } from '@seqlab/tensor/node';
import { classifierToOnnx } from '../../classifier-onnx';
import { loadRun } from '../../run';

/** `seqlab export --run DIR --format onnx [--out FILE] [--opset N]`: the run's model for other engines. */
export async function exportCommand(flags: {
  run?: string;
  format?: string;
  out?: string;
  opset?: number;
  json?: boolean;
}): Promise<number> {
  if (!flags.run) throw new ConfigError('export', '--run DIR', 'no --run');
  if (flags.format !== 'onnx') {
    throw new ConfigError(
      'export',
      '--format onnx',
      flags.format === undefined ? 'no --format' : `'${flags.format}'`,
    );
  }
  const run = await loadRun(resolve(flags.run));
  const out = resolve(flags.out ?? join(run.dir, 'model.onnx'));
  const bytes = classifierToOnnx(run.model, run.labelNames.length, flags.opset);
  await writeFileAtomic(out, bytes);
  if (flags.json) {
    console.log(JSON.stringify({ event: 'export', run: run.dir, format: 'onnx', out, bytes: bytes.length }));
  } else {
    console.log(
      `wrote ${out} (${(bytes.length / 1024).toFixed(1)} KiB): inputs input_ids int64 [batch, sequence], lengths int32 [batch]; outputs logits, probabilities [batch, ${run.labelNames.length}]`,
    );
  }
  return 0;
}
