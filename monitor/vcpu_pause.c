/* SPDX-License-Identifier: ISC */
/*
 * Stopping and pausing the vCPU from outside it.
 *
 * The vCPU thread blocks in KVM_RUN (or in POLL's wait). A signal gets it
 * out: the handler sets kvm_run.immediate_exit, so a signal that lands
 * just before KVM_RUN still makes it return -EINTR at once. SIGTERM and
 * SIGINT ask the loop to stop after the exit in hand is handled (an
 * in-flight hypercall always completes); SIGUSR1 is the control thread's
 * kick for a pause. Pauses park the vCPU thread on a condition variable
 * at the top of the loop (or inside POLL), never mid-hypercall.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "monitor.h"

#define PAUSE_WAIT_MS		100
#define PAUSE_ACK_TIMEOUT_S	10

volatile sig_atomic_t vcpu_stop_signal;
static struct kvm_run *volatile kick_run;

static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		vcpu_stop_signal = sig;
	if (kick_run)
		kick_run->immediate_exit = 1;
}

int vcpu_signals_init(struct vm *vm)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGUSR1 };
	struct sigaction sa;
	size_t i;

	kick_run = vm->kvm.run;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: interrupt waits */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		if (sigaction(sigs[i], &sa, NULL) < 0) {
			mon_err("sigaction: %s", strerror(errno));
			return -1;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&vm->pause.lock, NULL);
	pthread_cond_init(&vm->pause.cond, NULL);
	vm->vcpu_thread = pthread_self();
	return 0;
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void vcpu_pause_point(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;
	struct timespec ts;

	/* The common case, on every exit: no pause asked for, no lock taken. */
	if (!__atomic_load_n(&p->requested, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&p->lock);
	while (p->requested && !vcpu_stop_signal) {
		if (!p->paused) {
			p->paused = true;
			pthread_cond_broadcast(&p->cond);
		}
		/* A stop signal cannot signal the condvar: look again soon. */
		deadline_in(&ts, PAUSE_WAIT_MS);
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	}
	p->paused = false;
	pthread_mutex_unlock(&p->lock);
}

int vcpu_request_pause(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;
	struct timespec ts;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	if (p->requested) {
		pthread_mutex_unlock(&p->lock);
		return -EALREADY;
	}
	__atomic_store_n(&p->requested, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&p->lock);
	pthread_kill(vm->vcpu_thread, SIGUSR1);

	deadline_in(&ts, PAUSE_ACK_TIMEOUT_S * 1000);
	pthread_mutex_lock(&p->lock);
	while (p->requested && !p->paused && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	if (!p->paused) {
		__atomic_store_n(&p->requested, false, __ATOMIC_RELEASE);
		rc = -ETIMEDOUT;
	} else {
		rc = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int vcpu_resume(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;

	pthread_mutex_lock(&p->lock);
	if (!p->requested) {
		pthread_mutex_unlock(&p->lock);
		return -EALREADY;
	}
	__atomic_store_n(&p->requested, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

bool vcpu_is_paused(struct vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->pause.lock);
	paused = vm->pause.requested;
	pthread_mutex_unlock(&vm->pause.lock);
	return paused;
}
