import { resolve } from 'node:path';
import { ConfigError } from '@seqlab/tensor';
import { readExamples } from '../../dataset';
import { encodeAll, evaluate } from '../../evaluate';
import { Logger, type LogOptions } from '../../logger';
import { loadRun } from '../../run';

/** `seqlab eval --run DIR --data FILE`: the run's best model on a labelled file. */
export async function evalCommand(flags: { run?: string; data?: string }, log: LogOptions): Promise<number> {
  if (!flags.run || !flags.data)
    throw new ConfigError('eval', '--run DIR and --data FILE', 'missing options');
  const logger = new Logger(log);
  const run = await loadRun(resolve(flags.run));
  const examples = await readExamples(flags.data, run.config, run.labels, '--data');
  if (examples.length === 0)
    throw new ConfigError('eval', 'a non-empty --data file', `0 examples in ${flags.data}`);
  const e = evaluate(run.model, encodeAll(run.encoder, examples), run.labelNames.length);
  logger.result(
    [
      `accuracy ${e.accuracy.toFixed(4)}  macro-F1 ${e.macroF1.toFixed(4)}  loss ${e.loss.toFixed(4)}  (${examples.length} examples)`,
      ...e.confusion.map(
        (row, i) => `  ${run.labelNames[i].padEnd(12)} ${row.map((v) => String(v).padStart(6)).join(' ')}`,
      ),
    ].join('\n'),
    {
      event: 'eval',
      run: run.dir,
      data: flags.data,
      examples: examples.length,
      accuracy: e.accuracy,
      macro_f1: e.macroF1,
      loss: e.loss,
      confusion_matrix: e.confusion,
      labels: run.labelNames,
    },
  );
  return 0;
}
