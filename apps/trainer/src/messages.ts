// User-facing strings of the seqlab CLI, in one place.

/** A signal that stops training at a safe point. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

const signalName = (signal: StopSignal) => (signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM');

export const messages = {
  interrupted: (dir: string) =>
    `interrupted: checkpoint written. Continue with: seqlab train --resume ${dir}`,
  secondInterrupt: (signal: StopSignal) => `second ${signalName(signal)}: exiting without a checkpoint`,
  secondInterruptWhileWriting: (signal: StopSignal) =>
    `second ${signalName(signal)}: exiting as soon as the file being written is complete`,
  stopping: (signal: StopSignal) =>
    `${signalName(signal)}: finishing the current step, then writing a checkpoint (${signalName(signal)} again to quit now)`,
  stoppedAfterTraining: (signal: StopSignal, dir: string) =>
    `${signalName(signal)}: exiting; the training is complete and checkpointed (seqlab train --resume ${dir} writes the results)`,
  noCheckpointYet: 'no checkpoint yet: starting from epoch 1',
  overwriting: (dir: string) => `--overwrite: removed the previous run's files from ${dir}`,
  dataChanged: (changes: readonly string[]) =>
    `--allow-data-change: continuing on changed data: ${changes.join('; ')}`,
  runDir: (dir: string) => `run directory: ${dir}`,
  data: (source: string, train: number, valid: number, test: number) =>
    `data: ${source}\n      ${train} train / ${valid} valid / ${test} test examples`,
  model: (name: string, params: number, vocab: number) =>
    `model: ${name}, ${params.toLocaleString('en-US')} parameters, vocabulary ${vocab.toLocaleString('en-US')}`,
  resumed: (epochs: number) => `resuming after epoch ${epochs}`,
  alreadyFinished: 'this run had already finished; re-evaluating the best weights',
  errorHint: 'run with --verbose for the stack trace',
} as const;
