// `node --import ./tools/bench/cpu-clock.mjs …`: `performance.now()` reads the process's CPU time
// (user + system, every thread, in milliseconds) instead of the wall clock, so a benchmark that
// times its steps with it (`seqlab bench speed`) reports CPU time per step: what the process got on
// a shared machine, not how long it waited for a core. wasm-floor.mjs's `--clock cpu`.
performance.now = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
