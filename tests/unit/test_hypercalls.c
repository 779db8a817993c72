/* SPDX-License-Identifier: ISC */
/*
 * Hypercall validation at every boundary, without KVM: a VM with real
 * guest memory and a real block device, driven through
 * hypercall_dispatch() as the vCPU loop would on a port-I/O exit.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <unistd.h>

#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "monitor.h"

#define MEM		(4 * MIB)
#define DISK_SIZE	(64 * 1024)
#define ARGS		0x200000ull	/* where tests put argument structs */
#define DATA		0x300000ull

static struct vm vm;
static int null_fd, saved_stdout;

static void vm_setup(void)
{
	char path[] = "/tmp/skiff-test-disk-XXXXXX";
	struct elf_segment text = { .vaddr = 0x100000, .filesz = 0x1000,
				    .memsz = 0x1000, .start = 0x100000,
				    .end = 0x101000, .flags = 4 | 1 };
	struct elf_image img = { .nseg = 1, .seg = { text } };
	static uint8_t file[0x1000];
	struct block_opt b = { .name = "disk", .fd = -1, .path = path };
	size_t i;
	int fd;

	memset(&vm, 0, sizeof(vm));
	REQUIRE(guest_mem_create(&vm.mem, MEM) == 0);
	REQUIRE(guest_mem_load(&vm.mem, &img, file) == 0);
	fd = mkstemp(path);
	REQUIRE(fd >= 0 && ftruncate(fd, DISK_SIZE) == 0);
	close(fd);
	vm.mft.entries = 2;
	vm.mft.e[0].type = MFT_RESERVED_FIRST;
	strcpy(vm.mft.e[1].name, "disk");
	vm.mft.e[1].type = MFT_DEV_BLOCK_BASIC;
	for (i = 0; i < ARRAY_SIZE(vm.dev); i++)
		vm.dev[i].fd = -1;
	REQUIRE(block_attach(&vm, &b) == 0);
	unlink(path);
	hypercalls_init(&vm);
}

static void vm_teardown(void)
{
	devices_close(&vm);
	guest_mem_destroy(&vm.mem);
}

static enum hc_result call(unsigned int nr, uint64_t gpa)
{
	uint32_t v = gpa;

	return hypercall_dispatch(&vm, HVT_HYPERCALL_PIO_BASE + nr,
				  KVM_EXIT_IO_OUT, 4, 1, &v);
}

static void put(uint64_t gpa, const void *p, size_t n)
{
	memcpy(guest_ptr(&vm.mem, gpa), p, n);
}

static void get(uint64_t gpa, void *p, size_t n)
{
	memcpy(p, guest_ptr(&vm.mem, gpa), n);
}

static void quiet_stdout(bool on)
{
	fflush(stdout);
	if (on) {
		saved_stdout = dup(STDOUT_FILENO);
		dup2(null_fd, STDOUT_FILENO);
	} else {
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
	}
}

TEST(range_rule_boundaries)
{
	vm_setup();
	CHECK(guest_range_ok(&vm.mem, 0, MEM - 1));
	CHECK(!guest_range_ok(&vm.mem, 0, MEM));	/* ends at the top */
	CHECK(guest_range_ok(&vm.mem, MEM - 2, 1));
	CHECK(!guest_range_ok(&vm.mem, MEM - 1, 1));
	CHECK(guest_range_ok(&vm.mem, MEM - 1, 0));
	CHECK(!guest_range_ok(&vm.mem, MEM, 0));
	CHECK(!guest_range_ok(&vm.mem, 16, ~0ull - 8));	/* wraps */
	CHECK(!guest_range_ok(&vm.mem, ~0ull, 2));
	CHECK(!guest_range_ok(&vm.mem, 0x1000, 1ull << 32));
	/* low memory and text are the guest's to read, not to write */
	CHECK(guest_range_ok(&vm.mem, 0x10000, 8));
	CHECK(!guest_range_writable(&vm.mem, 0x10000, 8));
	CHECK(!guest_range_writable(&vm.mem, 0xffff8, 16));
	CHECK(!guest_range_writable(&vm.mem, 0x100ff8, 8));
	CHECK(guest_range_writable(&vm.mem, 0x101000, 8));
	CHECK(!guest_range_writable(&vm.mem, 0x100ff8, 9));
	vm_teardown();
}

TEST(port_access_rules)
{
	uint32_t v = DATA;

	vm_setup();
	CHECK(hypercall_dispatch(&vm, 0x501, KVM_EXIT_IO_IN, 4, 1, &v) ==
	      HC_FATAL);
	CHECK(hypercall_dispatch(&vm, 0x501, KVM_EXIT_IO_OUT, 1, 1, &v) ==
	      HC_FATAL);
	CHECK(hypercall_dispatch(&vm, 0x501, KVM_EXIT_IO_OUT, 2, 1, &v) ==
	      HC_FATAL);
	CHECK(hypercall_dispatch(&vm, 0x501, KVM_EXIT_IO_OUT, 4, 2, &v) ==
	      HC_FATAL);
	CHECK(hypercall_dispatch(&vm, 0x4ff, KVM_EXIT_IO_OUT, 4, 1, &v) ==
	      HC_FATAL);
	CHECK(hypercall_dispatch(&vm, 0x509, KVM_EXIT_IO_OUT, 4, 1, &v) ==
	      HC_FATAL);
	CHECK(call(0, DATA) == HC_FATAL);
	CHECK(call(HVT_HYPERCALL_NET_READ, DATA) == HC_FATAL);
	CHECK(call(HVT_HYPERCALL_WALLTIME, DATA) == HC_CONTINUE);
	CHECK_EQ_U64(vm.counters.hypercalls[HVT_HYPERCALL_WALLTIME], 1);
	vm_teardown();
}

TEST(walltime_struct_boundaries)
{
	uint64_t ns = 0;

	vm_setup();
	CHECK(call(HVT_HYPERCALL_WALLTIME, MEM - 9) == HC_CONTINUE);
	get(MEM - 9, &ns, 8);
	CHECK(ns > 1600000000ull * 1000000000ull);
	CHECK(call(HVT_HYPERCALL_WALLTIME, MEM - 8) == HC_FATAL);
	CHECK(call(HVT_HYPERCALL_WALLTIME, MEM) == HC_FATAL);
	CHECK(call(HVT_HYPERCALL_WALLTIME, 0xffffffff) == HC_FATAL);
	/* its struct would be written: not in read-only memory */
	CHECK(call(HVT_HYPERCALL_WALLTIME, 0x10000) == HC_FATAL);
	CHECK(call(HVT_HYPERCALL_WALLTIME, 0x100000) == HC_FATAL);
	vm_teardown();
}

TEST(puts_buffer_boundaries)
{
	struct hvt_hc_puts a;

	vm_setup();
	quiet_stdout(true);
	a = (struct hvt_hc_puts){ .data = MEM - 5, .len = 4 };
	put(ARGS, &a, sizeof(a));
	CHECK(call(HVT_HYPERCALL_PUTS, ARGS) == HC_CONTINUE);
	a.len = 5;		/* ends exactly at mem_size: refused */
	put(ARGS, &a, sizeof(a));
	CHECK(call(HVT_HYPERCALL_PUTS, ARGS) == HC_FATAL);
	a = (struct hvt_hc_puts){ .data = DATA, .len = 1ull << 32 };
	put(ARGS, &a, sizeof(a));
	CHECK(call(HVT_HYPERCALL_PUTS, ARGS) == HC_FATAL);
	a = (struct hvt_hc_puts){ .data = DATA, .len = ~0ull - DATA + 2 };
	put(ARGS, &a, sizeof(a));
	CHECK(call(HVT_HYPERCALL_PUTS, ARGS) == HC_FATAL);
	/* reading read-only memory (e.g. the command line) is fine */
	a = (struct hvt_hc_puts){ .data = 0x10000, .len = 0 };
	put(ARGS, &a, sizeof(a));
	CHECK(call(HVT_HYPERCALL_PUTS, ARGS) == HC_CONTINUE);
	CHECK(call(HVT_HYPERCALL_PUTS, MEM - 16) == HC_FATAL);
	quiet_stdout(false);
	CHECK_EQ_U64(vm.counters.console_bytes, 4);
	vm_teardown();
}

static int block_call(unsigned int nr, uint64_t handle, uint64_t off,
		      uint64_t data, uint64_t len, enum hc_result *r)
{
	struct hvt_hc_block a = { .handle = handle, .offset = off,
				     .data = data, .len = len, .ret = -1 };

	put(ARGS, &a, sizeof(a));
	*r = call(nr, ARGS);
	get(ARGS, &a, sizeof(a));
	return a.ret;
}

TEST(block_bounds_and_data)
{
	enum hc_result r;

	vm_setup();
	memset(guest_ptr(&vm.mem, DATA), 0xab, 512);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_WRITE, 1, DISK_SIZE - 512, DATA,
			 512, &r) == HVT_R_OK && r == HC_CONTINUE);
	memset(guest_ptr(&vm.mem, DATA), 0, 512);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, 1, DISK_SIZE - 512, DATA,
			 512, &r) == HVT_R_OK);
	CHECK(((uint8_t *)guest_ptr(&vm.mem, DATA))[511] == 0xab);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, 1, DISK_SIZE - 511, DATA,
			 512, &r) == HVT_R_EINVAL && r == HC_CONTINUE);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, 1, DISK_SIZE, DATA, 0,
			 &r) == HVT_R_EINVAL);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, 1, ~0ull - 100, DATA, 512,
			 &r) == HVT_R_EINVAL);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, 0, 0, DATA, 512, &r) ==
	      HVT_R_EINVAL);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, 2, 0, DATA, 512, &r) ==
	      HVT_R_EINVAL);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, 1ull << 40, 0, DATA, 512,
			 &r) == HVT_R_EINVAL);
	/* guest pointers out of range are fatal, whatever else */
	block_call(HVT_HYPERCALL_BLOCK_READ, 1, 0, MEM - 512, 512, &r);
	CHECK(r == HC_FATAL);
	block_call(HVT_HYPERCALL_BLOCK_READ, 1, 0, DATA, 1ull << 40, &r);
	CHECK(r == HC_FATAL);
	/* reading into text would let the guest rewrite its own code */
	block_call(HVT_HYPERCALL_BLOCK_READ, 1, 0, 0x100000, 512, &r);
	CHECK(r == HC_FATAL);
	/* but writing from it is just reading guest memory */
	CHECK(block_call(HVT_HYPERCALL_BLOCK_WRITE, 1, 0, 0x100000, 512,
			 &r) == HVT_R_OK);
	CHECK_EQ_U64(vm.counters.block_write_bytes, 1024);
	vm_teardown();
}

TEST(halt_status_and_cookie)
{
	struct hvt_hc_halt h = { .cookie = 0, .exit_status = 300 };

	vm_setup();
	put(ARGS, &h, sizeof(h));
	CHECK(call(HVT_HYPERCALL_HALT, ARGS) == HC_HALT);
	CHECK(vm.exit_status == 300 % 256);
	h.cookie = MEM - HVT_HALT_COOKIE_MAX - 1;
	put(ARGS, &h, sizeof(h));
	CHECK(call(HVT_HYPERCALL_HALT, ARGS) == HC_HALT);
	h.cookie = MEM - HVT_HALT_COOKIE_MAX;
	put(ARGS, &h, sizeof(h));
	CHECK(call(HVT_HYPERCALL_HALT, ARGS) == HC_FATAL);
	h.cookie = ~0ull;
	put(ARGS, &h, sizeof(h));
	CHECK(call(HVT_HYPERCALL_HALT, ARGS) == HC_FATAL);
	vm_teardown();
}

TEST(attach_errors)
{
	struct block_opt b = { .name = "disk", .fd = -1,
			       .path = "/nonexistent/x" };
	struct block_opt undeclared = { .name = "other", .fd = -1,
					.path = "/dev/null" };

	vm_setup();
	devices_close(&vm);
	CHECK(block_attach(&vm, &b) != 0);
	CHECK(strstr(mon_last_error(), "No such file") != NULL);
	CHECK(block_attach(&vm, &undeclared) != 0);
	CHECK(strstr(mon_last_error(), "declares no block device") != NULL);
	vm_teardown();
}

static const struct test_case cases[] = {
	TEST_ENTRY(range_rule_boundaries),
	TEST_ENTRY(port_access_rules),
	TEST_ENTRY(walltime_struct_boundaries),
	TEST_ENTRY(puts_buffer_boundaries),
	TEST_ENTRY(block_bounds_and_data),
	TEST_ENTRY(halt_status_and_cookie),
	TEST_ENTRY(attach_errors),
};

int main(void)
{
	null_fd = open("/dev/null", O_WRONLY);
	return test_main("hypercalls", cases, sizeof(cases) / sizeof(cases[0]));
}
