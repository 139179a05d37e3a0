// What one pool job costs beyond its work: the per-step barrier of the fused recurrence
// (src/c/recurrent-steps.c runs one job per time step). Jobs of `tasks` tasks of a fixed spin of
// work each, back to back as the steps are, on 1 thread and on `threads`; the overhead per job is
// the threaded time minus the ideal (one thread's time / threads). An empty job (tasks that do
// nothing) gives the floor. Standalone C over src/c/pool.c, no Node:
//
//   cc -O2 -Isrc/c bench/pool-barrier.c src/c/pool.c -lpthread -o /tmp/pool-barrier
//   /tmp/pool-barrier [work-iterations-per-task = 20000] [jobs = 5000] [threads = 2]
//
// On a shared machine the threaded figure depends on whether the other core is free: read it
// beside the load average it prints.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pool.h"

static volatile float sink;
static int work = 20000;

static void spin_task(void *ctx, int t) {
  (void)ctx;
  float x = (float)t;
  for (int i = 0; i < work; i++) x = x * 0.999f + 1.0f;
  sink = x;
}

static void empty_task(void *ctx, int t) {
  (void)ctx;
  (void)t;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double per_job(sl_task_fn fn, int jobs, int tasks) {
  const double t0 = now_us();
  for (int i = 0; i < jobs; i++) sl_pool_run(fn, NULL, tasks);
  return (now_us() - t0) / jobs;
}

int main(int argc, char **argv) {
  work = argc > 1 ? atoi(argv[1]) : 20000;
  const int jobs = argc > 2 ? atoi(argv[2]) : 5000;
  const int threads = argc > 3 ? atoi(argv[3]) : 2;
  double load = 0;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fscanf(f, "%lf", &load) != 1) load = 0;
    fclose(f);
  }
  printf("load average %.2f; %d jobs of %d tasks, %d spin iterations per task\n", load, jobs, threads, work);
  for (int round = 0; round < 3; round++) {
    sl_pool_set_threads(1);
    const double one = per_job(spin_task, jobs, threads);
    sl_pool_set_threads(threads);
    const double many = per_job(spin_task, jobs, threads);
    const double empty = per_job(empty_task, jobs * 10, threads);
    printf("1 thread %.2f us/job | %d threads %.2f us/job (ideal %.2f, overhead %.2f us) | empty job %.3f us\n", one,
           threads, many, one / threads, many - one / threads, empty);
  }
  return 0;
}
