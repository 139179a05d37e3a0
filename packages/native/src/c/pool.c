// The thread pool (pool.h). A job is (fn, ctx, tasks); workers claim task indices from one atomic
// word that also holds the job's generation, so a worker that wakes late can never claim a task of
// a newer job with the older job's arguments. Workers spin for a bounded few microseconds after a
// job (the per-step GEMMs of a recurrent layer come back to back), then block on `wake`; they never
// spin-wait indefinitely, which is what makes an OpenMP-style pool collapse on a busy machine.
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
// One caller at a time; a second caller runs its job alone.
static pthread_mutex_t callers = PTHREAD_MUTEX_INITIALIZER;

static pthread_t *workers = NULL;
static int nworkers = 0;
static int stopping = 0;

// The current job, written under `lock` before `generation` is bumped.
static sl_task_fn job_fn;
static void *job_ctx;
static int job_tasks;
static _Atomic uint32_t generation = 0;
// (generation << 32) | next task index.
static _Atomic uint64_t claim = 0;
static _Atomic int done = 0;

// Set while this thread runs a task: a job started from inside a task runs on this thread alone
// (the pool is busy with the outer job), which sl_pool_threads_here reports as 1.
static _Thread_local int in_task = 0;

static void run_task(sl_task_fn fn, void *ctx, int t) {
  const int outer = in_task;
  in_task = 1;
  fn(ctx, t);
  in_task = outer;
}

static int claim_task(uint32_t gen, int tasks) {
  uint64_t v = atomic_load_explicit(&claim, memory_order_acquire);
  for (;;) {
    if ((uint32_t)(v >> 32) != gen || (int)(uint32_t)v >= tasks) return -1;
    if (atomic_compare_exchange_weak_explicit(&claim, &v, v + 1, memory_order_acq_rel, memory_order_acquire))
      return (int)(uint32_t)v;
  }
}

static void finish_task(int tasks) {
  if (atomic_fetch_add_explicit(&done, 1, memory_order_acq_rel) + 1 == tasks) {
    pthread_mutex_lock(&lock);
    pthread_cond_signal(&done_cv);
    pthread_mutex_unlock(&lock);
  }
}

static void *worker_main(void *arg) {
  (void)arg;
  uint32_t seen = atomic_load(&generation);
  for (;;) {
    for (int i = 0; i < SPIN && atomic_load_explicit(&generation, memory_order_acquire) == seen; i++)
      CPU_RELAX();
    pthread_mutex_lock(&lock);
    while (!stopping && atomic_load(&generation) == seen) pthread_cond_wait(&wake, &lock);
    if (stopping) {
      pthread_mutex_unlock(&lock);
      return NULL;
    }
    seen = atomic_load(&generation);
    const sl_task_fn fn = job_fn;
    void *const ctx = job_ctx;
    const int tasks = job_tasks;
    pthread_mutex_unlock(&lock);
    for (int t; (t = claim_task(seen, tasks)) >= 0;) {
      run_task(fn, ctx, t);
      finish_task(tasks);
    }
  }
}

void sl_pool_run(sl_task_fn fn, void *ctx, int tasks) {
  if (tasks <= 0) return;
  if (tasks == 1 || nworkers == 0 || pthread_mutex_trylock(&callers) != 0) {
    for (int t = 0; t < tasks; t++) fn(ctx, t);
    return;
  }
  pthread_mutex_lock(&lock);
  job_fn = fn;
  job_ctx = ctx;
  job_tasks = tasks;
  atomic_store(&done, 0);
  const uint32_t gen = atomic_load(&generation) + 1;
  atomic_store_explicit(&claim, (uint64_t)gen << 32, memory_order_release);
  atomic_store_explicit(&generation, gen, memory_order_release);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  for (int t; (t = claim_task(gen, tasks)) >= 0;) {
    run_task(fn, ctx, t);
    finish_task(tasks);
  }
  for (int i = 0; i < SPIN && atomic_load_explicit(&done, memory_order_acquire) < tasks; i++) CPU_RELAX();
  pthread_mutex_lock(&lock);
  while (atomic_load(&done) < tasks) pthread_cond_wait(&done_cv, &lock);
  pthread_mutex_unlock(&lock);
  pthread_mutex_unlock(&callers);
}

int sl_pool_threads(void) { return nworkers + 1; }

int sl_pool_threads_here(void) { return in_task ? 1 : nworkers + 1; }

void sl_pool_set_threads(int n) {
  if (n < 1) n = 1;
  pthread_mutex_lock(&callers);
  if (nworkers > 0) {
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < nworkers; i++) pthread_join(workers[i], NULL);
    free(workers);
    workers = NULL;
    nworkers = 0;
    stopping = 0;
  }
  if (n > 1) {
    workers = calloc((size_t)(n - 1), sizeof *workers);
    for (int i = 0; workers && i < n - 1; i++) {
      if (pthread_create(&workers[i], NULL, worker_main, NULL) != 0) break;
      nworkers++;
    }
  }
  pthread_mutex_unlock(&callers);
}

typedef struct {
  float *base[SL_BUFFERS];
  size_t floats[SL_BUFFERS];
} thread_buffers;

static _Thread_local thread_buffers *buffers = NULL;
static pthread_key_t buffers_key;
static pthread_once_t buffers_once = PTHREAD_ONCE_INIT;

static void buffers_free(void *p) {
  thread_buffers *b = p;
  for (int i = 0; i < SL_BUFFERS; i++) free(b->base[i]);
  free(b);
}

static void buffers_key_init(void) { pthread_key_create(&buffers_key, buffers_free); }

float *sl_thread_buffer(int id, size_t need, size_t room) {
  if (!buffers) {
    pthread_once(&buffers_once, buffers_key_init);
    buffers = calloc(1, sizeof *buffers);
    if (!buffers) return NULL;
    pthread_setspecific(buffers_key, buffers);
  }
  if (need > buffers->floats[id]) {
    free(buffers->base[id]);
    buffers->base[id] = aligned_alloc(64, ((room * sizeof(float) + 63) / 64) * 64);
    buffers->floats[id] = buffers->base[id] ? room : 0;
  }
  return buffers->base[id];
}
