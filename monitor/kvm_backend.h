/* SPDX-License-Identifier: ISC */
/*
 * The only place skiff-monitor talks to the hypervisor device. It speaks
 * the KVM ioctl ABI, so the same code drives /dev/kvm and skiff.ko's
 * /dev/skiff; anything the monitor needs from the device goes through a
 * function here, which keeps that subset small and visible.
 */
#ifndef SKIFF_KVM_BACKEND_H
#define SKIFF_KVM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* How the device reports dirty pages: chosen once, in kvm_open(). */
enum kvm_dirty_mode {
	KVM_DIRTY_MODE_BITMAP,		/* KVM_GET_DIRTY_LOG re-arms as it reads */
	KVM_DIRTY_MODE_MANUAL,		/* GET reads, KVM_CLEAR_DIRTY_LOG re-arms */
	KVM_DIRTY_MODE_RING,		/* the vCPU's ring, KVM_RESET_DIRTY_RINGS */
};

struct kvm_backend {
	const char *path;
	int dev_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	enum kvm_dirty_mode dirty_mode;
	bool dirty_init_set;		/* manual, KVM_DIRTY_LOG_INITIALLY_SET */
	struct kvm_dirty_gfn *ring;	/* mapped from the vCPU fd */
	uint32_t ring_entries;		/* a power of two */
	uint32_t ring_next;		/* the next entry to collect */
};

int kvm_open(struct kvm_backend *k, const char *path);
void kvm_close(struct kvm_backend *k);
int kvm_set_memory(struct kvm_backend *k, uint32_t slot, uint64_t gpa,
		   uint64_t size, void *host, uint32_t flags);
int kvm_set_cpuid(struct kvm_backend *k);
int kvm_get_tsc_hz(struct kvm_backend *k, uint64_t *hz);
/* A vCPU ioctl; on failure logs "DEVICE: WHAT: error" and returns -1. */
int kvm_vcpu_ioctl(struct kvm_backend *k, unsigned long req, void *arg,
		   const char *what);
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
int kvm_set_guest_tsc(struct kvm_backend *k, uint64_t guest_tsc);
int kvm_get_msrs(struct kvm_backend *k, struct kvm_msr_entry *e, uint32_t n);
int kvm_set_msrs(struct kvm_backend *k, const struct kvm_msr_entry *e,
		 uint32_t n);

/* Returns 0, or -errno (-EINTR when a signal kicked the vCPU out). */
int kvm_run(struct kvm_backend *k);

/* --- kvm_dirty.c: the dirty-logging ioctls ------------------------------ */
/* The best mode kvm_open() may choose; tests lower it to reach the others. */
extern enum kvm_dirty_mode kvm_dirty_mode_max;

/* Choose the mode and enable it: after KVM_CREATE_VM, before the vCPU. */
void kvm_dirty_setup(struct kvm_backend *k);
/* Map the ring (ring mode only): after the vCPU, before the sandbox. */
int kvm_dirty_ring_map(struct kvm_backend *k);
void kvm_dirty_ring_unmap(struct kvm_backend *k);
int kvm_get_dirty_log(struct kvm_backend *k, uint32_t slot, uint64_t *bitmap);
/* @first a multiple of 64; @num too, or reaching the end of the slot. */
int kvm_clear_dirty_log(struct kvm_backend *k, uint32_t slot, uint64_t first,
			uint32_t num, uint64_t *bitmap);
/*
 * Take every dirty entry off the ring: set bit (offset) in @bitmap for
 * those of @slot below @npages (a NULL @bitmap drops them), hand the
 * entries back and re-arm their pages. One caller at a time. Returns the
 * number of entries taken, or -1.
 */
long kvm_dirty_ring_collect(struct kvm_backend *k, uint32_t slot,
			    uint64_t *bitmap, uint64_t npages);

#endif
