/*
 * storm DIR COUNT: starts COUNT execs at once and reports each, for the benchmark's storm.
 *
 * DIR/<i>/ (i = 0..COUNT-1) holds `argv` and `env` (NUL-terminated strings) and `stdin`, which the
 * exec reads from a pipe, as from the kubelet (then EOF; a request is far below a pipe's 64 KiB
 * buffer, so it is written before the fork). Its stdout and stderr go to DIR/<i>/stdout and stderr, and DIR/<i>/report gets
 * "wall_us user_us system_us maxrss_kib status" (status: exit code, or 128 + signal) when it ends.
 * Every exec is killed after 60 s, as the kubelet kills a plugin.
 *
 * Why not spawn from node: libuv forks the bench process (fakes, proxy, ~200 MB mapped), which cost
 * ~12 ms of CPU per exec on the same 2 cores the storm is measuring, ~0.75 s of a 64-exec storm. The
 * kubelet is Go, whose os/exec starts children with clone(CLONE_VM | CLONE_VFORK): close to free.
 * This program is small, so its fork is too; it forks each exec the way bench/rusage.c does (so
 * each peak RSS is the exec's own) and waits for them in any order.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KUBELET_TIMEOUT_S 60

struct exec {
  pid_t pid;
  struct timespec start;
  char dir[4096];
};

static long long micros(struct timeval tv) { return (long long)tv.tv_sec * 1000000LL + tv.tv_usec; }

/* DIR/name's bytes, NUL-terminated, or NULL. */
static char *slurp(const char *dir, const char *name, size_t *size) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *file = fopen(path, "rb");
  if (!file) return NULL;
  struct stat st;
  fstat(fileno(file), &st);
  char *data = malloc(st.st_size + 1);
  *size = fread(data, 1, st.st_size, file);
  fclose(file);
  data[*size] = '\0';
  return data;
}

/* Reads DIR/name, a list of NUL-terminated strings, into a NULL-terminated vector. */
static char **strings(const char *dir, const char *name) {
  size_t size = 0;
  char *data = slurp(dir, name, &size);
  if (!data) return NULL;
  size_t count = 0;
  for (size_t i = 0; i < size; i++) count += data[i] == '\0';
  char **vector = calloc(count + 1, sizeof *vector);
  size_t at = 0;
  for (size_t i = 0; i < count; i++) {
    vector[i] = data + at;
    at += strlen(data + at) + 1;
  }
  return vector;
}

static int open_in(const char *dir, const char *name, int flags) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return open(path, flags, 0644);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: storm DIR COUNT\n");
    return 2;
  }
  int count = atoi(argv[2]);
  struct exec *execs = calloc(count, sizeof *execs);
  char ***args = calloc(count, sizeof *args);
  char ***envs = calloc(count, sizeof *envs);
  int *stdins = calloc(count, sizeof *stdins);
  for (int i = 0; i < count; i++) {
    snprintf(execs[i].dir, sizeof execs[i].dir, "%s/%d", argv[1], i);
    args[i] = strings(execs[i].dir, "argv");
    envs[i] = strings(execs[i].dir, "env");
    size_t size = 0;
    char *request = slurp(execs[i].dir, "stdin", &size);
    int fds[2];
    if (!args[i] || !envs[i] || !args[i][0] || !request || size > 65536 || pipe2(fds, O_CLOEXEC) != 0 ||
        write(fds[1], request, size) != (ssize_t)size) {
      fprintf(stderr, "storm: %s: no argv, env or stdin\n", execs[i].dir);
      return 2;
    }
    close(fds[1]);
    stdins[i] = fds[0];
    free(request);
  }
  /* Everything is read before the first fork: the execs start as close together as they can. */
  for (int i = 0; i < count; i++) {
    clock_gettime(CLOCK_MONOTONIC, &execs[i].start);
    pid_t pid = fork();
    if (pid < 0) {
      perror("storm: fork");
      return 2;
    }
    if (pid == 0) {
      int in = stdins[i];
      int out = open_in(execs[i].dir, "stdout", O_WRONLY | O_CREAT | O_TRUNC);
      int err = open_in(execs[i].dir, "stderr", O_WRONLY | O_CREAT | O_TRUNC);
      if (in < 0 || out < 0 || err < 0) _exit(126);
      dup2(in, 0);
      dup2(out, 1);
      dup2(err, 2);
      alarm(KUBELET_TIMEOUT_S); /* SIGALRM survives execve and kills an exec that hangs */
      execve(args[i][0], args[i], envs[i]);
      _exit(127);
    }
    execs[i].pid = pid;
    close(stdins[i]);
  }
  for (int done = 0; done < count; done++) {
    int status = 0;
    struct rusage usage;
    pid_t pid = wait4(-1, &status, 0, &usage);
    if (pid < 0) {
      perror("storm: wait4");
      return 2;
    }
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    for (int i = 0; i < count; i++) {
      if (execs[i].pid != pid) continue;
      long long wall =
          (end.tv_sec - execs[i].start.tv_sec) * 1000000LL + (end.tv_nsec - execs[i].start.tv_nsec) / 1000;
      int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
      char path[4200];
      snprintf(path, sizeof path, "%s/report", execs[i].dir);
      FILE *report = fopen(path, "w");
      if (report) {
        fprintf(report, "%lld %lld %lld %ld %d\n", wall, micros(usage.ru_utime), micros(usage.ru_stime),
                usage.ru_maxrss, code);
        fclose(report);
      }
    }
  }
  return 0;
}
