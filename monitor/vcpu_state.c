/* SPDX-License-Identifier: ISC */
/*
 * The vCPU's whole state, as a snapshot or a migration carries it: the
 * registers, FPU/SSE, pending events, the MSRs a 64-bit guest can have
 * changed (EFER and the FS/GS bases travel in the sregs), and its clock.
 *
 * The MSR list is fixed here and cut to what the device can save, once,
 * before the sandbox (KVM_GET_MSR_INDEX_LIST is not in the allowlist).
 * Restoring happens before the sandbox too, so only the GET ioctls are
 * allowed afterwards.
 */
#include <string.h>
#include <time.h>

#include "monitor.h"

#define MSR_IA32_TSC			0x00000010
#define MSR_IA32_SYSENTER_CS		0x00000174
#define MSR_IA32_SYSENTER_ESP		0x00000175
#define MSR_IA32_SYSENTER_EIP		0x00000176
#define MSR_IA32_CR_PAT			0x00000277
#define MSR_STAR			0xc0000081
#define MSR_LSTAR			0xc0000082
#define MSR_CSTAR			0xc0000083
#define MSR_SYSCALL_MASK		0xc0000084
#define MSR_KERNEL_GS_BASE		0xc0000102
#define MSR_TSC_AUX			0xc0000103

static const uint32_t wanted_msrs[] = {
	MSR_IA32_TSC, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP, MSR_IA32_CR_PAT, MSR_STAR, MSR_LSTAR,
	MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE, MSR_TSC_AUX,
};

int vcpu_state_init(struct vm *vm, uint64_t tsc_hz)
{
	size_t i;
	int rc;

	vm->tsc_hz = tsc_hz;
	vm->nmsrs = 0;
	for (i = 0; i < ARRAY_SIZE(wanted_msrs); i++) {
		rc = kvm_msr_supported(&vm->kvm, wanted_msrs[i]);
		if (rc < 0)
			return -1;
		if (rc)
			vm->msr_index[vm->nmsrs++] = wanted_msrs[i];
	}
	/* Without the TSC a restored guest's clock would start again at 0. */
	if (!vm->nmsrs || vm->msr_index[0] != MSR_IA32_TSC) {
		mon_err("%s: the device cannot save the guest's TSC",
			vm->kvm.path);
		return -1;
	}
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The vCPU must be parked at a hypercall boundary (vcpu_capture_begin). */
int vcpu_state_save(struct vm *vm, struct stream_vcpu_state *v,
		    struct stream_clock *clock)
{
	uint32_t i;

	memset(v, 0, sizeof(*v));
	v->nmsrs = vm->nmsrs;
	for (i = 0; i < vm->nmsrs; i++)
		v->msrs[i].index = vm->msr_index[i];
	if (kvm_get_regs(&vm->kvm, &v->regs) ||
	    kvm_get_sregs(&vm->kvm, &v->sregs) ||
	    kvm_get_fpu(&vm->kvm, &v->fpu) ||
	    kvm_get_events(&vm->kvm, &v->events) < 0 ||
	    kvm_get_msrs(&vm->kvm, v->msrs, v->nmsrs))
		return -1;
	clock->tsc_hz = vm->tsc_hz;
	clock->guest_tsc = v->msrs[0].data;
	clock->realtime_ns = realtime_ns();
	return 0;
}

/*
 * The source's clock section, checked against this host. The guest
 * converts TSC ticks with the frequency it was told at boot, so a
 * different frequency here would run its clock fast or slow: refused
 * until TSC scaling (KVM_SET_TSC_KHZ) is used for it.
 */
int vcpu_clock_check(struct vm *vm, const struct stream_clock *clock,
		     char *err, size_t errlen)
{
	if (clock->tsc_hz / 1000 != vm->tsc_hz / 1000) {
		snprintf(err, errlen,
			 "the guest's TSC runs at %llu kHz, this host's at %llu kHz",
			 (unsigned long long)(clock->tsc_hz / 1000),
			 (unsigned long long)(vm->tsc_hz / 1000));
		return -1;
	}
	return 0;
}

/*
 * Load a saved vCPU. The guest TSC is set to @tsc (the saved value, plus
 * whatever time the caller decides the guest may see pass), so the
 * guest's monotonic clock goes on from where it stopped.
 */
int vcpu_state_load(struct vm *vm, const struct stream_vcpu_state *v,
		    uint64_t tsc)
{
	struct kvm_msr_entry msrs[STREAM_MAX_MSRS];
	uint32_t i;

	memcpy(msrs, v->msrs, v->nmsrs * sizeof(msrs[0]));
	for (i = 0; i < v->nmsrs; i++)
		if (msrs[i].index == MSR_IA32_TSC)
			msrs[i].data = tsc;
	/* sregs first: the mode decides how the rest is read. */
	if (kvm_set_sregs(&vm->kvm, &v->sregs) ||
	    kvm_set_regs(&vm->kvm, &v->regs) ||
	    kvm_set_fpu(&vm->kvm, &v->fpu) ||
	    kvm_set_events(&vm->kvm, &v->events) ||
	    kvm_set_msrs(&vm->kvm, msrs, v->nmsrs) ||
	    kvm_set_guest_tsc(&vm->kvm, tsc) < 0)
		return -1;
	return 0;
}
