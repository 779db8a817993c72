/* SPDX-License-Identifier: ISC */
/*
 * The seccomp sandbox, entered after all setup (files, taps, KVM, guest
 * memory, control socket) and before the guest's first instruction. An
 * allowlist with default action "kill the process", applied to every
 * thread (TSYNC). Stricter than solo5-hvt's: ioctl only with the few KVM
 * requests the loop and dirty logging use, and mmap/mprotect never with
 * PROT_EXEC.
 *
 * Sanitizer builds (SKIFF_SANITIZE) log instead of kill: ASan and UBSan
 * make syscalls of their own when they report, which the filter would
 * turn into a SIGSYS that hides the report. Tests that must see a
 * violation use sandbox_enter_strict(), which kills in every build.
 */
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>

#include "monitor.h"

#define SANDBOX_TRIM_THRESHOLD	(1 << 30)

static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(close), SCMP_SYS(fsync),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(timerfd_settime), SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(restart_syscall),	/* after SIGSTOP/SIGCONT */
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(futex), SCMP_SYS(munmap),
	SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(tgkill), SCMP_SYS(accept4), SCMP_SYS(recvfrom),
	SCMP_SYS(sendto), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(shutdown), SCMP_SYS(lseek), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(getrandom), SCMP_SYS(sched_yield),
};

/*
 * KVM_RUN, and reading the vCPU's state (fatal-exit messages, snapshots,
 * migrations). Restores load state before the sandbox, so no SET of the
 * vCPU's state is here. Dirty logging (dirty_log.c) runs under the
 * sandbox, for a migration: turning the slot's logging on and off, the
 * bitmap's GET and CLEAR, and the ring's RESET (the ring itself was
 * mapped before the sandbox).
 */
static const unsigned long allowed_ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_FPU,
	KVM_GET_VCPU_EVENTS, KVM_GET_MSRS,
	KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG,
	KVM_RESET_DIRTY_RINGS,
};

static int add_rules(scmp_filter_ctx ctx)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < ARRAY_SIZE(allowed); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	for (i = 0; !rc && i < ARRAY_SIZE(allowed_ioctls); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i]));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC,
					      0));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect),
				      1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC,
						 0));
	return rc;
}

static int sandbox_install(uint32_t deny)
{
	scmp_filter_ctx ctx;
	int rc;

	if (personality(0xffffffff) & READ_IMPLIES_EXEC) {
		mon_err("sandbox: refusing to run with READ_IMPLIES_EXEC");
		return -1;
	}
	/*
	 * jansson seeds its hash from /dev/urandom on first use, which the
	 * filter forbids; the control socket and the status file use it.
	 */
	json_object_seed(0);
	/*
	 * glibc trims a thread's arena after large frees (the transfer
	 * thread's buffers) and, the first time, opens
	 * /proc/sys/vm/overcommit_memory to see whether it may: a SIGSYS
	 * under the filter. Memory is not given back below this much.
	 */
	mallopt(M_TRIM_THRESHOLD, SANDBOX_TRIM_THRESHOLD);
	ctx = seccomp_init(deny);
	if (!ctx) {
		mon_err("sandbox: seccomp_init failed");
		return -1;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!rc)
		rc = add_rules(ctx);
	if (!rc)
		rc = seccomp_load(ctx);	/* sets NO_NEW_PRIVS first */
	seccomp_release(ctx);
	if (rc) {
		mon_err("sandbox: installing the seccomp filter: %s",
			strerror(-rc));
		return -1;
	}
	return 0;
}

int sandbox_enter(void)
{
#ifdef SKIFF_SANITIZE
	return sandbox_install(SCMP_ACT_LOG);
#else
	return sandbox_install(SCMP_ACT_KILL_PROCESS);
#endif
}

int sandbox_enter_strict(void)
{
	return sandbox_install(SCMP_ACT_KILL_PROCESS);
}
