/* SPDX-License-Identifier: ISC */
/*
 * proc_timer RUNS CMD_A... --vs CMD_B...
 *
 * Runs the two commands alternately (A B A B ...) RUNS times each, after
 * one warm-up run of each, with stdout and stderr sent to /dev/null, and
 * prints "MEDIAN_A_US MEDIAN_B_US MIN_A_US MIN_B_US" of the wall time
 * from fork to reaping. Alternation keeps drift on a shared machine
 * from favouring either side. Exits 1 if any run fails.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS	1000

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double run_once(char **argv)
{
	double t0 = now_us();
	int status, fd;
	pid_t pid = fork();

	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "proc_timer: %s failed\n", argv[0]);
		exit(1);
	}
	return now_us() - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static double a[MAX_RUNS], b[MAX_RUNS];
	char **cmd_a = argv + 2, **cmd_b = NULL;
	int runs, i;

	if (argc < 5)
		goto usage;
	runs = atoi(argv[1]);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--vs")) {
			argv[i] = NULL;
			cmd_b = argv + i + 1;
		}
	}
	if (runs < 1 || runs > MAX_RUNS || !cmd_b || !*cmd_b)
		goto usage;
	run_once(cmd_a);
	run_once(cmd_b);
	for (i = 0; i < runs; i++) {
		a[i] = run_once(cmd_a);
		b[i] = run_once(cmd_b);
	}
	qsort(a, runs, sizeof(a[0]), cmp);
	qsort(b, runs, sizeof(b[0]), cmp);
	printf("%.1f %.1f %.1f %.1f\n", a[runs / 2], b[runs / 2], a[0], b[0]);
	return 0;
usage:
	fprintf(stderr, "usage: proc_timer RUNS CMD_A... --vs CMD_B...\n");
	return 2;
}
