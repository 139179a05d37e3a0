import type { Command } from 'commander';
import { numberish } from '../../flags';
import type { LogOptions } from '../../logger';
import { benchMessages as m } from './messages';

// The bench commands' flags and help, without their code: each action imports ./index when it
// runs, so the CLI's other commands (and --help) do not load the workloads, @seqlab/onnx or
// ONNX Runtime's exporter (NOTE(lazy-commands) in ../../cli.ts).

/** Adds `seqlab bench long-range` and `seqlab bench speed` to the program. */
export function registerBenchCommands(program: Command, log: () => LogOptions): void {
  const bench = program
    .command('bench')
    .description(
      'benchmarks: long-range memory (the adding problem), speed (the anchor workloads) and the backends they run on',
    );
  bench
    .command('long-range')
    .description(m.longRange)
    .option('--lengths <list>', 'sequence lengths T, comma-separated (default 10,50,100,200)')
    .option('--models <list>', 'cells, comma-separated: rnn, gru, lstm (default all three)')
    .option('--steps <n>', 'training steps per run (default 3000)', numberish)
    .option('--eval-every <n>', 'test-set evaluation every n steps (default 100)', numberish)
    .option('--hidden <n>', 'hidden size (default 64)', numberish)
    .option('--batch <n>', 'sequences per training batch (default 64)', numberish)
    .option('--lr <x>', 'Adam learning rate (default 0.001)', numberish)
    .option('--seed <n>', 'seed of the weights and the training batches (default 0)', numberish)
    .option('--test-size <n>', 'sequences in the fixed test set (default 1000)', numberish)
    .option('--time-limit <s>', 'wall-clock cap per run in seconds, 0 = none (default 0)', numberish)
    .option('--json', 'one JSON line per run')
    .action(async (flags: Record<string, unknown>) => {
      const { benchLongRangeCommand } = await import('./index');
      process.exitCode = await benchLongRangeCommand(flags, log());
    });
  bench
    .command('speed')
    .description(m.speed)
    .option('--workload <list>', 'W1, W2, W3, W1-packed or all, comma-separated (default all)')
    .option('--mode <list>', 'train, infer or all, comma-separated (default all)')
    .option('--steps <n>', 'timed steps (default 20)', numberish)
    .option('--warmup <n>', 'untimed warm-up steps (default 3)', numberish)
    .option('--seed <n>', 'seed of the weights (the batch uses seed + 1) (default 0)', numberish)
    .option(
      '--max-len <list>',
      'W1-packed: longest length T, lengths uniform in 5..T, comma-separated (default 50)',
    )
    .option(
      '--backend <name>',
      'select this backend first (see seqlab bench backends) (default the active one)',
    )
    .option(
      '--engine <name>',
      'seqlab, or onnxruntime: the same models exported to ONNX, inference only (default seqlab)',
    )
    .option('--threads <n>', 'onnxruntime: intra-op threads (default: the available cores)', numberish)
    .option('--json', 'one JSON line per workload and mode')
    .action(async (flags: Record<string, unknown>) => {
      const { benchSpeedCommand } = await import('./index');
      process.exitCode = await benchSpeedCommand(flags, log());
    });
  bench
    .command('backends')
    .description(m.backends)
    .option('--json', 'one JSON object')
    .action(async (flags: Record<string, unknown>) => {
      const { benchBackendsCommand } = await import('./index');
      process.exitCode = await benchBackendsCommand(flags, log());
    });
}
