#!/usr/bin/env node
import { SeqlabError } from '@seqlab/tensor';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { selectBackend } from './backend';
import { colorsFor } from './colors';
import { registerBenchCommands } from './commands/bench/register';
import { registerDiagnoseCommands } from './commands/diagnose/register';
import { flagOf, TrainConfigSchema } from './config';
import { numberish } from './flags';
import type { LogOptions } from './logger';
import { messages } from './messages';

// --json anywhere on the line (commander sees program options after the subcommand too); read
// before parsing so that usage errors, which stop the parse, are JSON as well.
const jsonMode = (argv: readonly string[]): boolean => {
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  const at = args.indexOf('--log-format');
  return (
    args.includes('--json') || args.includes('--log-format=json') || (at !== -1 && args[at + 1] === 'json')
  );
};
const json = jsonMode(process.argv.slice(2));

const program = new Command()
  .name('seqlab')
  .description('Train, evaluate, run and diagnose recurrent text classifiers (RNN, LSTM, GRU).')
  .version(pkg.version, '-V, --version', 'print the version')
  .option('--verbose', 'print stack traces of errors')
  .option('--quiet', 'print only results and errors')
  .option('--json', 'machine output: one JSON object per line, errors included (as --log-format json)')
  .option('--no-color', 'no colours (also NO_COLOR=1)')
  .addOption(
    new Option('--log-format <format>', 'text for people, json for machines (JSON lines)')
      .choices(['text', 'json'])
      .default('text'),
  )
  // Usage errors (unknown flag, missing value) print commander's one line and exit 2, like config errors.
  .exitOverride()
  // Keep commander's suggestion on the error's line: `error: unknown command 'trian' (did you mean train?)`.
  .configureOutput({
    writeErr: (text) =>
      process.stderr.write(
        json
          ? `${JSON.stringify({
              event: 'error',
              error: 'UsageError',
              message: text
                .trim()
                .replace(/^error: /, '')
                .replace(/\n\(Did you mean/, ' (did you mean'),
            })}\n`
          : text.replace(/\n\(Did you mean/, ' (did you mean'),
      ),
  });

const logOptions = (): LogOptions => {
  const o = program.opts<{ quiet?: boolean; logFormat?: 'text' | 'json'; json?: boolean }>();
  return { quiet: o.quiet ?? false, logFormat: o.json ? 'json' : (o.logFormat ?? 'text') };
};

// Every option's default as the schema resolves it, for --help (one source: the zod schema).
const DEFAULTS: Record<string, unknown> = TrainConfigSchema.parse({});

/** `description (default: 32)`, the default read from the schema; none for null defaults. */
function described(key: string, description: string): string {
  const value = DEFAULTS[key];
  if (value === null || value === undefined) return description;
  return `${description} (default: ${typeof value === 'string' ? value : JSON.stringify(value)})`;
}

/** A flag of a configuration key: its name from the key, its help's default from the schema. */
function configOption(
  cmd: Command,
  key: string,
  argument: string,
  description: string,
  parse = false,
): Command {
  const flag = `${flagOf(key)}${argument ? ` ${argument}` : ''}`;
  return parse
    ? cmd.option(flag, described(key, description), numberish)
    : cmd.option(flag, described(key, description));
}

/** Adds the training configuration's flags (they feed the zod schema, which validates them). */
function configFlags(cmd: Command): Command {
  cmd.option(
    '--config <file>',
    'JSON file of options (flags override it; JSON Schema: @seqlab/cli/config.schema.json)',
  );
  const text: Array<[string, string, string]> = [
    ['dataset', '<name>', 'built-in dataset when no --train is given: spam-assassin or names'],
    ['train', '<file>', 'training data: CSV, TSV or JSONL'],
    ['valid', '<file>', 'validation data (default: split from --train)'],
    ['test', '<file>', 'test data (default: split from --train)'],
    ['textColumn', '<name>', 'column (or JSON key) of the text'],
    ['labelColumn', '<name>', 'column (or JSON key) of the label'],
    ['headers', '<mode>', 'SpamAssassin: drop or keep the e-mail headers'],
    ['model', '<kind>', 'lstm, gru, rnn or bag (mean of embeddings)'],
  ];
  for (const [key, argument, description] of text) configOption(cmd, key, argument, description);
  configOption(cmd, 'layers', '<n>', 'stacked recurrent layers, 1 to 8', true);
  configOption(cmd, 'hidden', '<n>', 'hidden size, 1 to 4096', true);
  configOption(cmd, 'embed', '<n>', 'embedding size, 1 to 4096', true);
  configOption(cmd, 'bidirectional', '', 'run both directions');
  cmd.option('--no-bidirectional', 'one direction only');
  configOption(cmd, 'dropout', '<p>', 'dropout between recurrent layers, in [0, 1)', true);
  configOption(cmd, 'forgetBias', '<b>', 'LSTM forget-gate bias at init, in [-10, 10]', true);
  configOption(cmd, 'tokenizer', '<kind>', 'word, char or bpe');
  configOption(cmd, 'maxLen', '<n>', 'tokens kept per text, 1 to 100,000', true);
  configOption(cmd, 'minFreq', '<n>', 'minimum token count for the vocabulary, 1 to 1,000,000', true);
  configOption(cmd, 'vocabSize', '<n>', 'maximum vocabulary size, 4 to 1,000,000', true);
  configOption(cmd, 'batchSize', '<n>', 'examples per batch, 1 to 65,536', true);
  configOption(cmd, 'bucketing', '', 'batches of similar lengths');
  cmd.option('--no-bucketing', 'plain shuffled batches, as PyTorch');
  configOption(cmd, 'epochs', '<n>', 'maximum epochs, 1 to 10,000', true);
  configOption(cmd, 'lr', '<x>', 'learning rate, in (0, 10]', true);
  configOption(cmd, 'optimizer', '<name>', 'adam, adamw or sgd');
  configOption(cmd, 'weightDecay', '<x>', 'weight decay, in [0, 1]', true);
  configOption(cmd, 'scheduler', '<name>', 'learning-rate schedule: none, cosine, plateau or onecycle');
  configOption(cmd, 'clip', '<x>', 'clip the global gradient norm, in [0, 10,000] (0: off)', true);
  configOption(
    cmd,
    'patience',
    '<n>',
    'early stopping: epochs without a better valid accuracy, 0 to 10,000',
    true,
  );
  configOption(cmd, 'seed', '<n>', 'random seed', true);
  return configOption(cmd, 'out', '<dir>', 'run directory, new or empty (default runs/<timestamp>)');
}

// NOTE(lazy-commands): every command's code is imported by its action, when it runs. Start-up (and
// --help, usage and config errors) then loads commander, zod and what the flags' help needs, not the
// modules of every other command: @seqlab/onnx (export, bench), the workloads (bench), the
// built-in datasets (train without --train). tsup splits the dynamic imports into chunks of dist/.
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
    const { trainCommand } = await import('./commands/train/index');
    process.exitCode = await trainCommand(flags, logOptions());
  });

program
  .command('eval')
  .description("evaluate a run's model on a labelled file")
  .requiredOption('--run <dir>', 'run directory written by seqlab train')
  .requiredOption('--data <file>', 'CSV, TSV or JSONL with the text and label columns')
  .action(async (flags) => {
    const { evalCommand } = await import('./commands/eval/index');
    process.exitCode = await evalCommand(flags, logOptions());
  });

program
  .command('predict')
  .description('label texts (arguments, or one per line on stdin) with class probabilities')
  .requiredOption('--run <dir>', 'run directory written by seqlab train')
  .argument('[text...]', 'texts to label')
  .action(async (texts: string[], flags) => {
    const { predictCommand } = await import('./commands/predict/index');
    process.exitCode = await predictCommand(texts, { ...flags, json: logOptions().logFormat === 'json' });
  });

program
  .command('export')
  .description("write a run's model for another engine (ONNX: ONNX Runtime, Triton, ...)")
  .requiredOption('--run <dir>', 'run directory written by seqlab train')
  .requiredOption('--format <format>', 'onnx')
  .option('--out <file>', 'where to write it (default: DIR/model.onnx)')
  .option('--opset <n>', 'ONNX opset, 14 to 21 (default 14)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
    return n;
  })
  .action(async (flags) => {
    const { exportCommand } = await import('./commands/export/index');
    process.exitCode = await exportCommand({ ...flags, json: logOptions().logFormat === 'json' });
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
    const { summaryCommand } = await import('./commands/summary/index');
    process.exitCode = await summaryCommand(flags);
  });

program
  .command('doctor')
  .description('Node version, active backend and why, instruction set, threads, cores, built-in datasets')
  .action(async () => {
    const { doctorCommand } = await import('./commands/doctor/index');
    process.exitCode = await doctorCommand({ json: logOptions().logFormat === 'json' });
  });

registerDiagnoseCommands(program, logOptions);
registerBenchCommands(program, logOptions);

/** An error for the user: one line (`error: …`), or in JSON mode one JSON object, on stderr. */
function report(name: string, message: string, stack: string | undefined, verbose: boolean): void {
  if (json) {
    console.error(
      JSON.stringify({ event: 'error', error: name, message, ...(verbose && stack ? { stack } : {}) }),
    );
    return;
  }
  console.error(`${colorsFor(process.stderr).red('error:')} ${message}`);
  if (verbose && stack) console.error(stack);
}

async function main(): Promise<void> {
  try {
    selectBackend();
    await program.parseAsync(process.argv);
  } catch (error) {
    const verbose = program.opts<{ verbose?: boolean }>().verbose ?? false;
    if (error instanceof CommanderError) {
      // commander has printed its message (or the help/version); help and version exit 0.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (error instanceof SeqlabError) {
      report(error.name, error.message, error.stack, verbose);
      process.exitCode = 2;
      return;
    }
    const e = error as NodeJS.ErrnoException;
    if (e?.code && typeof e.path === 'string') {
      report('FileError', `${e.code === 'ENOENT' ? 'no such file' : e.code}: ${e.path}`, e.stack, verbose);
      process.exitCode = 2;
      return;
    }
    const message = e?.message ?? String(error);
    report(
      e?.name ?? 'Error',
      verbose || json ? message : `${message} (${messages.errorHint})`,
      e?.stack,
      verbose,
    );
    process.exitCode = 1;
  }
}

await main();
