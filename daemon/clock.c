/* SPDX-License-Identifier: ISC */
/*
 * Wall-clock time (reported to clients, persisted) and monotonic time
 * (deadlines and timeouts).
 */
#include <time.h>

#include "skiffd.h"

double now_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double now_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
