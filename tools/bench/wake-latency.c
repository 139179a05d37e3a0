// How long a sleeping pool worker takes to run after the caller wakes it: packages/native/src/c/
// pool.c's protocol (the worker spins SPIN pauses on the job's generation, then waits on a condvar;
// the caller bumps the generation and broadcasts) with a busy gap of GAP µs on the caller between
// jobs, as the JavaScript between two addon calls of a step. Prints the latency's p10, p50, p90 and
// max over 400 wake-ups, and the mean of the first 20.
//
//   cc -O2 -pthread tools/bench/wake-latency.c -o wake-latency && ./wake-latency 200 && ./wake-latency 5000
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN 2000
#define WAKES 400

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static _Atomic unsigned generation = 0;
static _Atomic double woke = 0;

static void *worker(void *arg) {
  (void)arg;
  unsigned seen = 0;
  for (;;) {
    for (int i = 0; i < SPIN && atomic_load(&generation) == seen; i++) CPU_RELAX();
    pthread_mutex_lock(&lock);
    while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &lock);
    seen = atomic_load(&generation);
    pthread_mutex_unlock(&lock);
    atomic_store(&woke, now_us());
  }
  return NULL;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const double gap = argc > 1 ? atof(argv[1]) : 200;
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  static double latency[WAKES];
  double first = 0;
  for (int i = 0; i < WAKES; i++) {
    const double t0 = now_us();
    while (now_us() - t0 < gap) {
    }
    atomic_store(&woke, 0);
    pthread_mutex_lock(&lock);
    const double sent = now_us();
    atomic_fetch_add(&generation, 1);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    while (atomic_load(&woke) == 0) CPU_RELAX();
    latency[i] = atomic_load(&woke) - sent;
    if (i < 20) first += latency[i] / 20;
  }
  qsort(latency, WAKES, sizeof *latency, by_value);
  printf("gap %.0f us: wake latency p10 %.1f, p50 %.1f, p90 %.1f, max %.1f us; first 20 mean %.1f us\n", gap,
         latency[WAKES / 10], latency[WAKES / 2], latency[WAKES * 9 / 10], latency[WAKES - 1], first);
  return 0;
}
