#!/usr/bin/env node
import { SeqlabError } from '@seqlab/tensor';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { selectBackend } from './backend';
import { registerBenchCommands } from './commands/bench/index';
import { registerDiagnoseCommands } from './commands/diagnose/index';
import { doctorCommand } from './commands/doctor/index';
import { evalCommand } from './commands/eval/index';
import { predictCommand } from './commands/predict/index';
import { summaryCommand } from './commands/summary/index';
import { trainCommand } from './commands/train/index';
import { numberish } from './flags';
import type { LogOptions } from './logger';
import { messages } from './messages';

const program = new Command()
  .name('seqlab')
  .description('Train, evaluate, run and diagnose recurrent text classifiers (RNN, LSTM, GRU).')
  .option('--verbose', 'print stack traces of errors')
  .option('--quiet', 'print only results and errors')
  .addOption(
    new Option('--log-format <format>', 'text for people, json for machines (JSON lines)')
      .choices(['text', 'json'])
      .default('text'),
  )
  // Usage errors (unknown flag, missing value) print commander's one line and exit 2, like config errors.
  .exitOverride()
  // Keep commander's suggestion on the error's line: `error: unknown command 'trian' (did you mean train?)`.
  .configureOutput({
    writeErr: (text) => process.stderr.write(text.replace(/\n\(Did you mean/, ' (did you mean')),
  });

const logOptions = (): LogOptions => {
  const o = program.opts<{ quiet?: boolean; logFormat?: 'text' | 'json' }>();
  return { quiet: o.quiet ?? false, logFormat: o.logFormat ?? 'text' };
};

/** Adds the training configuration's flags (they feed the zod schema, which validates them). */
function configFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON file of options (flags override it)')
    .option('--dataset <name>', 'built-in dataset when no --train is given: spam-assassin (default) or names')
    .option('--train <file>', 'training data: CSV, TSV or JSONL')
    .option('--valid <file>', 'validation data (default: split from --train)')
    .option('--test <file>', 'test data (default: split from --train)')
    .option('--text-column <name>', 'column (or JSON key) of the text', 'text')
    .option('--label-column <name>', 'column (or JSON key) of the label', 'label')
    .option('--headers <mode>', 'SpamAssassin: drop or keep the e-mail headers')
    .option('--model <kind>', 'lstm, gru, rnn or bag (mean of embeddings)')
    .option('--layers <n>', 'stacked recurrent layers, 1 to 8', numberish)
    .option('--hidden <n>', 'hidden size, 1 to 4096', numberish)
    .option('--embed <n>', 'embedding size, 1 to 4096', numberish)
    .option('--bidirectional', 'run both directions')
    .option('--no-bidirectional', 'one direction only')
    .option('--dropout <p>', 'dropout between recurrent layers, in [0, 1)', numberish)
    .option('--forget-bias <b>', 'LSTM forget-gate bias at init, in [-10, 10]', numberish)
    .option('--tokenizer <kind>', 'word, char or bpe')
    .option('--max-len <n>', 'tokens kept per text, 1 to 100,000', numberish)
    .option('--min-freq <n>', 'minimum token count for the vocabulary, 1 to 1,000,000', numberish)
    .option('--vocab-size <n>', 'maximum vocabulary size, 4 to 1,000,000', numberish)
    .option('--batch-size <n>', 'examples per batch, 1 to 65,536', numberish)
    .option('--bucketing', 'batches of similar lengths (the default)')
    .option('--no-bucketing', 'plain shuffled batches, as PyTorch')
    .option('--epochs <n>', 'maximum epochs, 1 to 10,000', numberish)
    .option('--lr <x>', 'learning rate, in (0, 10]', numberish)
    .option('--optimizer <name>', 'adam, adamw or sgd')
    .option('--weight-decay <x>', 'weight decay, in [0, 1]', numberish)
    .option('--scheduler <name>', 'learning-rate schedule: none, cosine, plateau or onecycle')
    .option('--clip <x>', 'clip the global gradient norm, in [0, 10,000] (0: off)', numberish)
    .option(
      '--patience <n>',
      'early stopping: epochs without a better valid accuracy, 0 to 10,000',
      numberish,
    )
    .option('--seed <n>', 'random seed', numberish)
    .option('--out <dir>', 'run directory, new or empty (default runs/<timestamp>)');
}

configFlags(
  program.command('train').description('train a text classifier (default: SpamAssassin, ham vs spam)'),
)
  .option('--resume <dir>', 'continue an interrupted run (refused if its data changed)')
  .option(
    '--allow-data-change',
    'with --resume: continue even though the data files, split or labels changed',
  )
  .option('--overwrite', "replace the seqlab run in --out (only seqlab's files; others are never deleted)")
  .action(async (flags: Record<string, unknown>) => {
    // commander's default for the column flags must not override a config file's values.
    for (const key of ['textColumn', 'labelColumn'] as const) {
      if (program.commands[0].getOptionValueSource(key) === 'default') delete flags[key];
    }
    process.exitCode = await trainCommand(flags, logOptions());
  });

program
  .command('eval')
  .description("evaluate a run's model on a labelled file")
  .requiredOption('--run <dir>', 'run directory written by seqlab train')
  .requiredOption('--data <file>', 'CSV, TSV or JSONL with the text and label columns')
  .action(async (flags) => {
    process.exitCode = await evalCommand(flags, logOptions());
  });

program
  .command('predict')
  .description('label texts (arguments, or one per line on stdin) with class probabilities')
  .requiredOption('--run <dir>', 'run directory written by seqlab train')
  .option('--json', 'one JSON object per text')
  .argument('[text...]', 'texts to label')
  .action(async (texts: string[], flags) => {
    process.exitCode = await predictCommand(texts, flags);
  });

configFlags(
  program
    .command('summary')
    .description('layers, shapes and parameters; RNN vs GRU vs LSTM at the chosen sizes'),
)
  .option('--vocab <n>', 'vocabulary size to size the embedding', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 4) throw new InvalidArgumentError('expected an integer >= 4');
    return n;
  })
  .action(async (flags) => {
    process.exitCode = await summaryCommand(flags);
  });

program
  .command('doctor')
  .description('Node version, active backend and why, instruction set, threads, cores, built-in datasets')
  .option('--json', 'one JSON object')
  .action(async (flags) => {
    process.exitCode = await doctorCommand(flags);
  });

registerDiagnoseCommands(program, logOptions);
registerBenchCommands(program, logOptions);

async function main(): Promise<void> {
  try {
    selectBackend();
    await program.parseAsync(process.argv);
  } catch (error) {
    const verbose = program.opts<{ verbose?: boolean }>().verbose;
    if (error instanceof CommanderError) {
      // commander has printed its message (or the help/version); help and version exit 0.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (error instanceof SeqlabError) {
      console.error(`error: ${error.message}`);
      if (verbose) console.error(error.stack);
      process.exitCode = 2;
      return;
    }
    const e = error as NodeJS.ErrnoException;
    if (e?.code && typeof e.path === 'string') {
      console.error(`error: ${e.code === 'ENOENT' ? 'no such file' : e.code}: ${e.path}`);
      if (verbose) console.error(e.stack);
      process.exitCode = 2;
      return;
    }
    console.error(`error: ${e?.message ?? String(error)}${verbose ? '' : ` (${messages.errorHint})`}`);
    if (verbose) console.error(e?.stack);
    process.exitCode = 1;
  }
}

await main();
