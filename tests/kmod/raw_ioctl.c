/* SPDX-License-Identifier: ISC */
/*
 * raw_ioctl DEVICE skiff|kvm: drive a KVM-style device with raw ioctls,
 * in the spirit of OpenBSD's vmm regress tests and KVM's selftests.
 * The same checks run on /dev/skiff and on /dev/kvm: where skiff means
 * to answer as KVM does they expect the same errno on both; where it
 * differs on purpose (docs/kmod.md) each device's outcome is stated.
 * This suite covers the device and VM ioctls; raw_vcpu the vCPU's.
 */
#include <sys/wait.h>

#include "raw.h"

/* VmLck of this process in kB: what pinned slots are charged to. */
static long vm_locked_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

TEST(api_version)
{
	int dev = open_dev();

	CHECK_EQ_U64(ioctl(dev, KVM_GET_API_VERSION, 0), 12);
	CHECK_ERR(ioctl(dev, KVM_GET_API_VERSION, 1), EINVAL);
	close(dev);
}

/*
 * Unknown ioctls: ENOTTY from skiff everywhere. KVM on x86 answers
 * EINVAL on the device fd (kvm_arch_dev_ioctl) and ENOTTY on a VM fd.
 */
TEST(unknown_ioctls)
{
	int dev = open_dev(), vm = new_vm(dev);
	int on_dev = is_skiff ? ENOTTY : EINVAL;

	CHECK_ERR(ioctl(dev, _IO(KVMIO, 0xfe), 0), on_dev);
	CHECK_ERR(ioctl(dev, _IOW('x', 1, int), 0), on_dev);
	CHECK_ERR(ioctl(vm, _IO(KVMIO, 0xfe), 0), ENOTTY);
	close(vm);
	close(dev);
}

TEST(check_extension)
{
	int dev = open_dev(), vm = new_vm(dev);

	CHECK_EQ_U64(ioctl(dev, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 1);
	CHECK_EQ_U64(ioctl(dev, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM), 1);
	CHECK(ioctl(dev, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS) >= 32);
	CHECK_EQ_U64(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 1);
	CHECK_EQ_U64(ioctl(dev, KVM_CHECK_EXTENSION, 0x7fffffff), 0);
	if (is_skiff)
		CHECK_EQ_U64(ioctl(dev, KVM_CHECK_EXTENSION,
				   KVM_CAP_NR_MEMSLOTS), 32);
	close(vm);
	close(dev);
}

TEST(create_vm_type)
{
	int dev = open_dev();

	CHECK_ERR(ioctl(dev, KVM_CREATE_VM, 1), EINVAL);
	CHECK_ERR(ioctl(dev, KVM_CREATE_VM, ~0UL), EINVAL);
	close(dev);
}

TEST(memslot_refusals)
{
	struct fixture f = fx_open(2 * MIB);
	int vm = f.vm;
	char *m = f.m;

	CHECK_ERR(set_slot(vm, 0, 1U << 5, 0, 2 * MIB, m), EINVAL);
	CHECK_ERR(set_slot(vm, 0, 0, 0, 2 * MIB - 1, m), EINVAL);
	CHECK_ERR(set_slot(vm, 0, 0, 0x800, 2 * MIB, m), EINVAL);
	CHECK_ERR(set_slot(vm, 0, 0, 0, 2 * MIB, m + 8), EINVAL);
	CHECK_ERR(set_slot(vm, 0, 0, 0, 2 * MIB,
			   (void *)0xffff800000000000UL), EINVAL);
	CHECK_ERR(set_slot(vm, 0, 0, ~0UL & ~(PAGE - 1), 2 * MIB, m), EINVAL);
	CHECK_ERR(set_slot(vm, 0, 0, 0, 1UL << 44, m), EINVAL);
	CHECK_ERR(set_slot(vm, 3, 0, 0, 0, NULL), EINVAL);
	CHECK_ERR(ioctl(vm, KVM_SET_USER_MEMORY_REGION, NULL), EFAULT);
	CHECK_ERR(ioctl(vm, KVM_SET_USER_MEMORY_REGION, (void *)8), EFAULT);
	fx_close(&f);
}

TEST(memslot_lifecycle)
{
	struct fixture f = fx_open(4 * MIB);
	int vm = f.vm;
	char *m = f.m;

	CHECK_ERR(set_slot(vm, 0, 0, 0, 2 * MIB, m), 0);
	/* The same again changes nothing. */
	CHECK_ERR(set_slot(vm, 0, 0, 0, 2 * MIB, m), 0);
	CHECK_ERR(set_slot(vm, 1, 0, MIB, MIB, m + 2 * MIB), EEXIST);
	CHECK_ERR(set_slot(vm, 1, 0, 2 * MIB, MIB, m + 2 * MIB), 0);
	/* Size, user address and read-only never change in place. */
	CHECK_ERR(set_slot(vm, 0, 0, 0, MIB, m), EINVAL);
	CHECK_ERR(set_slot(vm, 0, 0, 0, 2 * MIB, m + MIB), EINVAL);
	CHECK_ERR(set_slot(vm, 0, KVM_MEM_READONLY, 0, 2 * MIB, m), EINVAL);
	/* Dirty logging on and off in place. */
	CHECK_ERR(set_slot(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 2 * MIB, m), 0);
	CHECK_ERR(set_slot(vm, 0, 0, 0, 2 * MIB, m), 0);
	/* Moves: onto another slot refused, elsewhere done. */
	CHECK_ERR(set_slot(vm, 1, 0, MIB, MIB, m + 2 * MIB), EEXIST);
	CHECK_ERR(set_slot(vm, 1, 0, 16 * MIB, MIB, m + 2 * MIB), 0);
	CHECK_ERR(set_slot(vm, 2, 0, 2 * MIB, MIB, m + 3 * MIB), 0);
	CHECK_ERR(set_slot(vm, 1, 0, 16 * MIB, 0, NULL), 0);
	CHECK_ERR(set_slot(vm, 1, 0, 16 * MIB, 0, NULL), EINVAL);
	CHECK_ERR(set_slot(vm, 3, KVM_MEM_READONLY, 32 * MIB, MIB,
			   m + 3 * MIB), 0);
	fx_close(&f);
}

/* Where skiff answers differently from KVM on purpose (docs/kmod.md). */
TEST(memslot_skiff_limits)
{
	struct fixture f = fx_open(2 * MIB);
	int vm = f.vm;
	char *m = f.m;
	char *gone = map_mem(2 * MIB);
	int want = is_skiff ? EINVAL : 0;

	munmap(gone, 2 * MIB);
	/*
	 * Slot ids past 32, and address space 1 (SMM), do not exist. (KVM
	 * has SMM's address space or not by kernel version and config:
	 * only skiff's answer is checked.)
	 */
	CHECK_ERR(set_slot(vm, 32, 0, 0, PAGE, m), want);
	if (is_skiff)
		CHECK_ERR(set_slot(vm, 1U << 16, 0, 0, PAGE, m), EINVAL);
	/* Memory is pinned on first use: an unmapped range is taken now. */
	CHECK_ERR(set_slot(vm, 2, 0, 64 * MIB, 2 * MIB, gone), 0);
	fx_close(&f);
}

TEST(two_vms_are_apart)
{
	int dev = open_dev(), a = new_vm(dev), b = new_vm(dev);
	char *m = map_mem(4 * MIB);

	CHECK_ERR(set_slot(a, 0, 0, 0, 2 * MIB, m), 0);
	CHECK_ERR(set_slot(b, 0, 0, 0, 2 * MIB, m + 2 * MIB), 0);
	CHECK_ERR(set_slot(b, 0, 0, 0, 0, NULL), 0);
	CHECK_ERR(set_slot(a, 0, 0, 0, 2 * MIB, m), 0);
	munmap(m, 4 * MIB);
	close(a);
	close(b);
	close(dev);
}

TEST(vm_fd_of_another_process_is_eio)
{
	struct fixture f = fx_open(2 * MIB);
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		long r = set_slot(f.vm, 0, 0, 0, 2 * MIB, f.m);

		_exit(r < 0 && errno == EIO ? 0 : 1);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fx_close(&f);
}

/* skiff charges pinned slots to VmLck and gives all of it back. */
TEST(pins_are_released)
{
	struct fixture f = fx_open(4 * MIB);
	long base = vm_locked_kb();

	CHECK(base >= 0);
	CHECK_ERR(set_slot(f.vm, 0, 0, 0, 4 * MIB, f.m), 0);
	CHECK_EQ_U64(vm_locked_kb(), base + (is_skiff ? 4096 : 0));
	CHECK_ERR(set_slot(f.vm, 0, 0, 0, 0, NULL), 0);
	CHECK_EQ_U64(vm_locked_kb(), base);
	CHECK_ERR(set_slot(f.vm, 0, 0, 0, 4 * MIB, f.m), 0);
	close(f.vm);
	f.vm = -1;
	CHECK_EQ_U64(vm_locked_kb(), base);
	fx_close(&f);
}

static const struct test_case cases[] = {
	TEST_ENTRY(api_version),
	TEST_ENTRY(unknown_ioctls),
	TEST_ENTRY(check_extension),
	TEST_ENTRY(create_vm_type),
	TEST_ENTRY(memslot_refusals),
	TEST_ENTRY(memslot_lifecycle),
	TEST_ENTRY(memslot_skiff_limits),
	TEST_ENTRY(two_vms_are_apart),
	TEST_ENTRY(vm_fd_of_another_process_is_eio),
	TEST_ENTRY(pins_are_released),
};

int main(int argc, char **argv)
{
	return raw_main(argc, argv, "raw_ioctl", cases,
			sizeof(cases) / sizeof(cases[0]));
}
