/* SPDX-License-Identifier: ISC */
/*
 * The only place skiff-monitor talks to the hypervisor device. It speaks
 * the KVM ioctl ABI, so the same code drives /dev/kvm and skiff.ko's
 * /dev/skiff; anything the monitor needs from the device goes through a
 * function here, which keeps that subset small and visible.
 */
#ifndef SKIFF_KVM_BACKEND_H
#define SKIFF_KVM_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

struct kvm_backend {
	const char *path;
	int dev_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
};

int kvm_open(struct kvm_backend *k, const char *path);
void kvm_close(struct kvm_backend *k);
int kvm_set_memory(struct kvm_backend *k, uint32_t slot, uint64_t gpa,
		   uint64_t size, void *host, uint32_t flags);
int kvm_set_cpuid(struct kvm_backend *k);
int kvm_get_tsc_hz(struct kvm_backend *k, uint64_t *hz);
int kvm_get_regs(struct kvm_backend *k, struct kvm_regs *regs);
int kvm_set_regs(struct kvm_backend *k, const struct kvm_regs *regs);
int kvm_get_sregs(struct kvm_backend *k, struct kvm_sregs *sregs);
int kvm_set_sregs(struct kvm_backend *k, const struct kvm_sregs *sregs);
/* kvm_vcpu_state.c: the rest of a vCPU's state, for snapshots. */
int kvm_get_fpu(struct kvm_backend *k, struct kvm_fpu *fpu);
int kvm_set_fpu(struct kvm_backend *k, const struct kvm_fpu *fpu);
/* Returns 1 (all zero in @ev) where the device does not offer events. */
int kvm_get_events(struct kvm_backend *k, struct kvm_vcpu_events *ev);
int kvm_set_events(struct kvm_backend *k, const struct kvm_vcpu_events *ev);
/* 1 if the device saves and restores MSR @index, 0 if not, -1 on error. */
int kvm_msr_supported(struct kvm_backend *k, uint32_t index);
int kvm_get_msrs(struct kvm_backend *k, struct kvm_msr_entry *e, uint32_t n);
int kvm_set_msrs(struct kvm_backend *k, const struct kvm_msr_entry *e,
		 uint32_t n);

/* Returns 0, or -errno (-EINTR when a signal kicked the vCPU out). */
int kvm_run(struct kvm_backend *k);

#endif
