// A small persistent thread pool: `threads - 1` pthreads that sleep on a condition variable
// between jobs (after a short bounded spin), plus the calling thread, which always takes part.
#ifndef SL_POOL_H
#define SL_POOL_H

typedef void (*sl_task_fn)(void *ctx, int task);

// Runs fn(ctx, t) for every t in [0, tasks) on the pool and the calling thread; returns when all
// are done. Runs on the calling thread alone when the pool has one thread, or is busy with
// another caller (a second JS thread).
void sl_pool_run(sl_task_fn fn, void *ctx, int tasks);
// Threads in the pool, the calling thread included (>= 1).
int sl_pool_threads(void);
// The threads a job started here would get: 1 inside a pool task (a nested job runs on the
// calling thread alone), else sl_pool_threads().
int sl_pool_threads_here(void);
// Resizes the pool (stops and joins the old workers first). n < 1 is taken as 1.
void sl_pool_set_threads(int n);

#endif
