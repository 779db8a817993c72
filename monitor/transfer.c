/* SPDX-License-Identifier: ISC */
/*
 * The transfer thread: writes snapshots and sends migrations, so the
 * control thread keeps answering monitor.info meanwhile. It is created
 * before the sandbox, which forbids the syscalls a new thread makes, and
 * waits for one job at a time. A finished job's result waits in a slot
 * and a byte on a pipe tells the control thread to collect it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "monitor.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, running, stopping;
	struct vm *vm;
	int done[2];			/* the thread writes a byte when done */
	bool busy;			/* a job is queued or running */
	bool have_job, have_result;
	bool migrate;			/* the job: a migration, else a snapshot */
	int fd;
	char *definition;
	struct migrate_params params;
	struct transfer_result result;
	struct migrate_progress progress;
	bool have_progress;
} tr = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.done = { -1, -1 },
	.fd = -1,
};

static void run_snapshot(int fd, char *definition, struct transfer_result *r)
{
	memset(r, 0, sizeof(*r));
	if (snapshot_write(tr.vm, fd, definition, &r->stats, r->message,
			   sizeof(r->message)))
		r->code = SKIFF_ERR_SYSTEM;
	close(fd);
	free(definition);
}

static void run_migrate(int sock, const struct migrate_params *p,
			struct transfer_result *r)
{
	enum migrate_outcome out;

	memset(r, 0, sizeof(*r));
	r->migration = true;
	out = migrate_send(tr.vm, sock, p, &r->mig, r->message,
			   sizeof(r->message));
	if (out == MIGRATE_FAILED)
		r->code = SKIFF_ERR_SYSTEM;
	else if (out == MIGRATE_UNKNOWN)
		r->code = SKIFF_ERR_ILLEGAL_STATE;
	close(sock);
}

static void *transfer_thread(void *arg)
{
	struct migrate_params params;
	struct transfer_result r;
	char *definition;
	bool migrate;
	int fd;

	(void)arg;
	pthread_mutex_lock(&tr.lock);
	tr.started = true;
	pthread_cond_broadcast(&tr.cond);
	for (;;) {
		while (!tr.have_job && !tr.stopping)
			pthread_cond_wait(&tr.cond, &tr.lock);
		if (tr.stopping)
			break;
		fd = tr.fd;
		definition = tr.definition;
		migrate = tr.migrate;
		params = tr.params;
		tr.have_job = false;
		pthread_mutex_unlock(&tr.lock);
		if (migrate)
			run_migrate(fd, &params, &r);
		else
			run_snapshot(fd, definition, &r);
		pthread_mutex_lock(&tr.lock);
		tr.result = r;
		tr.have_result = true;
		if (write(tr.done[1], "x", 1) < 0)
			mon_warn("transfer: cannot wake the control thread");
	}
	pthread_mutex_unlock(&tr.lock);
	return NULL;
}

int transfer_start(struct vm *vm)
{
	sigset_t block, old;
	int rc;

	tr.vm = vm;
	if (pipe2(tr.done, O_CLOEXEC | O_NONBLOCK) < 0) {
		mon_err("transfer thread: pipe: %s", strerror(errno));
		return -1;
	}
	/* Signals that steer the vCPU must reach the vCPU thread only. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&tr.thread, NULL, transfer_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		mon_err("transfer thread: %s", strerror(rc));
		return -1;
	}
	tr.running = true;
	/* Thread start-up makes syscalls (rseq, robust list) the sandbox forbids. */
	pthread_mutex_lock(&tr.lock);
	while (!tr.started)
		pthread_cond_wait(&tr.cond, &tr.lock);
	pthread_mutex_unlock(&tr.lock);
	return 0;
}

void transfer_stop(void)
{
	if (tr.running) {
		pthread_mutex_lock(&tr.lock);
		tr.stopping = true;
		pthread_cond_broadcast(&tr.cond);
		pthread_mutex_unlock(&tr.lock);
		pthread_join(tr.thread, NULL);
		tr.running = false;
	}
	if (tr.have_job) {
		close(tr.fd);
		free(tr.definition);
		tr.have_job = false;
	}
}

int transfer_done_fd(void)
{
	return tr.done[0];
}

int transfer_submit_snapshot(int fd, char *definition)
{
	pthread_mutex_lock(&tr.lock);
	if (tr.busy || !tr.running) {
		pthread_mutex_unlock(&tr.lock);
		return tr.running ? -EBUSY : -ENOSYS;
	}
	tr.busy = tr.have_job = true;
	tr.migrate = false;
	tr.fd = fd;
	tr.definition = definition;
	pthread_cond_broadcast(&tr.cond);
	pthread_mutex_unlock(&tr.lock);
	return 0;
}

int transfer_submit_migrate(int sock, const struct migrate_params *p)
{
	pthread_mutex_lock(&tr.lock);
	if (tr.busy || !tr.running) {
		pthread_mutex_unlock(&tr.lock);
		return tr.running ? -EBUSY : -ENOSYS;
	}
	tr.busy = tr.have_job = tr.migrate = true;
	tr.fd = sock;
	tr.definition = NULL;
	tr.params = *p;
	pthread_cond_broadcast(&tr.cond);
	pthread_mutex_unlock(&tr.lock);
	return 0;
}

void transfer_progress_set(const struct migrate_progress *p)
{
	pthread_mutex_lock(&tr.lock);
	tr.have_progress = p;
	if (p)
		tr.progress = *p;
	pthread_mutex_unlock(&tr.lock);
}

bool transfer_progress(struct migrate_progress *p)
{
	bool have;

	pthread_mutex_lock(&tr.lock);
	have = tr.have_progress;
	if (have)
		*p = tr.progress;
	pthread_mutex_unlock(&tr.lock);
	return have;
}

bool transfer_take_result(struct transfer_result *r)
{
	char buf[16];
	bool have;

	while (read(tr.done[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&tr.lock);
	have = tr.have_result;
	if (have) {
		*r = tr.result;
		tr.have_result = tr.busy = false;
	}
	pthread_mutex_unlock(&tr.lock);
	return have;
}
