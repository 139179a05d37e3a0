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

#include <stddef.h>

// The scratch buffers each thread keeps across calls, by use. SL_BUFFER_INFER_CALL + i is call i
// of a recurrentInferMany list (i < SL_BUFFER_INFER_CALLS), SL_BUFFER_TRAIN_CALL + i call i of a
// training call's list (recurrentForward/Backward and their *Many forms).
enum {
  SL_BUFFER_GEMM_PACKED_A,
  SL_BUFFER_GEMM_PACKED_B,
  SL_BUFFER_INFER_CHUNK,
  SL_BUFFER_INFER_CALL,
  SL_BUFFER_INFER_CALLS = 64,
  SL_BUFFER_TRAIN_CALL = SL_BUFFER_INFER_CALL + SL_BUFFER_INFER_CALLS,
  SL_BUFFER_TRAIN_CALLS = 64,
  SL_BUFFERS = SL_BUFFER_TRAIN_CALL + SL_BUFFER_TRAIN_CALLS
};
// The calling thread's buffer `id`, 64-byte aligned, of at least `need` floats: kept from the
// thread's last call when it was big enough, else replaced by one of `room` (>= need) floats, its
// contents not kept. A thread's buffers are freed when it exits (a pool worker when the pool is
// resized), so nothing leaks. NULL when out of memory.
float *sl_thread_buffer(int id, size_t need, size_t room);

#endif
