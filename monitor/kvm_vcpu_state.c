/* SPDX-License-Identifier: ISC */
/*
 * The vCPU state ioctls a snapshot or a migration needs beyond the
 * registers: FPU, pending events and MSRs. Like kvm_backend.c, only
 * ioctls live here; vcpu_state.c decides what to save and restore.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "monitor.h"

#define MSR_LIST_MAX	1024

int kvm_get_fpu(struct kvm_backend *k, struct kvm_fpu *fpu)
{
	return kvm_vcpu_ioctl(k, KVM_GET_FPU, fpu, "KVM_GET_FPU");
}

int kvm_set_fpu(struct kvm_backend *k, const struct kvm_fpu *fpu)
{
	return kvm_vcpu_ioctl(k, KVM_SET_FPU, (void *)fpu, "KVM_SET_FPU");
}

/*
 * Pending exceptions, NMIs and interrupts. skiff.ko does not offer
 * these ioctls: its guests get no injected events between exits, so
 * "nothing pending" is the truth there. Returns 1 when not offered.
 */
int kvm_get_events(struct kvm_backend *k, struct kvm_vcpu_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (ioctl(k->vcpu_fd, KVM_GET_VCPU_EVENTS, ev) == 0)
		return 0;
	if (errno == ENOTTY || errno == EINVAL)
		return 1;
	mon_err("%s: KVM_GET_VCPU_EVENTS: %s", k->path, strerror(errno));
	return -1;
}

int kvm_set_events(struct kvm_backend *k, const struct kvm_vcpu_events *ev)
{
	static const struct kvm_vcpu_events none;

	if (ioctl(k->vcpu_fd, KVM_SET_VCPU_EVENTS, (void *)ev) == 0)
		return 0;
	if ((errno == ENOTTY || errno == EINVAL) &&
	    !memcmp(&ev->exception, &none.exception, sizeof(none.exception)) &&
	    !ev->interrupt.injected && !ev->nmi.injected && !ev->nmi.pending)
		return 0;	/* not offered, and nothing to carry over */
	mon_err("%s: KVM_SET_VCPU_EVENTS: %s", k->path, strerror(errno));
	return -1;
}

/* Is @index among the MSRs the device can save and restore? */
int kvm_msr_supported(struct kvm_backend *k, uint32_t index)
{
	struct kvm_msr_list *l;
	uint32_t i;
	int found = 0;

	l = calloc(1, sizeof(*l) + MSR_LIST_MAX * sizeof(l->indices[0]));
	if (!l) {
		mon_err("%s: MSR list: out of memory", k->path);
		return -1;
	}
	l->nmsrs = MSR_LIST_MAX;
	if (ioctl(k->dev_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		mon_err("%s: KVM_GET_MSR_INDEX_LIST: %s", k->path,
			strerror(errno));
		free(l);
		return -1;
	}
	for (i = 0; i < l->nmsrs && !found; i++)
		found = l->indices[i] == index;
	free(l);
	return found;
}

/* Read or write @n MSRs in one call; all of them must be done. */
static int msrs_ioctl(struct kvm_backend *k, unsigned long req,
		      struct kvm_msr_entry *e, uint32_t n, const char *what)
{
	struct kvm_msrs *m;
	int rc;

	m = calloc(1, sizeof(*m) + n * sizeof(*e));
	if (!m) {
		mon_err("%s: %s: out of memory", k->path, what);
		return -1;
	}
	m->nmsrs = n;
	memcpy(m->entries, e, n * sizeof(*e));
	rc = ioctl(k->vcpu_fd, req, m);
	if (rc >= 0 && (uint32_t)rc < n) {
		mon_err("%s: %s: MSR 0x%x refused (%d of %u done)", k->path,
			what, e[rc].index, rc, n);
		rc = -1;
	} else if (rc < 0) {
		mon_err("%s: %s: %s", k->path, what, strerror(errno));
	} else {
		memcpy(e, m->entries, n * sizeof(*e));
		rc = 0;
	}
	free(m);
	return rc;
}

int kvm_get_msrs(struct kvm_backend *k, struct kvm_msr_entry *e, uint32_t n)
{
	return msrs_ioctl(k, KVM_GET_MSRS, e, n, "KVM_GET_MSRS");
}

int kvm_set_msrs(struct kvm_backend *k, const struct kvm_msr_entry *e,
		 uint32_t n)
{
	return msrs_ioctl(k, KVM_SET_MSRS, (struct kvm_msr_entry *)e, n,
			  "KVM_SET_MSRS");
}

/*
 * Set the guest's TSC to @guest_tsc through the vCPU's TSC offset
 * (KVM_VCPU_TSC_OFFSET, Linux 5.16+). A host-initiated write of the TSC
 * MSR within a second of what the vCPU's creation time predicts is taken
 * by KVM before 6.6 as an attempt to synchronise vCPUs and replaced by
 * that prediction: a guest migrated within a second of its boot would
 * see its clock go back. The offset is taken as given. Returns 1 when
 * the device has no such attribute (skiff.ko: its MSR write is exact).
 */
int kvm_set_guest_tsc(struct kvm_backend *k, uint64_t guest_tsc)
{
	uint64_t offset;
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uintptr_t)&offset,
	};

	if (ioctl(k->vcpu_fd, KVM_HAS_DEVICE_ATTR, &attr) < 0)
		return 1;
	offset = guest_tsc - __builtin_ia32_rdtsc();
	return kvm_vcpu_ioctl(k, KVM_SET_DEVICE_ATTR, &attr,
			  "KVM_SET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)");
}
