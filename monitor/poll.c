/* SPDX-License-Identifier: ISC */
/*
 * POLL: wait until a net device has a frame or a relative timeout passes.
 * The wait set (an epoll with every net fd and one timerfd) is built
 * before the sandbox goes on. A signal interrupts the wait: a stop request
 * ends it early, a pause request parks the vCPU and the wait then goes on
 * to the original deadline.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "monitor.h"

#define POLL_TIMER_TAG	UINT32_MAX

static int poll_epfd = -1;
static int poll_timerfd = -1;

static int poll_add(int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(poll_epfd, EPOLL_CTL_ADD, fd, &ev);
}

int poll_setup(struct vm *vm)
{
	uint32_t i;

	poll_epfd = epoll_create1(EPOLL_CLOEXEC);
	poll_timerfd = timerfd_create(CLOCK_MONOTONIC,
				      TFD_NONBLOCK | TFD_CLOEXEC);
	if (poll_epfd < 0 || poll_timerfd < 0 ||
	    poll_add(poll_timerfd, POLL_TIMER_TAG))
		goto err;
	for (i = 1; i < vm->mft.entries; i++)
		if (vm->dev[i].type == MFT_DEV_NET_BASIC &&
		    poll_add(vm->dev[i].fd, i))
			goto err;
	return 0;
err:
	mon_err("POLL wait set: %s", strerror(errno));
	return -1;
}

static void poll_arm(uint64_t ns)
{
	struct itimerspec it = { 0 };

	it.it_value.tv_sec = ns / 1000000000ull;
	/* An all-zero value would disarm the timer: make it at least 1 ns. */
	it.it_value.tv_nsec = (ns % 1000000000ull) | 1;
	timerfd_settime(poll_timerfd, 0, &it, NULL);
}

static void poll_disarm(void)
{
	struct itimerspec it = { 0 };
	uint64_t expirations;

	timerfd_settime(poll_timerfd, 0, &it, NULL);
	if (read(poll_timerfd, &expirations, sizeof(expirations)) < 0)
		return;		/* EAGAIN: it had not fired */
}

/* Wait for the first event: the number of events, 0 on a stop or capture. */
static int poll_wait(struct vm *vm, struct epoll_event *ev, int max)
{
	for (;;) {
		int n = epoll_wait(poll_epfd, ev, max, -1);

		if (n > 0)
			return n;
		if (n < 0 && errno != EINTR)
			return -1;
		if (vcpu_stop_signal || vcpu_poll_pause_point(vm))
			return 0;
	}
}

enum hc_result hc_poll(struct vm *vm, uint64_t gpa)
{
	struct epoll_event ev[MFT_MAX_ENTRIES + 1];
	struct hvt_hc_poll a;
	int i, n;

	if (hc_args_inout(vm, HVT_HYPERCALL_POLL, gpa, &a, sizeof(a)))
		return HC_FATAL;
	poll_arm(a.timeout_nsecs);
	n = poll_wait(vm, ev, MFT_MAX_ENTRIES + 1);
	poll_disarm();
	if (n < 0) {
		mon_err("hypercall POLL: epoll_wait: %s", strerror(errno));
		return HC_FATAL;
	}
	a.ready_set = 0;
	a.ret = 0;
	for (i = 0; i < n; i++) {
		if (ev[i].data.u32 == POLL_TIMER_TAG)
			continue;
		a.ready_set |= 1ull << ev[i].data.u32;
		a.ret++;
	}
	if (hc_args_out(vm, HVT_HYPERCALL_POLL, gpa, &a, sizeof(a)))
		return HC_FATAL;
	return HC_CONTINUE;
}
