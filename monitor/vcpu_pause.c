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

/* Is anyone holding the vCPU? Read without the lock on every exit. */
static bool pause_active(const struct vm_pause *p)
{
	return __atomic_load_n(&p->active, __ATOMIC_ACQUIRE);
}

/* Called with the lock held whenever requested or holds change. */
static void pause_update(struct vm_pause *p)
{
	__atomic_store_n(&p->active, p->requested || p->holds,
			 __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->cond);
}

/*
 * KVM finishes an OUT (moves RIP past it) only on the next KVM_RUN.
 * A KVM_RUN with immediate_exit set does that and returns at once, so
 * the saved state is at a hypercall boundary on /dev/kvm as on
 * /dev/skiff (which moves RIP before it exits; there this is a no-op).
 * This is what the KVM API documents for saving state after an exit.
 */
static void complete_pending_io(struct vm *vm)
{
	struct kvm_run *run = vm->kvm.run;

	run->immediate_exit = 1;
	kvm_run(&vm->kvm);
	run->immediate_exit = 0;
}

bool vcpu_pause_point(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;
	struct timespec ts;
	bool migrated;

	/* The common case, on every exit: no pause asked for, no lock taken. */
	if (!pause_active(p))
		return false;
	pthread_mutex_lock(&p->lock);
	while (p->active && !vcpu_stop_signal && !p->migrated) {
		if (!p->at_boundary) {
			pthread_mutex_unlock(&p->lock);
			complete_pending_io(vm);
			pthread_mutex_lock(&p->lock);
			p->paused = p->at_boundary = true;
			pthread_cond_broadcast(&p->cond);
			continue;
		}
		/* A stop signal cannot signal the condvar: look again soon. */
		deadline_in(&ts, PAUSE_WAIT_MS);
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	}
	migrated = p->migrated;
	if (!migrated)
		p->paused = p->at_boundary = false;
	pthread_mutex_unlock(&p->lock);
	return migrated;
}

/*
 * Inside POLL's wait: a pause parks here (the wait then goes on), but a
 * capture needs the vCPU at a hypercall boundary, so it ends the POLL
 * at once with nothing ready, like a timeout that came early; the guest
 * calls POLL again, and the restored guest does the same. Returns true
 * when the POLL must end.
 */
bool vcpu_poll_pause_point(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;
	struct timespec ts;
	bool end = false;

	if (!pause_active(p))
		return false;
	pthread_mutex_lock(&p->lock);
	while (p->active && !vcpu_stop_signal) {
		if (p->holds) {
			end = true;
			break;
		}
		if (!p->paused) {
			p->paused = true;
			pthread_cond_broadcast(&p->cond);
		}
		deadline_in(&ts, PAUSE_WAIT_MS);
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	}
	p->paused = false;
	pthread_mutex_unlock(&p->lock);
	return end;
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
	p->requested = true;
	pause_update(p);
	pthread_mutex_unlock(&p->lock);
	pthread_kill(vm->vcpu_thread, SIGUSR1);

	deadline_in(&ts, PAUSE_ACK_TIMEOUT_S * 1000);
	pthread_mutex_lock(&p->lock);
	while (p->requested && !p->paused && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	if (!p->paused) {
		p->requested = false;
		pause_update(p);
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
	p->requested = false;
	pause_update(p);
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

/*
 * Hold the vCPU parked at a hypercall boundary for a snapshot or a
 * migration, whatever vm.pause does meanwhile. Holds nest with pauses:
 * the vCPU runs again only when neither holds it.
 */
int vcpu_capture_begin(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;
	struct timespec ts;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	p->holds++;
	pause_update(p);
	pthread_mutex_unlock(&p->lock);
	pthread_kill(vm->vcpu_thread, SIGUSR1);

	deadline_in(&ts, PAUSE_ACK_TIMEOUT_S * 1000);
	pthread_mutex_lock(&p->lock);
	while (!p->at_boundary && !p->ended && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	rc = p->at_boundary ? 0 : p->ended ? -ESRCH : -ETIMEDOUT;
	pthread_mutex_unlock(&p->lock);
	if (rc)
		vcpu_capture_end(vm);
	return rc;
}

void vcpu_capture_end(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;

	pthread_mutex_lock(&p->lock);
	p->holds--;
	pause_update(p);
	pthread_mutex_unlock(&p->lock);
}

/* The vCPU loop returned: nothing will reach a boundary any more. */
void vcpu_loop_ended(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;

	pthread_mutex_lock(&p->lock);
	p->ended = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void vcpu_hold_paused(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;

	pthread_mutex_lock(&p->lock);
	p->requested = true;
	p->holds--;
	pause_update(p);
	pthread_mutex_unlock(&p->lock);
}

void vcpu_end_migrated(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;

	pthread_mutex_lock(&p->lock);
	p->migrated = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}
