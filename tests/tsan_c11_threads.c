/* Built into every executable of the tsan preset only (CMakeLists.txt, SENSORGATE_TSAN).
 *
 * librdkafka uses C11 threads (thrd_create, mtx_lock, cnd_wait, ...). glibc implements them on
 * its internal pthread functions, not on the exported pthread_* that ThreadSanitizer
 * intercepts (GCC 12's libtsan has no C11 interceptors). So TSan never learns of librdkafka's
 * threads (their first malloc ends in "ThreadSanitizer: SEGV on unknown address 0x...c38"),
 * nor of its locks (false races on everything it hands between threads) and joins (false
 * thread leaks). Defining the C11 functions in the executable takes precedence over glibc's
 * for librdkafka, and each calls its exported pthread twin, which TSan sees. glibc's C11 types
 * are its pthread types (thrd_t is a pthread_t; mtx_t and cnd_t have their layouts), and
 * thrd_join/thrd_exit pass the int result through pthread's void* as below. */
#define _POSIX_C_SOURCE 200809L  /* pthread_mutexattr_settype, pthread_mutex_timedlock */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

static int result_of(int error) {
  switch (error) {
    case 0:
      return thrd_success;
    case ETIMEDOUT:
      return thrd_timedout;
    case EBUSY:
      return thrd_busy;
    case ENOMEM:
    case EAGAIN:
      return thrd_nomem;
    default:
      return thrd_error;
  }
}

struct start {
  thrd_start_t function;
  void* argument;
};

static void* trampoline(void* raw) {
  struct start start = *(struct start*)raw;
  free(raw);
  return (void*)(intptr_t)start.function(start.argument);
}

int thrd_create(thrd_t* thread, thrd_start_t function, void* argument) {
  struct start* start = malloc(sizeof *start);
  if (start == NULL) return thrd_nomem;
  start->function = function;
  start->argument = argument;
  const int error = pthread_create(thread, NULL, trampoline, start);
  if (error != 0) free(start);
  return result_of(error);
}

int thrd_join(thrd_t thread, int* result) {
  void* value = NULL;
  const int error = pthread_join(thread, &value);
  if (error == 0 && result != NULL) *result = (int)(intptr_t)value;
  return result_of(error);
}

int thrd_detach(thrd_t thread) {
  return result_of(pthread_detach(thread));
}

int mtx_init(mtx_t* mutex, int type) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  if ((type & mtx_recursive) != 0) {
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  }
  const int error = pthread_mutex_init((pthread_mutex_t*)mutex, &attributes);
  pthread_mutexattr_destroy(&attributes);
  return result_of(error);
}

int mtx_lock(mtx_t* mutex) {
  return result_of(pthread_mutex_lock((pthread_mutex_t*)mutex));
}

int mtx_timedlock(mtx_t* restrict mutex, const struct timespec* restrict until) {
  return result_of(pthread_mutex_timedlock((pthread_mutex_t*)mutex, until));
}

int mtx_trylock(mtx_t* mutex) {
  return result_of(pthread_mutex_trylock((pthread_mutex_t*)mutex));
}

int mtx_unlock(mtx_t* mutex) {
  return result_of(pthread_mutex_unlock((pthread_mutex_t*)mutex));
}

void mtx_destroy(mtx_t* mutex) {
  pthread_mutex_destroy((pthread_mutex_t*)mutex);
}

int cnd_init(cnd_t* condition) {
  return result_of(pthread_cond_init((pthread_cond_t*)condition, NULL));
}

int cnd_signal(cnd_t* condition) {
  return result_of(pthread_cond_signal((pthread_cond_t*)condition));
}

int cnd_broadcast(cnd_t* condition) {
  return result_of(pthread_cond_broadcast((pthread_cond_t*)condition));
}

int cnd_wait(cnd_t* condition, mtx_t* mutex) {
  return result_of(pthread_cond_wait((pthread_cond_t*)condition, (pthread_mutex_t*)mutex));
}

int cnd_timedwait(cnd_t* restrict condition, mtx_t* restrict mutex,
                  const struct timespec* restrict until) {
  return result_of(
      pthread_cond_timedwait((pthread_cond_t*)condition, (pthread_mutex_t*)mutex, until));
}

void cnd_destroy(cnd_t* condition) {
  pthread_cond_destroy((pthread_cond_t*)condition);
}
