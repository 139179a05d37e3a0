// User-facing strings of `seqlab bench`, in one place (the trainer's messages.ts holds the others).
export const benchMessages = {
  longRange: 'train an RNN, GRU and LSTM on the adding problem at several lengths T',
  longRangeProtocol: (steps: number, batch: number, hidden: number, lr: number) =>
    `adding problem (protocol of shared/bench/reference/adding_problem.py): ${steps} steps of batch ${batch}, hidden ${hidden}, Adam lr ${lr}, clip 1; test MSE on a fixed set; the baseline predicts 1`,
  evalProgress: (cell: string, T: number, step: number, steps: number, mse: number) =>
    `${cell} T=${T}: step ${step}/${steps}  test MSE ${mse.toFixed(5)}`,
  runDone: (cell: string, T: number, steps: number, mse: number, wall: number) =>
    `${cell} T=${T}: ${steps} steps, final test MSE ${mse.toFixed(5)} (${wall.toFixed(1)} s)`,
  timeLimited: '* stopped by --time-limit before --steps',
  never: '-',
  speed:
    'time the anchor workloads W1/W2/W3 (shared/bench/anchors) and W1-packed (tools/bench/torch_packed.py) on a backend',
  speedHeader: (backend: string, isa: string, threads: number, node: string, steps: number, warmup: number) =>
    `backend ${backend} (${isa}, ${threads} thread${threads === 1 ? '' : 's'}), node ${node}; ${warmup} warm-up + ${steps} timed steps per row`,
  backends: 'list the backends bench speed --backend can select, with their instruction set and threads',
  optionalBackend: (pkg: string, status: string) => `optional ${pkg}: ${status}`,
} as const;
