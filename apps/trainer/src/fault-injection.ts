// Test hook: crash or pause the trainer at an exact step of a file write, so the crash-safety tests
// can kill it inside every step of a checkpoint (src/e2e/kill.slow.test.ts). Read only by the
// trainer's writer (atomic-write.ts); unset, every call is a counter increment.
//
//   SEQLAB_TEST_FAULT_TRACE=1      print `seqlab-test-fault-point <n> <label>` to stderr at each step
//   SEQLAB_TEST_KILL_AT=<n>        SIGKILL this process at step n (1-based, counted per process)
//   SEQLAB_TEST_PAUSE_AT=<n>:<ms>  wait ms milliseconds at step n (signals are handled meanwhile)

const env = process.env;
const trace = env.SEQLAB_TEST_FAULT_TRACE === '1';
const killAt = Number(env.SEQLAB_TEST_KILL_AT ?? 0);
const [pauseAt, pauseMs] = (env.SEQLAB_TEST_PAUSE_AT ?? '0:0').split(':').map(Number);
let steps = 0;

/**
 * Marks one step of a write (`checkpoint/state.json renamed`, …). Under the test variables above it
 * traces, kills or pauses the process here; otherwise it does nothing.
 */
export async function faultPoint(label: string): Promise<void> {
  steps++;
  if (trace) process.stderr.write(`seqlab-test-fault-point ${steps} ${label}\n`);
  if (steps === killAt) process.kill(process.pid, 'SIGKILL');
  if (steps === pauseAt) await new Promise((resolve) => setTimeout(resolve, pauseMs));
}
