/* SPDX-License-Identifier: ISC */
/*
 * One monitor conversation that changes the guest at a time, per VM.
 *
 * vm.pause, vm.resume and the console rotation's pause-rotate-resume
 * each take several steps on the event loop. Were they to interleave, a
 * rotation's resume could undo a client's pause, or two pauses could
 * both be told "done" while one of them failed. So they queue as jobs:
 * the head runs, the others wait, and each checks the VM's state only
 * when its turn comes (a second vm.pause queued behind a first one is
 * then refused: "vm is paused"). vm.stop and vm.kill do not queue: they
 * are signals, and they end whatever is in flight (the monitor's exit
 * fails its calls, and the jobs that then run find the VM stopped).
 */
#include "skiffd.h"

static void job_start(struct vm *vm)
{
	vm->jobs->run(vm->jobs, vm, vm->removing);
}

void vm_job_submit(struct vm *vm, struct vm_job *job)
{
	struct vm_job **pp;

	job->next = NULL;
	for (pp = &vm->jobs; *pp; pp = &(*pp)->next)
		;
	*pp = job;
	if (vm->jobs == job)
		job_start(vm);
}

/* The caller frees its job after this, not before. */
void vm_job_done(struct vm *vm)
{
	if (!vm->jobs)
		return;
	vm->jobs = vm->jobs->next;
	if (vm->jobs)
		job_start(vm);
}

bool vm_job_busy(struct vm *vm)
{
	return vm->jobs != NULL;
}
