/* SPDX-License-Identifier: ISC */
/*
 * The monitor's own writes into guest memory, which no device's dirty log
 * sees, marked for a migration: through every hypercall path, without
 * KVM, on a VM with real guest memory, a real disk file and a net device
 * that is one end of a socket pair.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/socket.h>
#include <unistd.h>

#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "monitor.h"

#define MEM		(4 * MIB)
#define PAGES		(MEM / GUEST_PAGE_SIZE)
#define WORDS		(PAGES / 64)
#define DISK_SIZE	(64 * 1024)
#define ARGS		0x200000ull	/* page 0x200 */
#define DATA		0x300000ull	/* page 0x300 */
#define NO_PAGE		~0ull

static struct vm vm;
static int peer_fd = -1, null_fd, saved_stdout;

static void attach_disk(void)
{
	char path[] = "/tmp/skiff-test-disk-XXXXXX";
	struct block_opt b = { .name = "disk", .fd = -1, .path = path };
	int fd = mkstemp(path);

	REQUIRE(fd >= 0 && ftruncate(fd, DISK_SIZE) == 0);
	close(fd);
	REQUIRE(block_attach(&vm, &b) == 0);
	unlink(path);
}

static void attach_net(void)
{
	struct net_opt n = { .name = "net", .have_mac = true };
	int sv[2];

	REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
	n.fd = sv[0];
	peer_fd = sv[1];
	REQUIRE(net_attach(&vm, &n) == 0);
}

/* Handles: 1 the disk, 2 the net device. */
static void vm_setup(void)
{
	size_t i;

	memset(&vm, 0, sizeof(vm));
	REQUIRE(guest_mem_create(&vm.mem, MEM) == 0);
	vm.mft.entries = 3;
	vm.mft.e[0].type = MFT_RESERVED_FIRST;
	strcpy(vm.mft.e[1].name, "disk");
	vm.mft.e[1].type = MFT_DEV_BLOCK_BASIC;
	strcpy(vm.mft.e[2].name, "net");
	vm.mft.e[2].type = MFT_DEV_NET_BASIC;
	for (i = 0; i < ARRAY_SIZE(vm.dev); i++)
		vm.dev[i].fd = -1;
	attach_disk();
	attach_net();
	hypercalls_init(&vm);
	REQUIRE(poll_setup(&vm) == 0);
}

static void vm_teardown(void)
{
	devices_close(&vm);
	close(peer_fd);
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

/*
 * Take the marks and compare them with @pages (gfns, ending with
 * NO_PAGE), naming each page that differs.
 */
static bool marked_exactly(const uint64_t *pages)
{
	uint64_t got[WORDS] = { 0 }, want[WORDS] = { 0 };
	bool same = true;
	uint64_t p;

	guest_mem_log_take(&vm.mem, got);
	for (; *pages != NO_PAGE; pages++)
		want[*pages / 64] |= 1ull << (*pages % 64);
	for (p = 0; p < PAGES; p++) {
		bool g = got[p / 64] >> (p % 64) & 1;
		bool w = want[p / 64] >> (p % 64) & 1;

		if (g != w) {
			fprintf(stderr, "  page 0x%llx: %s\n",
				(unsigned long long)p,
				g ? "marked, not written" : "written, not marked");
			same = false;
		}
	}
	return same;
}

#define MARKED(...) \
	marked_exactly((const uint64_t[]){ __VA_ARGS__, NO_PAGE })
#define NOTHING_MARKED() marked_exactly((const uint64_t[]){ NO_PAGE })

static enum hc_result block_handle_call(unsigned int nr, uint64_t handle,
					uint64_t data, uint64_t len)
{
	struct hvt_hc_block a = { .handle = handle, .offset = 0, .data = data,
				  .len = len };

	put(ARGS, &a, sizeof(a));
	return call(nr, ARGS);
}

static enum hc_result block_call(unsigned int nr, uint64_t data,
				 uint64_t len)
{
	return block_handle_call(nr, 1, data, len);
}

TEST(nothing_marked_while_logging_is_off)
{
	vm_setup();
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, DATA, 512) == HC_CONTINUE);
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	CHECK(NOTHING_MARKED());
	guest_mem_log_stop(&vm.mem);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, DATA, 512) == HC_CONTINUE);
	CHECK(NOTHING_MARKED());
	/* a new start forgets marks from before it */
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, DATA, 512) == HC_CONTINUE);
	guest_mem_log_stop(&vm.mem);
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	CHECK(NOTHING_MARKED());
	vm_teardown();
}

TEST(block_read_marks_its_buffer_and_struct)
{
	vm_setup();
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	/* three sectors across a page boundary */
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, DATA + 0xf00, 1536) ==
	      HC_CONTINUE);
	CHECK(MARKED(0x200, 0x300, 0x301));
	CHECK(NOTHING_MARKED());
	/* 16 sectors exactly filling two pages, not the one after */
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, DATA + 0x5000, 8192) ==
	      HC_CONTINUE);
	CHECK(MARKED(0x200, 0x305, 0x306));
	/*
	 * No such device: the answer goes into the struct; the buffer was
	 * checked (and noted) first and is marked unwritten, which only
	 * costs a page sent twice.
	 */
	CHECK(block_handle_call(HVT_HYPERCALL_BLOCK_READ, 9, DATA, 512) ==
	      HC_CONTINUE);
	CHECK(MARKED(0x200, 0x300));
	vm_teardown();
}

TEST(block_write_marks_only_its_struct)
{
	vm_setup();
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_WRITE, DATA, 4096) ==
	      HC_CONTINUE);
	CHECK(MARKED(0x200));
	vm_teardown();
}

TEST(net_read_marks_its_buffer_and_struct)
{
	struct hvt_hc_net a = { .handle = 2, .data = DATA + 0xffe,
				.len = 1514 };
	char frame[60] = "frame";

	vm_setup();
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	CHECK(write(peer_fd, frame, sizeof(frame)) == sizeof(frame));
	put(ARGS + 0x40, &a, sizeof(a));
	CHECK(call(HVT_HYPERCALL_NET_READ, ARGS + 0x40) == HC_CONTINUE);
	CHECK(!memcmp(guest_ptr(&vm.mem, DATA + 0xffe), "frame", 6));
	/* the buffer as checked, not only the bytes that came */
	CHECK(MARKED(0x200, 0x300, 0x301));
	/* nothing waiting: the struct still says so */
	put(ARGS + 0x40, &a, sizeof(a));
	CHECK(call(HVT_HYPERCALL_NET_READ, ARGS + 0x40) == HC_CONTINUE);
	CHECK(MARKED(0x200, 0x300, 0x301));
	a.data = DATA + 0x2000;
	put(ARGS + 0x40, &a, sizeof(a));
	CHECK(call(HVT_HYPERCALL_NET_WRITE, ARGS + 0x40) == HC_CONTINUE);
	CHECK(MARKED(0x200));
	vm_teardown();
}

TEST(walltime_and_poll_mark_their_struct)
{
	struct hvt_hc_poll p = { .timeout_nsecs = 0 };

	vm_setup();
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	/* a struct across a page boundary marks both pages */
	CHECK(call(HVT_HYPERCALL_WALLTIME, ARGS + 0xffc) == HC_CONTINUE);
	CHECK(MARKED(0x200, 0x201));
	put(DATA + 0x7000, &p, sizeof(p));
	CHECK(call(HVT_HYPERCALL_POLL, DATA + 0x7000) == HC_CONTINUE);
	CHECK(MARKED(0x307));
	vm_teardown();
}

TEST(puts_and_halt_mark_nothing)
{
	struct hvt_hc_puts s = { .data = DATA, .len = 3 };
	struct hvt_hc_halt h = { .cookie = DATA, .exit_status = 1 };

	vm_setup();
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	dup2(null_fd, STDOUT_FILENO);
	put(ARGS, &s, sizeof(s));
	CHECK(call(HVT_HYPERCALL_PUTS, ARGS) == HC_CONTINUE);
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	put(ARGS, &h, sizeof(h));
	CHECK(call(HVT_HYPERCALL_HALT, ARGS) == HC_HALT);
	CHECK(NOTHING_MARKED());
	vm_teardown();
}

/*
 * A range is noted only once its check passed: a refused buffer is never
 * marked (nor could it reach past the bitmap). The struct, checked
 * before it, is; the VM is ending anyway.
 */
TEST(refused_ranges_are_not_marked)
{
	vm_setup();
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, MEM - 256, 512) ==
	      HC_FATAL);
	/* into the guest's read-only low memory */
	CHECK(block_call(HVT_HYPERCALL_BLOCK_READ, 0x10000, 512) == HC_FATAL);
	CHECK(MARKED(0x200));
	CHECK(call(HVT_HYPERCALL_WALLTIME, MEM - 4) == HC_FATAL);
	CHECK(call(HVT_HYPERCALL_WALLTIME, 0x10000) == HC_FATAL);
	CHECK(NOTHING_MARKED());
	vm_teardown();
}

/*
 * A buffer is noted when checked and marked when the handler returns,
 * so that a harvest cannot re-arm the page before the data is in it.
 */
TEST(marks_wait_for_the_handler)
{
	struct hvt_hc_puts s = { .data = DATA, .len = 0 };

	vm_setup();
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	CHECK(hc_check_buffer(&vm, HVT_HYPERCALL_BLOCK_READ, "test", DATA,
			      100, true) == 0);
	CHECK(hc_check_buffer(&vm, HVT_HYPERCALL_BLOCK_READ, "test",
			      DATA + 0x4000, 100, false) == 0);
	CHECK(NOTHING_MARKED());
	put(ARGS, &s, sizeof(s));
	CHECK(call(HVT_HYPERCALL_PUTS, ARGS) == HC_CONTINUE);
	CHECK(MARKED(0x300));
	vm_teardown();
}

TEST(mark_page_arithmetic)
{
	uint64_t want[130 + 1];
	size_t i;

	vm_setup();
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	guest_mem_mark_written(&vm.mem, DATA, GUEST_PAGE_SIZE);
	CHECK(MARKED(0x300));
	guest_mem_mark_written(&vm.mem, DATA + 0xfff, 2);
	CHECK(MARKED(0x300, 0x301));
	guest_mem_mark_written(&vm.mem, DATA, 0);
	CHECK(NOTHING_MARKED());
	/* 130 pages from the middle of one 64-page word to another */
	for (i = 0; i < 130; i++)
		want[i] = 0x320 + i;
	want[130] = NO_PAGE;
	guest_mem_mark_written(&vm.mem, 0x320000, 130 * GUEST_PAGE_SIZE);
	CHECK(marked_exactly(want));
	/* the last page of memory; nothing past it */
	guest_mem_mark_written(&vm.mem, MEM - 1, 1);
	guest_mem_mark_written(&vm.mem, MEM, 1);
	CHECK(MARKED(PAGES - 1));
	vm_teardown();
}

/* Boot info, the manifest and a command line that ends two pages on. */
TEST(boot_info_is_marked)
{
	struct elf_image img = { .entry = 0x100000, .kernel_end = 0x200000 };
	static char cmdline[HVT_CMDLINE_SIZE];
	uint64_t first = X86_BOOT_INFO_GPA / GUEST_PAGE_SIZE, last;
	uint64_t want[4] = { first, first + 1, first + 2, NO_PAGE };

	vm_setup();
	last = X86_BOOT_INFO_GPA + sizeof(struct hvt_boot_info) +
	       manifest_size(&vm.mft);
	REQUIRE(last < X86_BOOT_INFO_GPA + 2 * GUEST_PAGE_SIZE);
	memset(cmdline, 'x', X86_BOOT_INFO_GPA + 2 * GUEST_PAGE_SIZE - last);
	REQUIRE(guest_mem_log_start(&vm.mem) == 0);
	CHECK(boot_info_write(&vm, &img, cmdline, 1000000000) == 0);
	CHECK(marked_exactly(want));
	vm_teardown();
}

static const struct test_case cases[] = {
	TEST_ENTRY(nothing_marked_while_logging_is_off),
	TEST_ENTRY(block_read_marks_its_buffer_and_struct),
	TEST_ENTRY(block_write_marks_only_its_struct),
	TEST_ENTRY(net_read_marks_its_buffer_and_struct),
	TEST_ENTRY(walltime_and_poll_mark_their_struct),
	TEST_ENTRY(puts_and_halt_mark_nothing),
	TEST_ENTRY(refused_ranges_are_not_marked),
	TEST_ENTRY(marks_wait_for_the_handler),
	TEST_ENTRY(mark_page_arithmetic),
	TEST_ENTRY(boot_info_is_marked),
};

int main(void)
{
	null_fd = open("/dev/null", O_WRONLY);
	return test_main("dirty_marks", cases, ARRAY_SIZE(cases));
}
