import type { Command } from 'commander';
import { GRADIENT_FLOW_DEFAULTS as D } from '../../diagnostics/gradient-flow-defaults';
import { numberish } from '../../flags';
import type { LogOptions } from '../../logger';

// The diagnose commands' flags and help, without their code: each action imports ./index when it
// runs (NOTE(lazy-commands) in ../../cli.ts).

/**
 * Adds `seqlab diagnose gradients` and `seqlab diagnose gates` to the CLI. Flags arrive as commander
 * gives them (numbers via `numberish`, the rest strings) and are validated by the schemas of ./index.
 */
export function registerDiagnoseCommands(program: Command, logOptions: () => LogOptions): void {
  const diagnose = program
    .command('diagnose')
    .description('look inside recurrent layers: gradient flow through time, LSTM gate activations');
  diagnose
    .command('gradients')
    .description(
      '‖dL/dh_t‖ (and the LSTM cell path ‖dL/dc_t‖) vs distance from the loss: RNN, GRU, LSTM, at init and after a short training run',
    )
    .option('--length <T>', `sequence length (default ${D.length})`, numberish)
    .option('--hidden <n>', `hidden size (default ${D.hidden})`, numberish)
    .option('--input <n>', `input features (default ${D.input})`, numberish)
    .option('--batch <n>', `sequences per batch (default ${D.batch})`, numberish)
    .option('--seeds <n>', `seeds to average over (default ${D.seeds})`, numberish)
    .option('--models <list>', 'comma-separated: rnn,gru,lstm (default all three)')
    .option(
      '--forget-bias <b>',
      'added to the LSTM forget-gate bias at init (default 0: PyTorch init)',
      numberish,
    )
    .option(
      '--train-steps <n>',
      `Adam steps on the adding problem before the second probe; 0: init only (default ${D.trainSteps})`,
      numberish,
    )
    .option('--lr <x>', `learning rate of the training run (default ${D.lr})`, numberish)
    .option('--svg <file>', 'write a log-scale plot of every series')
    .option('--json', 'JSON lines: one per model, path and phase')
    .action(async (flags: Record<string, unknown>) => {
      const { gradientsCommand } = await import('./index');
      process.exitCode = await gradientsCommand(flags, logOptions());
    });
  diagnose
    .command('gates')
    .description("LSTM forget, input and output gate activations per token of TEXT, from a run's model")
    .requiredOption('--run <dir>', 'run directory written by seqlab train (model lstm)')
    .option('--svg <file>', 'write an SVG heatmap (tokens × gates)')
    .option('--units', 'also every hidden unit (in the SVG and the JSON)')
    .option('--json', 'one JSON object')
    .argument('<text...>', 'the text (words may be given unquoted)')
    .action(async (words: string[], flags: Record<string, unknown>) => {
      const { gatesCommand } = await import('./index');
      process.exitCode = await gatesCommand(words, flags);
    });
}
