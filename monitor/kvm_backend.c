/* SPDX-License-Identifier: ISC */
/*
 * KVM ioctls, and nothing else. Setup order follows solo5-hvt: API version,
 * VM, vCPU, the shared run area; memory, CPUID and registers come later
 * from the callers. Dirty logging's mode is settled around the vCPU's
 * creation (kvm_dirty.c: the ring can only be enabled before it).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "monitor.h"

#define KVM_API_EXPECTED	12
#define CPUID_MAX_ENTRIES	100

static int kvm_check_caps(struct kvm_backend *k)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_GET_TSC_KHZ, "KVM_CAP_GET_TSC_KHZ" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(need); i++) {
		if (ioctl(k->dev_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			mon_err("%s: missing capability %s", k->path,
				need[i].name);
			return -1;
		}
	}
	return 0;
}

/* What an operator can do about a device that will not open. */
static const char *kvm_open_hint(int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return " (no KVM here: enable virtualization, or nested "
		       "virtualization, in the firmware or hypervisor, load "
		       "kvm_intel or kvm_amd, or point --device at another "
		       "KVM-compatible device)";
	case EACCES:
	case EPERM:
		return " (no permission: run as a member of the device's "
		       "group, usually kvm)";
	default:
		return "";
	}
}

static int kvm_open_device(struct kvm_backend *k, const char *path)
{
	int ver;

	k->path = path;
	k->dev_fd = open(path, O_RDWR | O_CLOEXEC);
	if (k->dev_fd < 0) {
		mon_err("%s: %s%s", path, strerror(errno),
			kvm_open_hint(errno));
		return -1;
	}
	ver = ioctl(k->dev_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_EXPECTED) {
		mon_err("%s: not a KVM device (KVM_GET_API_VERSION: %s)", path,
			ver < 0 ? strerror(errno) : "not 12");
		return -1;
	}
	return kvm_check_caps(k);
}

static int kvm_create_vcpu(struct kvm_backend *k)
{
	int sz;
	void *run;

	k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
	if (k->vcpu_fd < 0) {
		mon_err("%s: KVM_CREATE_VCPU: %s", k->path, strerror(errno));
		return -1;
	}
	sz = ioctl(k->dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) {
		mon_err("%s: KVM_GET_VCPU_MMAP_SIZE: bad size %d", k->path,
			sz);
		return -1;
	}
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd,
		   0);
	if (run == MAP_FAILED) {
		mon_err("%s: mmap of the run area: %s", k->path,
			strerror(errno));
		return -1;
	}
	k->run = run;
	k->run_size = sz;
	return 0;
}

/*
 * KVM_GET_SUPPORTED_CPUID is the slowest ioctl of start-up (about half a
 * millisecond here, a fifth of a whole raw KVM run): fetch it on a thread
 * while the VM, the vCPU and guest memory are being made.
 */
static struct {
	pthread_t thread;
	bool started;
	int dev_fd;
	int err;
	struct kvm_cpuid2 *cpuid;
} cpuid_fetch;

static void *cpuid_fetch_thread(void *arg)
{
	struct kvm_cpuid2 *c;

	(void)arg;
	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c) {
		cpuid_fetch.err = ENOMEM;
		return NULL;
	}
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(cpuid_fetch.dev_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		cpuid_fetch.err = errno;
		free(c);
		return NULL;
	}
	cpuid_fetch.cpuid = c;
	return NULL;
}

static void cpuid_fetch_start(int dev_fd)
{
	cpuid_fetch.dev_fd = dev_fd;
	cpuid_fetch.started = !pthread_create(&cpuid_fetch.thread, NULL,
					      cpuid_fetch_thread, NULL);
}

static struct kvm_cpuid2 *cpuid_fetch_result(int dev_fd)
{
	if (cpuid_fetch.started) {
		pthread_join(cpuid_fetch.thread, NULL);
		cpuid_fetch.started = false;
	} else if (!cpuid_fetch.cpuid && !cpuid_fetch.err) {
		cpuid_fetch.dev_fd = dev_fd;
		cpuid_fetch_thread(NULL);
	}
	errno = cpuid_fetch.err;
	return cpuid_fetch.cpuid;
}

int kvm_open(struct kvm_backend *k, const char *path)
{
	memset(k, 0, sizeof(*k));
	k->dev_fd = k->vm_fd = k->vcpu_fd = -1;

	if (kvm_open_device(k, path))
		goto err;
	cpuid_fetch_start(k->dev_fd);
	k->vm_fd = ioctl(k->dev_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0) {
		mon_err("%s: KVM_CREATE_VM: %s", path, strerror(errno));
		goto err;
	}
	kvm_dirty_setup(k);
	if (kvm_create_vcpu(k) || kvm_dirty_ring_map(k))
		goto err;
	return 0;
err:
	kvm_close(k);
	return -1;
}

void kvm_close(struct kvm_backend *k)
{
	if (cpuid_fetch.started) {
		pthread_join(cpuid_fetch.thread, NULL);
		cpuid_fetch.started = false;
	}
	kvm_dirty_ring_unmap(k);
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->dev_fd >= 0)
		close(k->dev_fd);
	k->run = NULL;
	k->vcpu_fd = k->vm_fd = k->dev_fd = -1;
}

int kvm_set_memory(struct kvm_backend *k, uint32_t slot, uint64_t gpa,
		   uint64_t size, void *host, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		mon_err("%s: KVM_SET_USER_MEMORY_REGION: %s", k->path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Hide VMX and SVM from the guest: a unikernel has no use for them, and
 * offering nested virtualization only widens what a hostile guest can
 * reach (Solo5 passes CPUID through unfiltered; see its issue #610).
 */
static void cpuid_filter(struct kvm_cpuid2 *c)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1)
			e->ecx &= ~(1u << 5);		/* VMX */
		if (e->function == 0x80000001)
			e->ecx &= ~(1u << 2);		/* SVM */
	}
}

int kvm_set_cpuid(struct kvm_backend *k)
{
	struct kvm_cpuid2 *c = cpuid_fetch_result(k->dev_fd);

	if (!c) {
		mon_err("%s: KVM_GET_SUPPORTED_CPUID: %s", k->path,
			strerror(errno));
		return -1;
	}
	cpuid_filter(c);
	if (ioctl(k->vcpu_fd, KVM_SET_CPUID2, c) < 0) {
		mon_err("%s: KVM_SET_CPUID2: %s", k->path, strerror(errno));
		return -1;
	}
	return 0;
}

int kvm_get_tsc_hz(struct kvm_backend *k, uint64_t *hz)
{
	int khz = ioctl(k->vcpu_fd, KVM_GET_TSC_KHZ, 0);

	if (khz < 0 && errno == EIO) {
		mon_err("%s: host TSC is unstable, cannot run guests",
			k->path);
		return -1;
	}
	if (khz <= 0) {
		mon_err("%s: KVM_GET_TSC_KHZ: %s", k->path, strerror(errno));
		return -1;
	}
	*hz = (uint64_t)khz * 1000;
	return 0;
}

int kvm_vcpu_ioctl(struct kvm_backend *k, unsigned long req, void *arg,
		   const char *what)
{
	if (ioctl(k->vcpu_fd, req, arg) < 0) {
		mon_err("%s: %s: %s", k->path, what, strerror(errno));
		return -1;
	}
	return 0;
}

int kvm_get_regs(struct kvm_backend *k, struct kvm_regs *regs)
{
	return kvm_vcpu_ioctl(k, KVM_GET_REGS, regs, "KVM_GET_REGS");
}

int kvm_set_regs(struct kvm_backend *k, const struct kvm_regs *regs)
{
	return kvm_vcpu_ioctl(k, KVM_SET_REGS, (void *)regs, "KVM_SET_REGS");
}

int kvm_get_sregs(struct kvm_backend *k, struct kvm_sregs *sregs)
{
	return kvm_vcpu_ioctl(k, KVM_GET_SREGS, sregs, "KVM_GET_SREGS");
}

int kvm_set_sregs(struct kvm_backend *k, const struct kvm_sregs *sregs)
{
	return kvm_vcpu_ioctl(k, KVM_SET_SREGS, (void *)sregs, "KVM_SET_SREGS");
}

int kvm_run(struct kvm_backend *k)
{
	if (ioctl(k->vcpu_fd, KVM_RUN, 0) < 0)
		return -errno;
	return 0;
}
