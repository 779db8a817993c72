/* SPDX-License-Identifier: ISC */
/*
 * monitor_dirty DEVICE skiff|kvm: the monitor's dirty tracking
 * (monitor/dirty_log.c) on a real device, with a real guest, as a
 * migration will use it.
 *
 * The guest (64-bit code written below, in the monitor's own boot
 * state) waits for a round number the host writes into its memory, then
 * stores a byte into each page of the round's list, makes the hypercalls
 * the round asks for, and ends with a PUTS: that exit tells the host the
 * round is over (and flushes any page the CPU still buffers, Intel's
 * PML). It never writes anything else: no stack, and every page table
 * entry it uses got its accessed and dirty bits in a first round, before
 * logging starts. Its four page tables may still be harvested: see
 * table_page().
 *
 * The vCPU runs the monitor's vcpu_loop() on the main thread; a second
 * thread, the migration's, starts and stops logging and harvests while
 * the guest runs, and checks that each harvest holds exactly the pages
 * written since the one before: the guest's, plus the WALLTIME result
 * the monitor wrote for it. Each mode runs in a child process under the
 * monitor's seccomp filter (killing, even in this sanitizer build), so a
 * syscall dirty logging needs and the sandbox forbids fails the test.
 *
 * Expected modes: kvm_amd (the lab's 6.1 kernel) offers the ring and
 * manual protect with KVM_DIRTY_LOG_INITIALLY_SET; skiff.ko offers manual
 * protect without it. Lower modes are reached by lowering
 * kvm_dirty_mode_max.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "monitor.h"

#define MEM		(64 * MIB)
#define PAGES		(MEM / GUEST_PAGE_SIZE)
#define WORDS		(PAGES / 64)
#define CODE		0x100000u
#define MBOX		0x101000u	/* u64: the round the host asks for */
#define WT_ARGS		0x103000u
#define PUTS_ARGS	0x104000u
#define HALT_ARGS	0x105000u
#define LIST		0x110000u	/* u64 count, u64 flags, u32 gfns */
#define LIST_MAX	((0x200000u - LIST - 16) / 4)
#define DO_WALLTIME	1		/* round flags */
#define DO_HALT		2
#define BIG_ROUND	5000		/* pages: more than a ring holds */
#define WAIT_SECONDS	120
#define CHILD_SECONDS	300

static const char *dev_path;
static bool is_skiff;

/*
 * ASan calls sigaltstack, which the sandbox forbids, when a thread ends
 * (the migration thread ends under the sandbox) and before every call of
 * a noreturn function such as _exit(): no alternate stacks, and a child
 * ends through the bare syscall. The monitor itself does neither.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "use_sigaltstack=0";
}

/* --- the guest ----------------------------------------------------------- */
struct code {
	uint8_t *p;
	size_t n;
};

static void emit(struct code *c, const uint8_t *b, size_t n)
{
	memcpy(c->p + c->n, b, n);
	c->n += n;
}

#define OP(c, ...) emit(c, (const uint8_t[]){ __VA_ARGS__ }, \
			sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void emit32(struct code *c, uint32_t v)
{
	emit(c, (const uint8_t *)&v, sizeof(v));
}

/* A short jump forward: returns where its displacement goes. */
static size_t jump_fwd(struct code *c, uint8_t op)
{
	OP(c, op, 0);
	return c->n - 1;
}

static void land(struct code *c, size_t at)
{
	c->p[at] = c->n - (at + 1);
}

static void jump_back(struct code *c, uint8_t op, size_t to)
{
	long d = (long)to - (long)(c->n + 2);

	if (d < -128) {
		fprintf(stderr, "monitor_dirty: guest code: jump too far\n");
		exit(2);
	}
	OP(c, op, (uint8_t)d);
}

static void hypercall(struct code *c, unsigned int nr, uint32_t gpa)
{
	OP(c, 0xb8);					/* mov eax, gpa */
	emit32(c, gpa);
	OP(c, 0xba);					/* mov edx, port */
	emit32(c, HVT_HYPERCALL_PIO_BASE + nr);
	OP(c, 0xef);					/* out dx, eax */
}

/* The hypercall, if the round's flags have @flag. */
static void hypercall_if(struct code *c, uint8_t flag, unsigned int nr,
			 uint32_t gpa)
{
	size_t skip;

	OP(c, 0xf6, 0x04, 0x25);			/* test byte [LIST+8], */
	emit32(c, LIST + 8);
	OP(c, flag);					/*   flag */
	skip = jump_fwd(c, 0x74);			/* jz skip */
	hypercall(c, nr, gpa);
	land(c, skip);
}

static void guest_code(uint8_t *p)
{
	struct code c = { .p = p };
	size_t wait, store, stored;

	OP(&c, 0x31, 0xdb);				/* xor ebx, ebx */
	wait = c.n;
	OP(&c, 0xf3, 0x90);				/* pause */
	OP(&c, 0x48, 0x8b, 0x04, 0x25);			/* mov rax, [MBOX] */
	emit32(&c, MBOX);
	OP(&c, 0x48, 0x39, 0xd8);			/* cmp rax, rbx */
	jump_back(&c, 0x74, wait);			/* je wait */
	OP(&c, 0x48, 0x89, 0xc3);			/* mov rbx, rax */
	OP(&c, 0x48, 0x8b, 0x0c, 0x25);			/* mov rcx, [LIST] */
	emit32(&c, LIST);
	OP(&c, 0xbe);					/* mov esi, LIST+16 */
	emit32(&c, LIST + 16);
	store = c.n;
	OP(&c, 0x48, 0x85, 0xc9);			/* test rcx, rcx */
	stored = jump_fwd(&c, 0x74);			/* jz stored */
	OP(&c, 0x8b, 0x06);				/* mov eax, [rsi] */
	OP(&c, 0x48, 0xc1, 0xe0, 0x0c);			/* shl rax, 12 */
	OP(&c, 0x88, 0x58, 0x10);			/* mov [rax+0x10], bl */
	OP(&c, 0x48, 0x83, 0xc6, 0x04);			/* add rsi, 4 */
	OP(&c, 0x48, 0xff, 0xc9);			/* dec rcx */
	jump_back(&c, 0xeb, store);			/* jmp store */
	land(&c, stored);
	hypercall_if(&c, DO_WALLTIME, HVT_HYPERCALL_WALLTIME, WT_ARGS);
	hypercall_if(&c, DO_HALT, HVT_HYPERCALL_HALT, HALT_ARGS);
	hypercall(&c, HVT_HYPERCALL_PUTS, PUTS_ARGS);
	OP(&c, 0xe9);					/* jmp wait */
	emit32(&c, (uint32_t)(wait - (c.n + 4)));
}

/* --- page sets ----------------------------------------------------------- */
struct pages {
	size_t n;
	uint32_t gfn[2 * BIG_ROUND + 64];
};

static void pages_add(struct pages *s, uint32_t gfn)
{
	s->gfn[s->n++] = gfn;
}

static void pages_add_all(struct pages *s, const struct pages *from)
{
	size_t i;

	for (i = 0; i < from->n; i++)
		pages_add(s, from->gfn[i]);
}

static void pages_bitmap(const struct pages *s, uint64_t *bm)
{
	size_t i;

	memset(bm, 0, WORDS * sizeof(*bm));
	for (i = 0; s && i < s->n; i++)
		bm[s->gfn[i] / 64] |= 1ull << (s->gfn[i] % 64);
}

/* The rounds after the first; the first writes all of them. */
static struct pages round_a, round_b, round_big, round_big2, round_off,
	round_again, warm_up;

static void pages_init(void)
{
	static const uint32_t a[] = { 0x200, 0x201, 0x3ff, 0x400, 0xfff,
				      0x1000, PAGES - 1 };
	static const uint32_t b[] = { 0x201, 0x2000, 0x2001, 0x37ff };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(a); i++)
		pages_add(&round_a, a[i]);
	for (i = 0; i < ARRAY_SIZE(b); i++)
		pages_add(&round_b, b[i]);
	for (i = 0; i < BIG_ROUND; i++) {
		pages_add(&round_big, 0x300 + 3 * i);
		pages_add(&round_big2, 0x301 + 3 * i);
	}
	pages_add(&round_off, 0x500);
	pages_add(&round_off, 0x501);
	pages_add(&round_again, 0x600);
	pages_add(&round_again, 0x3000);
	pages_add_all(&warm_up, &round_a);
	pages_add_all(&warm_up, &round_b);
	pages_add_all(&warm_up, &round_big);
	pages_add_all(&warm_up, &round_big2);
	pages_add_all(&warm_up, &round_off);
	pages_add_all(&warm_up, &round_again);
}

/* --- the migration thread's side ----------------------------------------- */
static struct vm vm;
static uint64_t rounds_asked;
static bool started, sandboxed, nested, tables_seen;

static void round_ask(const struct pages *s, uint64_t flags)
{
	uint64_t *list = guest_ptr(&vm.mem, LIST);

	list[0] = s ? s->n : 0;
	list[1] = flags;
	if (s)
		memcpy(list + 2, s->gfn, s->n * sizeof(s->gfn[0]));
	__atomic_store_n((uint64_t *)guest_ptr(&vm.mem, MBOX), ++rounds_asked,
			 __ATOMIC_RELEASE);
}

static bool round_done(void)
{
	return __atomic_load_n(&vm.counters.hypercalls[HVT_HYPERCALL_PUTS],
			       __ATOMIC_ACQUIRE) >= rounds_asked;
}

static void nap(void)
{
	struct timespec ts = { .tv_nsec = 1000000 };

	nanosleep(&ts, NULL);
}

static bool round_wait(void)
{
	time_t end = time(NULL) + WAIT_SECONDS;

	while (!round_done()) {
		if (time(NULL) > end) {
			fprintf(stderr, "  round %llu: no PUTS in %d s\n",
				(unsigned long long)rounds_asked,
				WAIT_SECONDS);
			return false;
		}
		nap();
	}
	return true;
}

static bool round_run(const struct pages *s, uint64_t flags)
{
	round_ask(s, flags);
	return round_wait();
}

/*
 * Under nested paging the CPU's walk of the guest's page tables is a
 * write to them as far as the nested tables go (KVM knows AMD's NPF for
 * it as PFERR_NESTED_GUEST_PAGE, with the write bit), so after a re-arm
 * and its TLB flush the tables the guest walks again are logged, though
 * nothing in them changes: the lab's kvm_amd and skiff.ko with npt=1
 * report them in every harvest, which costs a migration a few pages sent
 * again. With shadow paging (skiff.ko npt=0) the harvest is exact.
 */
static bool table_page(uint64_t gfn)
{
	return gfn == X86_PML4_GPA / GUEST_PAGE_SIZE ||
	       gfn == X86_PDPT_GPA / GUEST_PAGE_SIZE ||
	       gfn == X86_PD_GPA / GUEST_PAGE_SIZE ||
	       gfn == X86_PT_GPA / GUEST_PAGE_SIZE;
}

/* A module's boolean parameter: 1, 0, or -1 when it cannot be read. */
static int module_flag(const char *path)
{
	FILE *f = fopen(path, "r");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	return c == 'Y' || c == '1' ? 1 : c == 'N' || c == '0' ? 0 : -1;
}

/* Nested paging, or not known to be off. */
static bool nested_paging(void)
{
	if (is_skiff)
		return module_flag("/sys/module/skiff/parameters/npt") != 0;
	return module_flag("/sys/module/kvm_amd/parameters/npt") == 1 ||
	       module_flag("/sys/module/kvm_intel/parameters/ept") == 1 ||
	       (module_flag("/sys/module/kvm_amd/parameters/npt") < 0 &&
		module_flag("/sys/module/kvm_intel/parameters/ept") < 0);
}

/* Do @got and the pages of @want (plus @extra, if not 0) agree? */
static bool same_pages(const char *what, const uint64_t *got,
		       const struct pages *want, uint32_t extra)
{
	uint64_t w[WORDS];
	unsigned int shown = 0;
	uint64_t p;

	pages_bitmap(want, w);
	if (extra)
		w[extra / 64] |= 1ull << (extra % 64);
	for (p = 0; p < PAGES; p++) {
		bool g = got[p / 64] >> (p % 64) & 1;
		bool x = w[p / 64] >> (p % 64) & 1;

		if (table_page(p) && nested) {
			tables_seen |= g;
			continue;
		}
		if (g != x && shown++ < 8)
			fprintf(stderr, "  %s: page 0x%llx %s\n", what,
				(unsigned long long)p,
				g ? "harvested, not written" :
				    "written, not harvested");
	}
	return !shown;
}

static bool harvest_is(const char *what, const struct pages *want,
		       uint32_t extra)
{
	uint64_t got[WORDS] = { 0 };

	if (dirty_log_harvest(&vm, got)) {
		fprintf(stderr, "  %s: harvest failed: %s\n", what,
			mon_last_error());
		return false;
	}
	return same_pages(what, got, want, extra);
}

/* Harvest while the guest stores, then once more: nothing may be lost. */
static bool harvests_during(const struct pages *s, unsigned int *during)
{
	uint64_t got[WORDS] = { 0 };
	bool ok = true;

	round_ask(s, 0);
	for (*during = 0; !round_done(); (*during)++) {
		ok = ok && !dirty_log_harvest(&vm, got);
		nap();
	}
	ok = ok && round_wait() && !dirty_log_harvest(&vm, got);
	return ok && same_pages("harvests during a round", got, s, 0);
}

static uint64_t ring_full_exits(void)
{
	return __atomic_load_n(&vm.dirty.ring_full_exits, __ATOMIC_RELAXED);
}

static bool halt_asked;

/* The logging session of one mode. */
static void scenario(void)
{
	bool ring = vm.kvm.dirty_mode == KVM_DIRTY_MODE_RING;
	static uint64_t unused[WORDS];
	unsigned int during;
	uint64_t full;

	REQUIRE(round_run(&warm_up, 0));
	REQUIRE(dirty_log_start(&vm) == 0);
	CHECK(harvest_is("first harvest, nothing written", NULL, 0));
	REQUIRE(round_run(&round_a, DO_WALLTIME));
	CHECK(harvest_is("round a and WALLTIME's result", &round_a,
			 WT_ARGS / GUEST_PAGE_SIZE));
	CHECK(harvest_is("again, nothing written", NULL, 0));
	REQUIRE(round_run(&round_b, 0));
	CHECK(harvest_is("round b", &round_b, 0));
	full = ring_full_exits();
	REQUIRE(round_run(&round_big, 0));
	CHECK(harvest_is("a round larger than the ring", &round_big, 0));
	full = ring_full_exits() - full;
	CHECK(ring ? full >= 1 : full == 0);
	CHECK(harvests_during(&round_big2, &during));
	dirty_log_stop(&vm);
	REQUIRE(round_run(&round_off, 0));
	CHECK(dirty_log_harvest(&vm, unused) == -1);
	REQUIRE(dirty_log_start(&vm) == 0);
	CHECK(harvest_is("after a restart, nothing written", NULL, 0));
	REQUIRE(round_run(&round_again, 0));
	CHECK(harvest_is("after a restart", &round_again, 0));
	dirty_log_stop(&vm);
	printf("# %s: %s%s, ring-full exits in the %d-page round: %llu, harvests during the other: %u, page tables harvested: %s\n",
	       dev_path, dirty_log_mode(&vm),
	       vm.kvm.dirty_init_set ? " (initially set)" : "", BIG_ROUND,
	       (unsigned long long)full, during,
	       !nested ? "never (shadow paging)" :
	       tables_seen ? "yes (nested paging)" : "no (nested paging)");
	round_ask(NULL, DO_HALT);
	halt_asked = true;
}

static void *migration_thread(void *arg)
{
	(void)arg;
	__atomic_store_n(&started, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&sandboxed, __ATOMIC_ACQUIRE))
		nap();
	scenario();
	if (!halt_asked) {
		/* The guest will not halt: stop the vCPU loop. */
		vcpu_stop_signal = SIGTERM;
		pthread_kill(vm.vcpu_thread, SIGUSR1);
	}
	return NULL;
}

/* --- one mode, in a child ------------------------------------------------ */
static int vm_make(void)
{
	struct hvt_hc_halt h = { .exit_status = 0 };
	size_t i;

	memset(&vm, 0, sizeof(vm));
	vm.name = "monitor_dirty";
	for (i = 0; i < ARRAY_SIZE(vm.dev); i++)
		vm.dev[i].fd = -1;
	if (guest_mem_create(&vm.mem, MEM) || kvm_open(&vm.kvm, dev_path) ||
	    kvm_set_memory(&vm.kvm, 0, 0, MEM, vm.mem.kvm_view, 0))
		return -1;
	x86_build_page_tables(&vm.mem);
	x86_build_gdt(&vm.mem);
	guest_code(guest_ptr(&vm.mem, CODE));
	memcpy(guest_ptr(&vm.mem, HALT_ARGS), &h, sizeof(h));
	hypercalls_init(&vm);
	return x86_setup_vcpu(&vm.kvm, &vm.mem, CODE);
}

static void harvest_in_mode(void)
{
	pthread_t mig;
	int status;

	if (vm_make() || vcpu_signals_init(&vm) ||
	    pthread_create(&mig, NULL, migration_thread, NULL)) {
		fprintf(stderr, "  setup failed: %s\n", mon_last_error());
		_exit(2);
	}
	/* Thread start-up makes syscalls (rseq) the sandbox forbids. */
	while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
		nap();
	if (sandbox_enter_strict())
		_exit(2);
	__atomic_store_n(&sandboxed, true, __ATOMIC_RELEASE);
	status = vcpu_loop(&vm);
	pthread_join(mig, NULL);
	CHECK_EQ_U64(status, 0);
	kvm_close(&vm.kvm);
	guest_mem_destroy(&vm.mem);
}

/*
 * Run @fn in a child with kvm_dirty_mode_max at @max. A child, because a
 * monitor runs one VM per process (and this one will be sandboxed).
 */
static void in_child(void (*fn)(void), enum kvm_dirty_mode max)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	REQUIRE(pid >= 0);
	if (!pid) {
		alarm(CHILD_SECONDS);
		kvm_dirty_mode_max = max;
		fn();
		fflush(stdout);
		syscall(SYS_exit_group, test_failures_in_case ? 1 : 0);
	}
	REQUIRE(waitpid(pid, &st, 0) == pid);
	if (WIFSIGNALED(st))
		fprintf(stderr, "  the child was killed by signal %d%s\n",
			WTERMSIG(st),
			WTERMSIG(st) == SIGSYS ? " (seccomp: a syscall the sandbox forbids)" :
			WTERMSIG(st) == SIGALRM ? " (timed out)" : "");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* --- the tests ----------------------------------------------------------- */
/* The mode kvm_open() settles on, given the device and the best allowed. */
static void mode_is(const char *want, bool want_init_set)
{
	REQUIRE(kvm_open(&vm.kvm, dev_path) == 0);
	CHECK(!strcmp(dirty_log_mode(&vm), want));
	CHECK(vm.kvm.dirty_init_set == want_init_set);
	CHECK((vm.kvm.ring != NULL) == !strcmp(want, "ring"));
	if (vm.kvm.ring)
		CHECK_EQ_U64(vm.kvm.ring_entries, 4096);
	kvm_close(&vm.kvm);
}

static void best_mode(void)
{
	mode_is(is_skiff ? "bitmap-manual" : "ring", false);
}

static void manual_mode(void)
{
	mode_is("bitmap-manual", !is_skiff);
}

static void bitmap_mode(void)
{
	mode_is("bitmap", false);
}

/* kvm: the ring; manual protect with INITIALLY_SET. skiff: manual. */
TEST(mode_the_device_offers)
{
	in_child(best_mode, KVM_DIRTY_MODE_RING);
	in_child(manual_mode, KVM_DIRTY_MODE_MANUAL);
	in_child(bitmap_mode, KVM_DIRTY_MODE_BITMAP);
}

TEST(harvests_exact_in_the_offered_mode)
{
	in_child(harvest_in_mode, KVM_DIRTY_MODE_RING);
}

TEST(harvests_exact_with_manual_protect)
{
	in_child(harvest_in_mode, KVM_DIRTY_MODE_MANUAL);
}

TEST(harvests_exact_with_the_plain_bitmap)
{
	in_child(harvest_in_mode, KVM_DIRTY_MODE_BITMAP);
}

static const struct test_case cases[] = {
	TEST_ENTRY(mode_the_device_offers),
	TEST_ENTRY(harvests_exact_in_the_offered_mode),
	TEST_ENTRY(harvests_exact_with_manual_protect),
	TEST_ENTRY(harvests_exact_with_the_plain_bitmap),
};

int main(int argc, char **argv)
{
	static char name[64];

	if (argc != 3 || (strcmp(argv[2], "skiff") && strcmp(argv[2], "kvm"))) {
		fprintf(stderr, "usage: monitor_dirty DEVICE skiff|kvm\n");
		return 2;
	}
	dev_path = argv[1];
	is_skiff = !strcmp(argv[2], "skiff");
	nested = nested_paging();
	pages_init();
	snprintf(name, sizeof(name), "monitor_dirty(%s)", argv[2]);
	return test_main(name, cases, ARRAY_SIZE(cases));
}
