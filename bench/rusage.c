/*
 * rusage REPORT COMMAND [ARGS...]: runs COMMAND with this process's stdin, stdout and stderr, and
 * writes "wall_us user_us system_us maxrss_kib" of that one child to REPORT; exits as the child did.
 *
 * Why C and not GNU time or the bench's own spawn: Node has no child rusage API; GNU time prints CPU
 * in centiseconds (an exec of the floor is ~10 ms); and a spawner with a large address space (node,
 * bun) that forks or vforks the child gets its own RSS counted as the child's peak, because the
 * kernel records the old mm's high-water mark at exec. This wrapper is ~1 MiB and forks, so the peak
 * RSS is the command's own, and the CPU is the kernel's precise per-task accounting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long micros(struct timeval tv) { return (long long)tv.tv_sec * 1000000LL + tv.tv_usec; }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: rusage REPORT COMMAND [ARGS...]\n");
    return 2;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid = fork();
  if (pid < 0) {
    perror("rusage: fork");
    return 2;
  }
  if (pid == 0) {
    execv(argv[2], argv + 2);
    perror("rusage: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) < 0) {
    perror("rusage: wait4");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  long long wall = (end.tv_sec - start.tv_sec) * 1000000LL + (end.tv_nsec - start.tv_nsec) / 1000;
  FILE *report = fopen(argv[1], "w");
  if (report) {
    fprintf(report, "%lld %lld %lld %ld\n", wall, micros(usage.ru_utime), micros(usage.ru_stime), usage.ru_maxrss);
    fclose(report);
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
