// The processes `pnpm bench:compare` (tools/bench/compare.mjs) runs in a round, apart from running
// them, so a unit test can check the protocol: one process per workload and mode, and every side of
// a mode with the same warm-up.

/** The workloads ONNX Runtime times (ort_bench.mjs: W1/W2 inference). */
export const ORT_WORKLOADS = ['W1', 'W2'];

/**
 * The processes of one round for one workload, in the order they run: per mode (training first),
 * PyTorch with 2 threads (`torch-2`), seqlab on each backend (`seqlab:<backend>`), PyTorch with 1
 * thread (`torch-1`), then for inference of W1/W2 ONNX Runtime (`ort`) when `ort` is set. Every
 * process of a mode gets the same warm-up: `warmup` untimed steps before training's timed steps,
 * `inferWarmup` before inference's.
 *
 * @param {{ workload: string, modes: readonly string[], backends: readonly string[], steps: number,
 *   warmup: number, inferWarmup: number, ort: boolean }} options
 * @returns {{ column: string, mode: 'train' | 'infer', steps: number, warmup: number,
 *   threads?: number, backend?: string }[]}
 */
export function planRound({ workload, modes, backends, steps, warmup, inferWarmup, ort }) {
  const plan = [];
  for (const mode of ['train', 'infer'].filter((m) => modes.includes(m))) {
    const common = { mode, steps, warmup: mode === 'infer' ? inferWarmup : warmup };
    plan.push({ column: 'torch-2', threads: 2, ...common });
    for (const backend of backends) plan.push({ column: `seqlab:${backend}`, backend, ...common });
    plan.push({ column: 'torch-1', threads: 1, ...common });
    if (mode === 'infer' && ort && ORT_WORKLOADS.includes(workload))
      plan.push({ column: 'ort', threads: 2, ...common });
  }
  return plan;
}
