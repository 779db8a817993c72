/* SPDX-License-Identifier: ISC */
/*
 * What the raw-ioctl suites share: the device under test, errno checks
 * and a VM with memory. Each suite is one program (raw_ioctl, raw_vcpu)
 * run as PROGRAM DEVICE skiff|kvm.
 */
#ifndef SKIFF_TESTS_KMOD_RAW_H
#define SKIFF_TESTS_KMOD_RAW_H

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define TEST_HARNESS_IMPL
#include "../lib/test_harness.h"

#define PAGE		4096UL
#define MIB		(1024UL * 1024)

static const char *dev_path;
static bool is_skiff;

/* The errno of a failed call, 0 for success. */
static int err_of(long r)
{
	return r < 0 ? errno : 0;
}

#define CHECK_ERR(call, want)                                           \
	do {                                                            \
		int got_ = err_of(call);                                \
		if (got_ != (want)) {                                   \
			fprintf(stderr, "  %s:%d: %s: errno %d (%s), want %d\n", \
				__FILE__, __LINE__, #call, got_,        \
				strerror(got_), (want));                \
			test_failures_in_case++;                        \
		}                                                       \
	} while (0)

static int open_dev(void)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "raw: %s: %s\n", dev_path, strerror(errno));
		exit(2);
	}
	return fd;
}

static int new_vm(int dev)
{
	int vm = ioctl(dev, KVM_CREATE_VM, 0);

	if (vm < 0) {
		fprintf(stderr, "raw: KVM_CREATE_VM: %s\n", strerror(errno));
		exit(2);
	}
	return vm;
}

static void *map_mem(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("raw: mmap");
		exit(2);
	}
	return p;
}

/* A device, a VM on it and len bytes of the caller's memory. */
struct fixture {
	int dev;
	int vm;
	char *m;
	size_t len;
};

static struct fixture fx_open(size_t len)
{
	struct fixture f = { .dev = open_dev(), .len = len };

	f.vm = new_vm(f.dev);
	f.m = map_mem(len);
	return f;
}

static void fx_close(struct fixture *f)
{
	munmap(f->m, f->len);
	close(f->vm);
	close(f->dev);
}

static long set_slot(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		     uint64_t size, const void *uaddr)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)uaddr,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

/* raw_main - the suite's main: argv is DEVICE skiff|kvm. */
static int raw_main(int argc, char **argv, const char *suite,
		    const struct test_case *cases, size_t n)
{
	static char name[64];

	if (argc != 3 || (strcmp(argv[2], "skiff") && strcmp(argv[2], "kvm"))) {
		fprintf(stderr, "usage: %s DEVICE skiff|kvm\n", suite);
		return 2;
	}
	dev_path = argv[1];
	is_skiff = !strcmp(argv[2], "skiff");
	snprintf(name, sizeof(name), "%s(%s)", suite, argv[2]);
	return test_main(name, cases, n) ? 1 : 0;
}

#endif
