// User-facing strings of the seqlab CLI, in one place.
export const messages = {
  interrupted: (dir: string) =>
    `interrupted: checkpoint written. Continue with: seqlab train --resume ${dir}`,
  secondInterrupt: 'second Ctrl-C: exiting without a checkpoint',
  stopping: 'Ctrl-C: finishing the current step, then writing a checkpoint (Ctrl-C again to quit now)',
  runDir: (dir: string) => `run directory: ${dir}`,
  data: (source: string, train: number, valid: number, test: number) =>
    `data: ${source}\n      ${train} train / ${valid} valid / ${test} test examples`,
  model: (name: string, params: number, vocab: number) =>
    `model: ${name}, ${params.toLocaleString('en-US')} parameters, vocabulary ${vocab.toLocaleString('en-US')}`,
  resumed: (epochs: number) => `resuming after epoch ${epochs}`,
  alreadyFinished: 'this run had already finished; re-evaluating the best weights',
  errorHint: 'run with --verbose for the stack trace',
} as const;
