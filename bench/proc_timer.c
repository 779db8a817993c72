/* SPDX-License-Identifier: ISC */
/*
 * proc_timer [--each] RUNS CMD_A... --vs CMD_B... [--vs CMD_C...]...
 *
 * Runs the commands (8 at most) in rounds, each once a round, RUNS rounds
 * after one warm-up run of each, with stdout and stderr sent to
 * /dev/null, and times each run from fork to reaping. Rounds go forward
 * and back (A B, B A, A B ... or A B C, C B A, ...), so drift on a
 * shared machine favours no command, nor does the place in a round.
 *
 * It prints the median of each command's times, then the minimum of
 * each, in microseconds: "MEDIAN_A_US MEDIAN_B_US MIN_A_US MIN_B_US"
 * for two. With --each it prints every round instead, one line a round
 * and one column a command, so ratios can be taken within each round.
 * Exits 1 if any run fails.
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
#define MAX_CMDS	8

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
	static double t[MAX_CMDS][MAX_RUNS];
	char **cmd[MAX_CMDS];
	int runs, ncmd = 1, each = 0, i, c, k;

	if (argc > 1 && !strcmp(argv[1], "--each")) {
		each = 1;
		argc--;
		argv++;
	}
	if (argc < 5)
		goto usage;
	runs = atoi(argv[1]);
	cmd[0] = argv + 2;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--vs"))
			continue;
		if (ncmd == MAX_CMDS)
			goto usage;
		argv[i] = NULL;
		cmd[ncmd++] = argv + i + 1;
	}
	if (runs < 1 || runs > MAX_RUNS || ncmd < 2)
		goto usage;
	for (c = 0; c < ncmd; c++) {
		if (!*cmd[c])
			goto usage;
	}
	for (c = 0; c < ncmd; c++)
		run_once(cmd[c]);
	for (i = 0; i < runs; i++) {
		for (k = 0; k < ncmd; k++) {
			c = i % 2 ? ncmd - 1 - k : k;
			t[c][i] = run_once(cmd[c]);
		}
	}
	if (each) {
		for (i = 0; i < runs; i++) {
			for (c = 0; c < ncmd; c++)
				printf("%.1f%c", t[c][i],
				       c + 1 < ncmd ? ' ' : '\n');
		}
		return 0;
	}
	for (c = 0; c < ncmd; c++) {
		qsort(t[c], runs, sizeof(t[c][0]), cmp);
		printf("%.1f ", t[c][runs / 2]);
	}
	for (c = 0; c < ncmd; c++)
		printf("%.1f%c", t[c][0], c + 1 < ncmd ? ' ' : '\n');
	return 0;
usage:
	fprintf(stderr,
		"usage: proc_timer [--each] RUNS CMD... --vs CMD... [--vs CMD...]...\n");
	return 2;
}
