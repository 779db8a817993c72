/* SPDX-License-Identifier: ISC */
/*
 * ioctl_fuzz DEVICE SECONDS [SEED]: random KVM ioctls with random
 * arguments against a KVM-style device (skiff.ko's /dev/skiff, or
 * /dev/kvm) for SECONDS of wall-clock time. In sessions that each end
 * with every fd closed in a random order, it opens the device, makes
 * VMs (several at once too), vCPUs, run-page mappings and memslots,
 * runs guests of random real-mode code, sends every ioctl skiff
 * implements and random ioctl numbers with random arguments, changes
 * the memory under memslots, and forks children that use inherited
 * fds or that are killed with SIGKILL in KVM_RUN.
 *
 * It checks little itself: that a VM or vCPU fd used from another
 * process answers EIO, and that a child killed in KVM_RUN dies. What
 * matters is the kernel log, which tests/kmod/lab-suite checks after
 * it (no warning, BUG or oops, and the module unloads).
 *
 * Exit status: 0; 1 if one of those checks failed or a child of the
 * fuzzer crashed (an ASan report, say); 2 on bad usage or setup.
 *
 * The seed is printed first: the same seed makes the same choices,
 * though where a signal or a guest interrupts a run still varies.
 * IOCTL_FUZZ_TRACE=1 prints every call; a watchdog process prints the
 * last calls if the fuzzer dies or outlives its deadline.
 *
 * Every pointer the kernel is given, as the argument or inside a
 * struct, points into the arena (memory this program keeps for it,
 * with guard pages after each region) or at no user memory at all:
 * the kernel must never, by chance, pin or write this program's own
 * heap, stack or ASan shadow. Random words are kept out of the user
 * address range for the same reason (rand_word). And no EFER it hands
 * over sets LME, which freezes the lab's QEMU (efer_lme_cleared).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096UL
#define MIB		(1024UL * 1024)

#define MAX_OBJS	24	/* open fds a session tracks */
#define MAX_MAPS	16	/* run-page mappings */
#define MAX_SLOTS	32	/* slots tracked per VM: skiff's count */
#define MAX_CHILDREN	3	/* forked children alive at once */
#define CODE_MAX	256	/* bytes of generated guest code */
#define ERRNO_MAX	134	/* past EHWPOISON: counted as "other" */
#define EXIT_OTHER	40	/* exit reasons from 40 */
#define EXIT_UNSEEN	41	/* KVM_RUN returned 0, no run page to read */
#define RING		32	/* the calls the watchdog shows */
#define GRACE_MS	20000	/* past the deadline: the watchdog acts */
#define MSR_EFER	0xc0000080
#define EFER_LME	(1ULL << 8)

/* ---- randomness ---- */

static uint64_t rng;

/* splitmix64: small, and one seed replays the same choices. */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

/* ---- shared counters and the call ring ---- */

struct call_rec {
	pid_t pid;
	int kind;
	unsigned int cmd;
	uint64_t arg;
	long ret;		/* LONG_MIN: still in the kernel */
	int err;
};

/*
 * MAP_SHARED, so that children's calls count and the watchdog can
 * read the ring after the fuzzer died.
 */
struct stats {
	unsigned long calls, sessions, vms, vcpus, slots, maps, runs;
	unsigned long children, killed, eio_checks, failures;
	unsigned long err[ERRNO_MAX + 1];	/* [0]: success */
	unsigned long run_err[ERRNO_MAX + 1];
	unsigned long exits[EXIT_UNSEEN + 1];
	unsigned int ring_next;
	struct call_rec ring[RING];
	int done;
};

#define COUNT(x)	__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

static struct stats *st;
static const char *dev_path;
static uint64_t deadline_ms;
static long mmap_size;		/* KVM_GET_VCPU_MMAP_SIZE */
static pid_t self;
static bool in_child, trace;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static bool past_deadline(void)
{
	return now_ms() >= deadline_ms;
}

/* ---- the arena: all memory the kernel is pointed at ---- */

enum mem_state { MEM_RW, MEM_RO, MEM_NONE, MEM_GONE };

struct region {
	char *p;
	size_t len;
	enum mem_state state;
};

#define NR_REGIONS	8
#define SCRATCH_SIZE	(64 * 1024UL)
#define ARENA_SIZE	(16 * MIB)

static const size_t region_sizes[NR_REGIONS] = {
	PAGE, 2 * PAGE, 16 * PAGE, 16 * PAGE, 64 * PAGE, MIB, 2 * MIB, 2 * MIB,
};
static struct region regions[NR_REGIONS];
/* Arguments are built in scratch; a guard page follows it. */
static char *arena, *scratch;

static void fill_random(void *p, size_t len)
{
	uint64_t w;
	size_t i;

	for (i = 0; i < len; i += sizeof(w)) {
		w = rnd();
		memcpy((char *)p + i, &w, len - i < sizeof(w) ? len - i : sizeof(w));
	}
}

/* Fresh pages, private or shared (shmem), some of them random. */
static void region_map(struct region *r, bool shared)
{
	int flags = MAP_FIXED | MAP_ANONYMOUS | (shared ? MAP_SHARED : MAP_PRIVATE);

	if (mmap(r->p, r->len, PROT_READ | PROT_WRITE, flags, -1, 0) == MAP_FAILED) {
		r->state = MEM_GONE;
		return;
	}
	if (r->len >= 2 * MIB && chance(50))
		madvise(r->p, r->len, MADV_HUGEPAGE);
	fill_random(r->p, r->len < 64 * 1024 ? r->len : 64 * 1024);
	r->state = MEM_RW;
}

/* A hole gets its PROT_NONE back, so no other mapping lands in it. */
static void region_plug(struct region *r)
{
	if (mmap(r->p, r->len, PROT_NONE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0) != MAP_FAILED)
		r->state = MEM_NONE;
}

/*
 * One PROT_NONE reservation, 2 MiB aligned: scratch, then the regions,
 * each followed by a guard page, then 2 MiB of nothing, so that no
 * overrun (of the kernel's copies, a pin, or a real-mode guest reaching
 * 1 MiB past a slot's start) leaves the arena.
 */
static int arena_init(void)
{
	size_t off, align;
	char *base;
	int i;

	base = mmap(NULL, ARENA_SIZE + 2 * MIB, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	arena = (char *)(((uintptr_t)base + 2 * MIB - 1) & ~(2 * MIB - 1));
	scratch = arena;
	if (mprotect(scratch, SCRATCH_SIZE, PROT_READ | PROT_WRITE))
		return -1;
	off = SCRATCH_SIZE + PAGE;
	for (i = 0; i < NR_REGIONS; i++) {
		align = region_sizes[i] < 2 * MIB ? PAGE : 2 * MIB;
		off = (off + align - 1) & ~(align - 1);
		regions[i].p = arena + off;
		regions[i].len = region_sizes[i];
		region_map(&regions[i], false);
		if (regions[i].state != MEM_RW)
			return -1;
		off += regions[i].len + PAGE;
	}
	return off + 2 * MIB <= ARENA_SIZE ? 0 : -1;
}

static struct region *region_of(uint64_t addr)
{
	int i;

	for (i = 0; i < NR_REGIONS; i++)
		if (addr - (uintptr_t)regions[i].p < regions[i].len)
			return &regions[i];
	return NULL;
}

static struct region *rw_region(void)
{
	struct region *r = &regions[below(NR_REGIONS)];

	if (r->state != MEM_RW)
		region_map(r, chance(25));
	return r->state == MEM_RW ? r : NULL;
}

/* ---- random values ---- */

/*
 * Kept out of the user address range outside the arena (0x10000 is
 * mmap_min_addr; [2^32, 2^40) holds nothing here, and is ASan's
 * shadow gap), so a random word is never a pointer into this program.
 */
static uint64_t not_user(uint64_t v)
{
	if (v < 0x10000 || (v >= 1ULL << 32 && v < 1ULL << 40) ||
	    v >= 1ULL << 47)
		return v;
	return v | 1ULL << 63;
}

/*
 * A word for a buffer the kernel reads: counts at their edges (nmsrs,
 * nent, num_pages), small values, pointers into the arena, anything.
 */
static uint64_t rand_word(void)
{
	static const uint32_t edge[] = {
		0, 1, 2, 3, 0x3f, 0x40, 0xff, 0x100, 0xfff, 0x1000, 0x7fff,
		0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};
	uint64_t lo = edge[below(ARRAY_SIZE(edge))];
	uint64_t hi = edge[below(ARRAY_SIZE(edge))];

	switch (below(8)) {
	case 0:
		return 0;
	case 1:
		return below(0x10000);
	case 2:
		return not_user(lo);
	case 3:
		return not_user(lo | hi << 32);
	case 4:
		return (uintptr_t)arena + below(ARENA_SIZE);
	case 5:
		return (uintptr_t)arena + (below(ARENA_SIZE) & ~(PAGE - 1));
	default:
		return not_user(rnd());
	}
}

/* size bytes of scratch, 8-aligned, random. */
static void *scratch_buf(size_t size)
{
	char *p = scratch + (below(SCRATCH_SIZE - size + 1) & ~7UL);

	fill_random(p, size);
	return p;
}

/* Sometimes moves a built argument to a misaligned address. */
static uint64_t misalign(void *p, size_t size)
{
	char *q = (char *)p + 1 + below(7);

	if (!chance(20) || q + size > scratch + SCRATCH_SIZE)
		return (uintptr_t)p;
	memmove(q, p, size);
	return (uintptr_t)q;
}

/* An argument pointer for about size bytes: mostly scratch. */
static uint64_t rand_ptr(size_t size)
{
	struct region *r = &regions[below(NR_REGIONS)];

	if (size > SCRATCH_SIZE)
		size = SCRATCH_SIZE;
	switch (below(12)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(0xffff);
	case 2:
		return 0xffffffff81000000ULL + below(PAGE);
	case 3:
		return 1ULL << (47 + below(17));	/* not canonical */
	case 4:				/* running into the guard */
		return (uintptr_t)scratch + SCRATCH_SIZE - below(size + 1);
	case 5:				/* misaligned, contents as they are */
		return (uintptr_t)scratch + below(SCRATCH_SIZE);
	case 6:				/* guest memory, maybe gone */
		return (uintptr_t)r->p + below(r->len);
	case 7:
		return (uintptr_t)r->p + r->len;	/* its guard page */
	default:
		return (uintptr_t)scratch_buf(size);
	}
}

static uint64_t rand_arg(size_t size)
{
	return chance(35) ? rand_word() : rand_ptr(size);
}

/* ---- fds: the device, VMs, vCPUs ---- */

enum kind { DEV, VM, VCPU, ANY };

static const char *const kind_names[] = { "dev", "vm", "vcpu", "?" };

struct vm_slot {
	bool used;
	uint32_t flags;
	uint64_t gpa, size, ua;
};

struct obj {
	int fd;			/* -1: a free entry */
	enum kind kind;
	pid_t owner;		/* another process gets EIO from a VM or vCPU */
	unsigned int serial;
	unsigned int vm;	/* a vCPU's VM, by serial */
	struct vm_slot slots[MAX_SLOTS];	/* a VM's, as far as we know */
};

/* A vCPU's mapping; usable: page 0 of a vCPU fd, shared, read-write. */
struct runmap {
	struct kvm_run *p;	/* NULL: a free entry */
	size_t len;
	unsigned int vcpu;
	bool usable;
};

static struct obj objs[MAX_OBJS];
static struct runmap maps[MAX_MAPS];
static unsigned int next_serial = 1;

static struct obj *obj_add(int fd, enum kind kind, unsigned int vm)
{
	struct obj *o = NULL;
	int i;

	for (i = 0; i < MAX_OBJS && !o; i++)
		if (objs[i].fd < 0)
			o = &objs[i];
	if (!o) {
		close(fd);
		return NULL;
	}
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->kind = kind;
	o->owner = self;
	o->serial = next_serial++;
	o->vm = vm;
	if (kind == VM)
		COUNT(st->vms);
	else if (kind == VCPU)
		COUNT(st->vcpus);
	return o;
}

/* A random open fd of that kind (ANY: of any). */
static struct obj *pick(enum kind kind)
{
	struct obj *c[MAX_OBJS];
	int i, n = 0;

	for (i = 0; i < MAX_OBJS; i++)
		if (objs[i].fd >= 0 && (kind == ANY || objs[i].kind == kind))
			c[n++] = &objs[i];
	return n ? c[below(n)] : NULL;
}

static struct obj *obj_find(unsigned int serial, int fd)
{
	int i;

	for (i = 0; i < MAX_OBJS; i++)
		if (objs[i].fd >= 0 &&
		    (serial ? objs[i].serial == serial : objs[i].fd == fd))
			return &objs[i];
	return NULL;
}

static void obj_close(struct obj *o)
{
	close(o->fd);
	o->fd = -1;
}

static struct runmap *run_of(struct obj *cpu)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (maps[i].p && maps[i].usable && maps[i].vcpu == cpu->serial)
			return &maps[i];
	return NULL;
}

static void map_drop(struct runmap *m)
{
	munmap(m->p, m->len);
	m->p = NULL;
}

/* ---- the one way an ioctl is made ---- */

/* The ioctls skiff implements (kmod/core: dev.c, vm.c, vcpu.c). */
static const struct known {
	unsigned int cmd;
	const char *name;
	enum kind on;
} known[] = {
	{ KVM_GET_API_VERSION, "GET_API_VERSION", DEV },
	{ KVM_CHECK_EXTENSION, "CHECK_EXTENSION", DEV },
	{ KVM_CREATE_VM, "CREATE_VM", DEV },
	{ KVM_GET_VCPU_MMAP_SIZE, "GET_VCPU_MMAP_SIZE", DEV },
	{ KVM_GET_SUPPORTED_CPUID, "GET_SUPPORTED_CPUID", DEV },
	{ KVM_GET_MSR_INDEX_LIST, "GET_MSR_INDEX_LIST", DEV },
	{ KVM_SET_USER_MEMORY_REGION, "SET_USER_MEMORY_REGION", VM },
	{ KVM_CREATE_VCPU, "CREATE_VCPU", VM },
	{ KVM_GET_DIRTY_LOG, "GET_DIRTY_LOG", VM },
	{ KVM_CLEAR_DIRTY_LOG, "CLEAR_DIRTY_LOG", VM },
	{ KVM_ENABLE_CAP, "ENABLE_CAP", VM },
	{ KVM_CHECK_EXTENSION, "CHECK_EXTENSION", VM },
	{ KVM_RUN, "RUN", VCPU },
	{ KVM_GET_REGS, "GET_REGS", VCPU },
	{ KVM_SET_REGS, "SET_REGS", VCPU },
	{ KVM_GET_SREGS, "GET_SREGS", VCPU },
	{ KVM_SET_SREGS, "SET_SREGS", VCPU },
	{ KVM_SET_CPUID2, "SET_CPUID2", VCPU },
	{ KVM_GET_MSRS, "GET_MSRS", VCPU },
	{ KVM_SET_MSRS, "SET_MSRS", VCPU },
	{ KVM_GET_FPU, "GET_FPU", VCPU },
	{ KVM_SET_FPU, "SET_FPU", VCPU },
	{ KVM_GET_TSC_KHZ, "GET_TSC_KHZ", VCPU },
};

static const char *cmd_name(unsigned int cmd)
{
	static char buf[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (known[i].cmd == cmd)
			return known[i].name;
	snprintf(buf, sizeof(buf), "0x%08x", cmd);
	return buf;
}

static unsigned int errno_slot(int err)
{
	return err < 0 || err > ERRNO_MAX ? ERRNO_MAX : err;
}

static const char *errno_label(unsigned int e)
{
	if (!e)
		return "ok";
	if (e == ERRNO_MAX)
		return "other";
	return strerrorname_np(e) ?: "E?";
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * KVM_RUN is bounded by SIGALRM, repeating so that one landing just
 * before the call cannot leave the next one unbounded.
 */
static void run_timer(bool on)
{
	struct itimerval t = { 0 };

	if (on) {
		t.it_value.tv_usec = (2 + below(20)) * 1000;
		t.it_interval = t.it_value;
	}
	setitimer(ITIMER_REAL, &t, NULL);
}

/* The bytes at arg, if this program may rewrite all size of them. */
static uint8_t *ours(uint64_t arg, size_t size)
{
	struct region *r = region_of(arg);

	if (arg - (uintptr_t)scratch <= SCRATCH_SIZE - size ||
	    (r && r->state == MEM_RW && arg + size <= (uintptr_t)r->p + r->len))
		return (uint8_t *)(uintptr_t)arg;
	return NULL;
}

/* Whether the kernel can read them all (else the call is EFAULT). */
static bool readable(uint64_t arg, size_t size)
{
	struct region *r = region_of(arg);

	return ours(arg, size) ||
	       (r && r->state == MEM_RO && arg + size <= (uintptr_t)r->p + r->len);
}

static void clear_bits(uint8_t *p, uint64_t bits)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	v &= ~bits;
	memcpy(p, &v, sizeof(v));
}

/*
 * No EFER this program hands over has LME set. The lab's QEMU (7.2,
 * TCG) freezes the whole machine at a #VMEXIT from a guest with
 * EFER.LME set and CR0.PG and CR4.PAE clear: do_vmexit() restores the
 * host's CR0 while the guest's EFER and CR4 are still loaded, and
 * cpu_x86_update_cr0() returns early, leaving the host without
 * paging. skiff.ko and kvm_amd alike let a guest be in that state (a
 * real CPU is fine with it). So KVM_SET_SREGS and KVM_SET_MSRS have
 * LME cleared from what they carry, and are withheld (false) when it
 * lies where it cannot be changed; and guest code never writes EFER
 * (gen_snippet): it reads it only, and clears ECX right after. (Until
 * that, a RDMSR of EFER left ECX naming it, and a WRMSR in later random
 * bytes could set LME from whatever EAX held: the likely cause of the
 * one CI run whose check-kmod froze.)
 */
static bool efer_lme_cleared(unsigned int cmd, uint64_t arg)
{
	size_t size = sizeof(struct kvm_msrs);
	uint32_t i, n, index;
	uint8_t *p, *e;

	if (cmd == KVM_SET_SREGS) {
		size = sizeof(struct kvm_sregs);
		p = ours(arg, size);
		if (p)
			clear_bits(p + offsetof(struct kvm_sregs, efer), EFER_LME);
		return p || !readable(arg, size);
	}
	if (cmd != KVM_SET_MSRS)
		return true;
	if (!ours(arg, size))
		return !readable(arg, size);
	memcpy(&n, (void *)(uintptr_t)arg, sizeof(n));
	if (n >= 256)			/* E2BIG, from skiff and KVM */
		return true;
	size += n * sizeof(struct kvm_msr_entry);
	p = ours(arg, size);
	for (i = 0; p && i < n; i++) {
		e = p + sizeof(struct kvm_msrs) + i * sizeof(struct kvm_msr_entry);
		memcpy(&index, e + offsetof(struct kvm_msr_entry, index),
		       sizeof(index));
		if (index == MSR_EFER)
			clear_bits(e + offsetof(struct kvm_msr_entry, data),
				   EFER_LME);
	}
	return p || !readable(arg, size);
}

/*
 * Every ioctl goes through here: counted, recorded in the ring, traced,
 * KVM_RUN bounded, the fds it creates adopted, and the EIO rule
 * checked for VM and vCPU fds another process made.
 */
static long fuzz_ioctl(struct obj *o, unsigned int cmd, uint64_t arg)
{
	struct call_rec *rec;
	long r;
	int err;

	/* A signal mask for KVM_RUN could block SIGALRM: never sent. */
	if (cmd == KVM_SET_SIGNAL_MASK || !efer_lme_cleared(cmd, arg)) {
		errno = EPERM;
		return -1;
	}
	rec = &st->ring[__atomic_fetch_add(&st->ring_next, 1,
					   __ATOMIC_RELAXED) % RING];
	*rec = (struct call_rec){ self, o->kind, cmd, arg, LONG_MIN, 0 };
	if (trace)
		fprintf(stderr, "[%d] %s %d %s 0x%llx\n", self,
			kind_names[o->kind], o->fd, cmd_name(cmd),
			(unsigned long long)arg);
	if (cmd == KVM_RUN)
		run_timer(true);
	r = ioctl(o->fd, cmd, arg);
	err = r < 0 ? errno : 0;
	if (cmd == KVM_RUN)
		run_timer(false);
	rec->err = err;
	rec->ret = r;
	COUNT(st->calls);
	COUNT(st->err[errno_slot(err)]);
	if (trace)
		fprintf(stderr, "[%d]   -> %ld %s\n", self, r,
			err ? errno_label(errno_slot(err)) : "");
	if (o->kind != DEV && o->owner != self) {
		COUNT(st->eio_checks);
		if (err != EIO) {
			fprintf(stderr, "ioctl_fuzz: pid %d: %s on another process's %s fd: %ld (%s), want EIO\n",
				self, cmd_name(cmd), kind_names[o->kind], r,
				strerror(err));
			COUNT(st->failures);
		}
	} else if (r >= 0 && cmd == KVM_CREATE_VM) {
		obj_add(r, VM, 0);
	} else if (r >= 0 && cmd == KVM_CREATE_VCPU) {
		obj_add(r, VCPU, o->serial);
	}
	errno = err;
	return r;
}

/* ---- arguments for the ioctls skiff implements ---- */

/* A slot id: mostly one of skiff's 32, sometimes past them or in AS 1. */
static uint32_t rand_slot_id(void)
{
	switch (below(10)) {
	case 0:
		return MAX_SLOTS + below(64);
	case 1:
		return 1U << 16 | below(MAX_SLOTS);	/* address space 1 */
	case 2:
		return rnd();
	default:
		return below(MAX_SLOTS);
	}
}

static struct vm_slot *pick_slot(struct obj *vm, uint32_t *id)
{
	uint32_t i, start = below(MAX_SLOTS);

	if (!vm || vm->kind != VM)
		return NULL;
	for (i = start; i < start + MAX_SLOTS; i++) {
		if (vm->slots[i % MAX_SLOTS].used) {
			*id = i % MAX_SLOTS;
			return &vm->slots[*id];
		}
	}
	return NULL;
}

/* A page-aligned guest address; onto an existing slot now and then. */
static uint64_t plausible_gpa(struct obj *vm)
{
	struct vm_slot *s;
	uint32_t id;

	switch (below(4)) {
	case 0:
		return 0;
	case 1:
		return below(256) * PAGE;
	case 2:
		return below(64) * MIB;
	default:
		s = pick_slot(vm, &id);
		return s ? s->gpa + (below(s->size) & ~(PAGE - 1)) : 0;
	}
}

/* One field of a slot request made wrong, or at least unusual. */
static void spoil_slot(struct kvm_userspace_memory_region *m, uint64_t room)
{
	switch (below(5)) {
	case 0:
		m->slot = rand_slot_id();
		break;
	case 1:
		m->flags |= 1U << below(32) | (chance(30) ? rnd() : 0);
		break;
	case 2:
		m->userspace_addr = chance(50) ? m->userspace_addr + 1 +
			below(PAGE - 1) : rand_word();
		break;
	case 3:
		switch (below(6)) {
		case 0:
			m->memory_size = 0;
			break;
		case 1:
			m->memory_size = (room & ~(PAGE - 1)) + PAGE;
			break;			/* into the guard */
		case 2:
			m->memory_size |= 1 + below(PAGE - 1);
			break;
		case 3:
			m->memory_size = 1ULL << (30 + below(20));
			break;
		default:
			m->memory_size = rand_word();
		}
		break;
	default:
		switch (below(3)) {
		case 0:
			m->guest_phys_addr |= 1 + below(PAGE - 1);
			break;
		case 1:				/* ending at, or past, 2^64 */
			m->guest_phys_addr = (0 - m->memory_size +
					      below(2) * PAGE) & ~(PAGE - 1);
			break;
		default:
			m->guest_phys_addr = rand_word();
		}
	}
}

/*
 * A KVM_SET_USER_MEMORY_REGION request over region r (random if NULL):
 * an existing slot deleted, moved or re-flagged, or a new one; valid,
 * or (40%) wrong in one field.
 */
static void build_slot(struct obj *vm, struct region *r,
		       struct kvm_userspace_memory_region *m)
{
	static const uint32_t flags[] = {
		0, 0, 0, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY,
		KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY,
	};
	struct vm_slot *old = chance(40) ? pick_slot(vm, &m->slot) : NULL;
	uint64_t room;

	if (old) {
		m->flags = old->flags;
		m->guest_phys_addr = old->gpa;
		m->memory_size = room = old->size;
		m->userspace_addr = old->ua;
		if (chance(30))
			m->memory_size = 0;
		else if (chance(50))
			m->guest_phys_addr = plausible_gpa(vm);
		else
			m->flags ^= KVM_MEM_LOG_DIRTY_PAGES;
	} else {
		if (!r)
			r = &regions[below(NR_REGIONS)];
		m->slot = below(MAX_SLOTS);
		m->flags = flags[below(ARRAY_SIZE(flags))];
		m->userspace_addr = (uintptr_t)r->p +
			(below(r->len) & ~(PAGE - 1));
		room = (uintptr_t)r->p + r->len - m->userspace_addr;
		m->memory_size = chance(50) ? room :
			(1 + below(room / PAGE)) * PAGE;
		m->guest_phys_addr = plausible_gpa(vm);
	}
	if (chance(40))
		spoil_slot(m, room);
}

static void slot_track(struct obj *vm,
		       const struct kvm_userspace_memory_region *m)
{
	struct vm_slot *s;

	if (vm->kind != VM || (m->slot >> 16) || (uint16_t)m->slot >= MAX_SLOTS)
		return;
	s = &vm->slots[(uint16_t)m->slot];
	*s = (struct vm_slot){
		.used = m->memory_size != 0, .flags = m->flags,
		.gpa = m->guest_phys_addr, .size = m->memory_size,
		.ua = m->userspace_addr,
	};
}

/* KVM_SET_USER_MEMORY_REGION on o, tracked when it succeeds. */
static void set_slot(struct obj *o, struct region *r)
{
	struct kvm_userspace_memory_region m, *p = scratch_buf(sizeof(m));
	bool built = chance(90);
	uint64_t arg;

	build_slot(o, r, &m);
	*p = m;
	arg = built ? misalign(p, sizeof(m)) : rand_ptr(sizeof(m));
	/* (A slot a random argument made stays unknown: that is fine.) */
	if (fuzz_ioctl(o, KVM_SET_USER_MEMORY_REGION, arg) == 0 && built) {
		COUNT(st->slots);
		slot_track(o, &m);
	}
}

/* A dirty-log bitmap: mostly scratch, random (CLEAR's mask). */
static uint64_t bitmap_ptr(void)
{
	return chance(75) ? (uintptr_t)scratch_buf(4096) : rand_ptr(64);
}

static uint64_t build_dirty_log(struct obj *vm, bool clear)
{
	static const uint32_t pages[] = {
		0, 1, 63, 64, 128, 512, 4096, 0xffffffff,
	};
	struct kvm_clear_dirty_log *c;
	struct kvm_dirty_log *d;
	struct vm_slot *s;
	uint32_t id = rand_slot_id();
	uint64_t np;

	s = chance(75) ? pick_slot(vm, &id) : NULL;
	np = s ? s->size / PAGE : pages[below(ARRAY_SIZE(pages))];
	if (!clear) {
		d = scratch_buf(sizeof(*d));
		d->slot = id;
		d->dirty_bitmap = (void *)(uintptr_t)bitmap_ptr();
		return misalign(d, sizeof(*d));
	}
	c = scratch_buf(sizeof(*c));
	c->slot = id;
	switch (below(4)) {
	case 0:
		c->first_page = 0;
		break;
	case 1:
		c->first_page = 64 * below(np / 64 + 2);
		break;
	case 2:
		c->first_page = below(np + 1);
		break;
	default:
		c->first_page = rand_word();
	}
	switch (below(5)) {
	case 0:
		c->num_pages = np - c->first_page;
		break;
	case 1:
		c->num_pages = 64 * below(8);
		break;
	case 2:
		c->num_pages = np;
		break;
	case 3:
		c->num_pages = pages[below(ARRAY_SIZE(pages))];
		break;
	default:
		c->num_pages = rand_word();
	}
	c->dirty_bitmap = (void *)(uintptr_t)bitmap_ptr();
	return misalign(c, sizeof(*c));
}

static uint64_t build_enable_cap(void)
{
	struct kvm_enable_cap *c = scratch_buf(sizeof(*c));
	int i;

	c->cap = chance(70) ? KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 : below(300);
	c->flags = chance(90) ? 0 : rand_word();
	for (i = 0; i < 4; i++)
		c->args[i] = i == 0 ? (chance(70) ? below(4) : rand_word()) :
			     (chance(80) ? 0 : rand_word());
	return misalign(c, sizeof(*c));
}

/* A count at or around a limit: skiff's (12, 80, 256) or KVM's. */
static uint32_t rand_count(void)
{
	static const uint32_t n[] = {
		0, 1, 2, 3, 8, 11, 12, 13, 79, 80, 81, 255, 256, 257,
		0x7fffffff, 0xffffffff,
	};

	return chance(85) ? n[below(ARRAY_SIZE(n))] : rand_word();
}

/* KVM_GET_SUPPORTED_CPUID or KVM_SET_CPUID2: header and 100 entries. */
static uint64_t build_cpuid(void)
{
	size_t i, len = sizeof(struct kvm_cpuid2) +
		100 * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = scratch_buf(len);

	c->nent = rand_count();
	for (i = 0; i < 100; i++) {
		if (chance(70))
			c->entries[i].function = below(8) |
				(chance(40) ? 0x80000000 : 0);
		if (chance(70))
			c->entries[i].flags &= KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	}
	return misalign(c, len);
}

static uint64_t build_msr_list(void)
{
	size_t len = sizeof(struct kvm_msr_list) + 400 * sizeof(uint32_t);
	struct kvm_msr_list *l = scratch_buf(len);

	l->nmsrs = rand_count();
	return misalign(l, len);
}

/* KVM_GET_MSRS or KVM_SET_MSRS: MSRs a guest or migration touches. */
static uint64_t build_msrs(void)
{
	static const uint32_t ids[] = {
		0x10, 0x1b, 0x48, 0x174, 0x175, 0x176, 0x1d9, 0x277,
		0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
		0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0010114,
		0xc0010117, 0x4b564d01,
	};
	size_t i, len = sizeof(struct kvm_msrs) +
		260 * sizeof(struct kvm_msr_entry);
	struct kvm_msrs *m = scratch_buf(len);

	m->nmsrs = rand_count();
	for (i = 0; i < 260; i++) {
		m->entries[i].index = chance(80) ? ids[below(ARRAY_SIZE(ids))] :
				      (uint32_t)rnd();
		m->entries[i].data = rand_word();
	}
	return misalign(m, len);
}

/*
 * KVM_SET_REGS, _SREGS, _FPU: usually the vCPU's own state with a few
 * bits or words changed, which passes more checks than noise does.
 */
static uint64_t build_state(struct obj *o, unsigned int set)
{
	unsigned int get = set == KVM_SET_REGS ? KVM_GET_REGS :
			   set == KVM_SET_SREGS ? KVM_GET_SREGS : KVM_GET_FPU;
	size_t size = _IOC_SIZE(set);
	uint8_t *p = scratch_buf(size);
	uint64_t w;
	int i, n = 1 + below(4);

	if (chance(70) && fuzz_ioctl(o, get, (uintptr_t)p) == 0) {
		for (i = 0; i < n; i++) {
			if (chance(50)) {
				p[below(size)] ^= 1 << below(8);
			} else {
				w = rand_word();
				memcpy(p + (below(size / 8) * 8), &w, sizeof(w));
			}
		}
	}
	return misalign(p, size);
}

/* An argument for a known ioctl: built for it, or any. */
static uint64_t build_arg(struct obj *o, unsigned int cmd)
{
	if (!chance(80))
		return rand_arg(_IOC_SIZE(cmd));
	switch (cmd) {
	case KVM_CHECK_EXTENSION:
		return chance(80) ? below(256) : rand_word();
	case KVM_CREATE_VM:
		return chance(85) ? 0 : chance(50) ? below(4) : rand_word();
	case KVM_CREATE_VCPU:
		return chance(85) ? 0 : rand_count();
	case KVM_GET_SUPPORTED_CPUID:
	case KVM_SET_CPUID2:
		return build_cpuid();
	case KVM_GET_MSR_INDEX_LIST:
		return build_msr_list();
	case KVM_GET_DIRTY_LOG:
	case KVM_CLEAR_DIRTY_LOG:
		return build_dirty_log(o, cmd == KVM_CLEAR_DIRTY_LOG);
	case KVM_ENABLE_CAP:
		return build_enable_cap();
	case KVM_GET_MSRS:
	case KVM_SET_MSRS:
		return build_msrs();
	case KVM_SET_REGS:
	case KVM_SET_SREGS:
	case KVM_SET_FPU:
		return build_state(o, cmd);
	case KVM_GET_REGS:
	case KVM_GET_SREGS:
	case KVM_GET_FPU:
		return (uintptr_t)scratch_buf(_IOC_SIZE(cmd));
	default:	/* API version, mmap size, TSC kHz, RUN: no argument */
		return chance(85) ? 0 : rand_word();
	}
}

/* ---- guests ---- */

static size_t put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
	return sizeof(v);
}

static size_t put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
	return sizeof(v);
}

/*
 * One real-mode instruction or three, of the kinds that exit or take
 * skiff's slower paths: port I/O (string forms too), HLT, CPUID, MSRs,
 * MMIO, control registers and paging (shadow paging's page-table
 * writes and INVLPG), and instructions it intercepts or refuses.
 */
static size_t gen_snippet(uint8_t *p)
{
	static const uint8_t trap[][4] = {	/* length, bytes */
		{ 2, 0x0f, 0x0b }, { 1, 0xcc }, { 2, 0xcd, 0x0d },
		{ 3, 0x0f, 0x01, 0xd8 }, { 3, 0x0f, 0x01, 0xd9 },
		{ 3, 0x0f, 0x01, 0xd1 }, { 3, 0x0f, 0x01, 0xf9 },
		{ 2, 0x0f, 0x09 }, { 2, 0x0f, 0x08 }, { 3, 0x0f, 0x01, 0xc8 },
		{ 3, 0x0f, 0x01, 0xc9 }, { 2, 0x0f, 0x31 },
		{ 3, 0x0f, 0x01, 0xdd }, { 3, 0x0f, 0x01, 0xdf },
		{ 2, 0x0f, 0x05 }, { 2, 0x0f, 0x34 }, { 1, 0xf1 },
		{ 3, 0x0f, 0x01, 0xf8 }, { 2, 0x0f, 0x37 },
	};
	static const uint8_t port_op[] = { 0xec, 0xed, 0xee, 0xef, 0x6c, 0x6e };
	static const uint8_t cr_modrm[] = { 0xc0, 0xd8, 0xe0 };	/* CR0, 3, 4 */
	static const uint32_t msr[] = {
		0xc0000080, 0xc0000081, 0xc0000082, 0xc0000100, 0x10, 0x1b,
		0x277, 0x174, 0xc0010114, 0xc0010117,
	};
	const uint8_t *t;
	size_t n = 0;
	uint32_t id;

	switch (below(16)) {
	case 0:				/* mov eax, imm32; out imm8, al/ax */
		p[n++] = 0x66;
		p[n++] = 0xb8;
		n += put32(p + n, rand_word());
		p[n++] = chance(50) ? 0xe6 : 0xe7;
		p[n++] = below(256);
		break;
	case 1:				/* in al/ax, imm8 */
		p[n++] = chance(50) ? 0xe4 : 0xe5;
		p[n++] = below(256);
		break;
	case 2:				/* mov dx, imm16; [rep] in/out/ins/outs */
		p[n++] = 0xba;
		n += put16(p + n, below(0x10000));
		if (chance(20))
			p[n++] = 0xf3;
		p[n++] = port_op[below(ARRAY_SIZE(port_op))];
		break;
	case 3:
		p[n++] = 0xf4;		/* hlt */
		break;
	case 4:				/* mov eax, leaf; cpuid */
		p[n++] = 0x66;
		p[n++] = 0xb8;
		n += put32(p + n, below(16) | (chance(40) ? 0x80000000 : 0));
		p[n++] = 0x0f;
		p[n++] = 0xa2;
		break;
	case 5:				/* mov eax, imm; mov ecx, msr; rd/wrmsr */
		id = chance(80) ? msr[below(ARRAY_SIZE(msr))] : rnd();
		p[n++] = 0x66;
		p[n++] = 0xb8;
		n += put32(p + n, rand_word());
		p[n++] = 0x66;
		p[n++] = 0xb9;
		n += put32(p + n, id);
		p[n++] = 0x0f;
		if (id != MSR_EFER) {
			p[n++] = chance(50) ? 0x32 : 0x30;
			break;
		}
		/*
		 * EFER is only read, and ECX is cleared at once: a WRMSR
		 * in later noise, with EAX from any snippet, must not find
		 * ECX still naming EFER (efer_lme_cleared).
		 */
		p[n++] = 0x32;
		p[n++] = 0x66;		/* xor ecx, ecx */
		p[n++] = 0x31;
		p[n++] = 0xc9;
		break;
	case 6:				/* mov byte [imm16], imm8 */
		p[n++] = 0xc6;
		p[n++] = 0x06;
		n += put16(p + n, below(0x10000));
		p[n++] = below(256);
		break;
	case 7:				/* mov al, [imm16] */
		p[n++] = 0xa0;
		n += put16(p + n, below(0x10000));
		break;
	case 8:				/* mov eax, imm32; mov crN, eax */
		p[n++] = 0x66;
		p[n++] = 0xb8;
		n += put32(p + n, chance(50) ? rand_word() : below(0x10000) & ~0xfffU);
		p[n++] = 0x0f;
		p[n++] = 0x22;
		p[n++] = cr_modrm[below(ARRAY_SIZE(cr_modrm))];
		break;
	case 9:				/* mov eax, cr0; or eax, PG|PE; mov cr0, eax */
		p[n++] = 0x0f;
		p[n++] = 0x20;
		p[n++] = 0xc0;
		p[n++] = 0x66;
		p[n++] = 0x0d;
		n += put32(p + n, 0x80000001);
		p[n++] = 0x0f;
		p[n++] = 0x22;
		p[n++] = 0xc0;
		break;
	case 10:			/* invlpg [imm16] */
		p[n++] = 0x0f;
		p[n++] = 0x01;
		p[n++] = 0x3e;
		n += put16(p + n, below(0x10000));
		break;
	case 11:			/* mov dword [imm16], imm32: a PTE, say */
		p[n++] = 0x66;
		p[n++] = 0xc7;
		p[n++] = 0x06;
		n += put16(p + n, below(0x10000) & ~3U);
		n += put32(p + n, chance(50) ? (below(16) << 12) | 0x7 : rnd());
		break;
	case 12:
		t = trap[below(ARRAY_SIZE(trap))];
		memcpy(p, t + 1, t[0]);
		n = t[0];
		break;
	case 13:			/* lgdt/lidt [imm16] */
		p[n++] = 0x0f;
		p[n++] = 0x01;
		p[n++] = chance(50) ? 0x16 : 0x1e;
		n += put16(p + n, below(0x10000));
		break;
	case 14:
		p[n++] = 0xeb;		/* jmp $: until SIGALRM */
		p[n++] = 0xfe;
		break;
	default:
		n = 1 + below(8);
		fill_random(p, n);
	}
	return n;
}

/* Guest code into p (room bytes, room >= 32): snippets or noise. */
static size_t gen_code(uint8_t *p, size_t room)
{
	size_t n = 0;

	if (chance(15)) {
		fill_random(p, room);
		return room;
	}
	while (n + 24 <= room && chance(90))
		n += gen_snippet(p + n);
	p[n++] = 0xf4;
	return n;
}

/*
 * The vCPU to real mode (usually) at gpa: CS based just below it, data
 * segments at 0, an IVT of random contents or none (a fault is then a
 * triple fault: SHUTDOWN).
 */
static void set_real_mode(struct obj *cpu, uint64_t gpa)
{
	struct kvm_sregs *sr = scratch_buf(sizeof(*sr));
	struct kvm_regs *rg = scratch_buf(sizeof(*rg));
	struct kvm_segment *data[] = {
		&sr->ds, &sr->es, &sr->fs, &sr->gs, &sr->ss,
	};
	size_t i;

	if (fuzz_ioctl(cpu, KVM_GET_SREGS, (uintptr_t)sr) == 0) {
		if (chance(85)) {
			sr->cr0 &= ~0x80000001ULL;
			sr->cr4 = 0;
			sr->efer = 0;
		}
		sr->cs.base = gpa & ~0xfffULL;
		sr->cs.selector = sr->cs.base >> 4;
		sr->cs.limit = 0xffff;
		sr->cs.type = 0xb;
		sr->cs.present = 1;
		sr->cs.s = 1;
		sr->cs.dpl = sr->cs.db = sr->cs.l = sr->cs.g = 0;
		for (i = 0; i < ARRAY_SIZE(data); i++) {
			data[i]->base = data[i]->selector = 0;
			data[i]->limit = 0xffff;
			data[i]->type = 3;
			data[i]->present = data[i]->s = 1;
		}
		sr->idt.base = 0;
		sr->idt.limit = chance(50) ? 0x3ff : 0;
		fuzz_ioctl(cpu, KVM_SET_SREGS, (uintptr_t)sr);
	}
	if (chance(50))
		memset(rg, 0, sizeof(*rg));
	rg->rip = gpa & 0xfff;
	rg->rflags = 2;
	fuzz_ioctl(cpu, KVM_SET_REGS, (uintptr_t)rg);
}

/*
 * Past an instruction skiff left to userspace (MMIO, or one it cannot
 * emulate), as a monitor would: by a guessed length, so that the guest
 * goes on somewhere, not in the same exit again.
 */
static void skip_insn(struct obj *cpu)
{
	struct kvm_regs *rg = scratch_buf(sizeof(*rg));

	if (fuzz_ioctl(cpu, KVM_GET_REGS, (uintptr_t)rg) == 0) {
		rg->rip += 1 + below(6);
		fuzz_ioctl(cpu, KVM_SET_REGS, (uintptr_t)rg);
	}
}

/* n KVM_RUNs of cpu, each bounded by the run timer (fuzz_ioctl). */
static void run_vcpu(struct obj *cpu, int n)
{
	struct runmap *m = cpu->kind == VCPU ? run_of(cpu) : NULL;
	uint32_t reason;
	long r;

	while (n--) {
		if (m) {
			/* Requests a monitor would not make: for one run. */
			m->p->kvm_valid_regs = 0;
			m->p->kvm_dirty_regs = 0;
			/* What the kernel wrote there, it must not trust. */
			if (chance(3))
				fill_random(m->p, PAGE);
			m->p->immediate_exit = chance(8);
		}
		r = fuzz_ioctl(cpu, KVM_RUN, 0);
		if (cpu->kind != VCPU)
			return;
		COUNT(st->runs);
		if (r < 0) {
			COUNT(st->run_err[errno_slot(errno)]);
			if (errno != EINTR)
				return;
			continue;
		}
		reason = m ? m->p->exit_reason : EXIT_UNSEEN;
		if (m && reason > EXIT_OTHER)
			reason = EXIT_OTHER;
		COUNT(st->exits[reason]);
		if ((reason == KVM_EXIT_MMIO ||
		     reason == KVM_EXIT_INTERNAL_ERROR) && chance(70))
			skip_insn(cpu);
	}
}

/* Maps cpu's run page: usually as a monitor does, sometimes not. */
static struct runmap *map_run(struct obj *cpu, bool proper)
{
	int i, start = below(MAX_MAPS);
	struct runmap *m = &maps[start];
	size_t len = proper || chance(70) ? (size_t)mmap_size : PAGE * below(4);
	off_t off = proper || chance(85) ? 0 : PAGE * (1 + below(2));
	int prot = proper || chance(85) ? PROT_READ | PROT_WRITE : PROT_READ;
	int flags = proper || chance(85) ? MAP_SHARED : MAP_PRIVATE;
	void *p;

	for (i = 0; i < MAX_MAPS && m->p; i++)
		m = &maps[(start + i) % MAX_MAPS];
	if (m->p)
		map_drop(m);
	COUNT(st->maps);
	p = mmap(NULL, len, prot, flags, cpu->fd, off);
	if (p == MAP_FAILED)
		return NULL;
	*m = (struct runmap){
		.p = p, .len = len, .vcpu = cpu->serial,
		.usable = cpu->kind == VCPU && !off && flags == MAP_SHARED &&
			  prot == (PROT_READ | PROT_WRITE),
	};
	return m;
}

/* A valid slot over a writable region, for code to run from. */
static struct vm_slot *code_slot(struct obj *vm, uint64_t gpa)
{
	struct kvm_userspace_memory_region *m = scratch_buf(sizeof(*m));
	struct region *r = rw_region();

	if (!r)
		return NULL;
	*m = (struct kvm_userspace_memory_region){
		.slot = below(MAX_SLOTS), .guest_phys_addr = gpa,
		.memory_size = r->len, .userspace_addr = (uintptr_t)r->p,
	};
	if (fuzz_ioctl(vm, KVM_SET_USER_MEMORY_REGION, (uintptr_t)m))
		return NULL;
	COUNT(st->slots);
	slot_track(vm, m);
	return &vm->slots[m->slot];
}

/*
 * Guest code (or, with spin, a loop) into memory a slot of vm maps,
 * one made for it if there is none, and cpu set to run it. Without
 * such a slot, cpu runs from where nothing is: an MMIO exit.
 */
static void load_guest(struct obj *cpu, struct obj *vm, bool spin)
{
	uint64_t gpa = below(MIB), off, room;
	char hex[3 * CODE_MAX + 1];
	uint8_t *code = NULL;
	size_t i, n = 0;
	struct vm_slot *s;
	struct region *r;
	uint32_t id;

	s = pick_slot(vm, &id);
	r = s ? region_of(s->ua) : NULL;
	if ((!r || r->state != MEM_RW) && vm && chance(80)) {
		s = code_slot(vm, plausible_gpa(vm));
		r = s ? region_of(s->ua) : NULL;
	}
	if (r && r->state == MEM_RW) {
		room = (uintptr_t)r->p + r->len - s->ua;
		room = room < s->size ? room : s->size;
		off = room > CODE_MAX ? below(room - CODE_MAX) : 0;
		code = (uint8_t *)(uintptr_t)(s->ua + off);
		gpa = s->gpa + off;
		room = room - off < CODE_MAX ? room - off : CODE_MAX;
		if (spin && room >= 2) {
			code[0] = 0xeb;		/* jmp $ */
			code[1] = 0xfe;
			n = 2;
		} else if (room >= 32) {
			n = gen_code(code, room);
		}
	}
	if (trace) {
		for (i = 0; i < n; i++)
			snprintf(hex + 3 * i, 4, " %02x", code[i]);
		fprintf(stderr, "[%d] code at 0x%llx:%s\n", self,
			(unsigned long long)gpa, n ? hex : "");
	}
	set_real_mode(cpu, gpa);
}

/*
 * A VM that surely runs: a slot at gpa 0, one vCPU, its run page, code.
 * Random steps rarely line all of that up. Returns the vCPU.
 */
static struct obj *build_guest(struct obj *dev, bool spin)
{
	struct obj *vm, *cpu;

	vm = obj_find(0, fuzz_ioctl(dev, KVM_CREATE_VM, 0));
	if (!vm || !code_slot(vm, 0))
		return NULL;
	cpu = obj_find(0, fuzz_ioctl(vm, KVM_CREATE_VCPU, 0));
	if (!cpu || !map_run(cpu, true))
		return NULL;
	load_guest(cpu, vm, spin);
	return cpu;
}

/* ---- children ---- */

static pid_t kids[MAX_CHILDREN];
static int nr_kids;

static pid_t fork_child(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		self = getpid();
		in_child = true;
		nr_kids = 0;
		rng = ~rng;	/* its own choices, still from the seed */
	} else if (pid > 0) {
		COUNT(st->children);
	}
	return pid;
}

/* A child's end: SIGKILL and a clean exit are fine, the rest is not. */
static void child_status(pid_t pid, int status)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	fprintf(stderr, "ioctl_fuzz: child %d: %s %d\n", pid,
		WIFEXITED(status) ? "exit" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	COUNT(st->failures);
}

/*
 * Kills pid and waits for it, at most 10 s: a process that SIGKILL
 * does not end in that time is stuck in the kernel.
 */
static void reap(pid_t pid)
{
	int i, status;
	pid_t r;

	kill(pid, SIGKILL);
	for (i = 0; i < 1000; i++) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			child_status(pid, status);
			return;
		}
		if (r < 0 && errno != EINTR)
			return;
		usleep(10 * 1000);
	}
	fprintf(stderr, "ioctl_fuzz: child %d still there 10 s after SIGKILL: stuck in the kernel?\n",
		pid);
	COUNT(st->failures);
}

/* Reaps children that are done; with kill_all, ends all of them. */
static void reap_kids(bool kill_all)
{
	int i, status;

	for (i = 0; i < nr_kids; i++) {
		if (kill_all)
			reap(kids[i]);
		else if (waitpid(kids[i], &status, WNOHANG) == kids[i])
			child_status(kids[i], status);
		else
			continue;
		kids[i--] = kids[--nr_kids];
	}
}

/* ---- the actions a step picks from ---- */

static void act_open(void)
{
	int fd = open(dev_path, (chance(90) ? O_RDWR : O_RDONLY) | O_CLOEXEC);

	if (fd >= 0)
		obj_add(fd, DEV, 0);
}

static void act_create_vms(void)
{
	struct obj *dev = pick(DEV);
	int n = 1 + below(3);

	while (dev && n--)
		fuzz_ioctl(dev, KVM_CREATE_VM, chance(90) ? 0 : rand_word());
}

static void act_create_vcpu(void)
{
	struct obj *vm = pick(VM), *cpu;
	long fd;

	if (!vm)
		return;
	fd = fuzz_ioctl(vm, KVM_CREATE_VCPU, chance(85) ? 0 : rand_count());
	cpu = obj_find(0, fd);
	if (cpu && chance(70))
		map_run(cpu, true);
}

static void act_map_run(void)
{
	struct obj *o = pick(chance(90) ? VCPU : ANY);

	if (o)
		map_run(o, false);
}

static void act_unmap_run(void)
{
	struct runmap *m = &maps[below(MAX_MAPS)];

	if (m->p)
		map_drop(m);
}

static void act_set_slot(void)
{
	struct obj *o = pick(chance(95) ? VM : ANY);

	if (o)
		set_slot(o, NULL);
}

static void act_load_guest(void)
{
	struct obj *cpu = pick(VCPU);

	if (cpu)
		load_guest(cpu, obj_find(cpu->vm, -1), false);
}

static void act_run(void)
{
	struct obj *cpu = pick(VCPU);

	if (cpu)
		run_vcpu(cpu, 1 + below(6));
}

static void act_build_guest(void)
{
	struct obj *dev = pick(DEV), *cpu;

	cpu = dev ? build_guest(dev, chance(10)) : NULL;
	if (cpu)
		run_vcpu(cpu, 1 + below(8));
}

static void act_known_ioctl(void)
{
	const struct known *k = &known[below(ARRAY_SIZE(known))];
	struct obj *o = pick(chance(85) ? k->on : ANY);

	if (!o)
		return;
	if (k->cmd == KVM_SET_USER_MEMORY_REGION)
		set_slot(o, NULL);
	else if (k->cmd == KVM_RUN && chance(85))
		run_vcpu(o, 1);
	else
		fuzz_ioctl(o, k->cmd, build_arg(o, k->cmd));
}

/*
 * The VFS answers these for every fd before the driver sees them
 * (fs/ioctl.c): FIFREEZE would freeze /dev's filesystem, and
 * FS_IOC_SETFLAGS could make the device node immutable. They test the
 * VFS, not the device, and could break the run: never sent.
 */
static bool vfs_ioctl(unsigned int cmd)
{
	unsigned int type = _IOC_TYPE(cmd);

	return type == 'X' || type == 'f' || type == 'T' || type == 0x94 ||
	       type == 0x15;
}

static unsigned int rand_ioc_size(void)
{
	static const unsigned int sizes[] = { 0, 1, 2, 4, 8, 16, 64, 4096 };

	return chance(70) ? sizes[below(ARRAY_SIZE(sizes))] :
			    below(_IOC_SIZEMASK + 1);
}

/* Random numbers: KVM's with the wrong size or direction, or any. */
static void act_random_ioctl(void)
{
	const struct known *k = &known[below(ARRAY_SIZE(known))];
	struct obj *o = pick(ANY);
	unsigned int cmd, size;

	if (!o)
		return;
	switch (below(4)) {
	case 0:
		do {
			size = rand_ioc_size();
		} while (size == _IOC_SIZE(k->cmd));
		cmd = _IOC(_IOC_DIR(k->cmd), KVMIO, _IOC_NR(k->cmd), size);
		break;
	case 1:
		cmd = _IOC((_IOC_DIR(k->cmd) + 1 + below(3)) & 3, KVMIO,
			   _IOC_NR(k->cmd), _IOC_SIZE(k->cmd));
		break;
	case 2:
		cmd = _IOC(below(4), KVMIO, below(256), rand_ioc_size());
		break;
	default:
		cmd = rnd();
	}
	if (!vfs_ioctl(cmd))
		fuzz_ioctl(o, cmd, rand_arg(_IOC_SIZE(cmd)));
}

static void act_close(void)
{
	struct obj *o = pick(ANY);

	if (o)
		obj_close(o);
}

/*
 * The memory under slots changes: fresh pages, read-only, no access,
 * pages dropped, or unmapped with a slot made over the hole at once
 * (and a run) before the hole is plugged.
 */
static void act_memory(void)
{
	struct region *r = &regions[below(NR_REGIONS)];
	struct obj *o;

	switch (below(6)) {
	case 0:
		region_map(r, chance(25));
		break;
	case 1:
		if (r->state != MEM_GONE && !mprotect(r->p, r->len, PROT_READ))
			r->state = MEM_RO;
		break;
	case 2:
		if (r->state != MEM_GONE && !mprotect(r->p, r->len, PROT_NONE))
			r->state = MEM_NONE;
		break;
	case 3:
		madvise(r->p, r->len, MADV_DONTNEED);
		break;
	case 4:
		if (munmap(r->p, r->len))
			break;
		r->state = MEM_GONE;
		o = pick(VM);
		if (o)
			set_slot(o, r);
		o = pick(VCPU);
		if (o)
			run_vcpu(o, 1);
		region_plug(r);
		break;
	default:
		if (r->state != MEM_GONE &&
		    !mprotect(r->p, r->len, PROT_READ | PROT_WRITE))
			r->state = MEM_RW;
	}
}

static void step(void);

/* A child that uses the fds it inherited, and its own, then exits. */
static void act_fork(void)
{
	pid_t pid;
	int i, n;

	if (nr_kids >= MAX_CHILDREN)
		return;
	pid = fork_child();
	if (pid == 0) {
		n = 10 + below(60);
		for (i = 0; i < n && !past_deadline(); i++)
			step();
		_exit(0);
	}
	if (pid > 0)
		kids[nr_kids++] = pid;
}

/* A child that runs a guest of its own and is SIGKILLed in KVM_RUN. */
static void act_kill_mid_run(void)
{
	struct pollfd pfd;
	struct obj *dev, *cpu;
	uint64_t end;
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return;
	pid = fork_child();
	if (pid == 0) {
		close(p[0]);
		dev = pick(DEV);
		if (!dev || chance(30)) {
			act_open();
			dev = pick(DEV);
		}
		cpu = dev ? build_guest(dev, chance(70)) : NULL;
		if (!cpu || write(p[1], "r", 1) != 1)
			_exit(0);
		for (end = now_ms() + 5000; now_ms() < end;)
			run_vcpu(cpu, 1);
		_exit(0);
	}
	close(p[1]);
	if (pid > 0) {
		/* Ready (its guest is about to run), or it gave up. */
		pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
		if (poll(&pfd, 1, 5000) == 1 && read(p[0], &c, 1) == 1) {
			usleep(below(20 * 1000));
			COUNT(st->killed);
		}
		reap(pid);
	}
	close(p[0]);
}

static const struct action {
	void (*fn)(void);
	unsigned int weight;
	bool in_child;		/* a forked child may take it too */
} actions[] = {
	{ act_open, 3, true },
	{ act_create_vms, 6, true },
	{ act_create_vcpu, 6, true },
	{ act_map_run, 5, true },
	{ act_unmap_run, 2, true },
	{ act_set_slot, 14, true },
	{ act_load_guest, 8, true },
	{ act_run, 12, true },
	{ act_build_guest, 6, true },
	{ act_known_ioctl, 20, true },
	{ act_random_ioctl, 10, true },
	{ act_close, 5, true },
	{ act_memory, 3, true },
	{ act_fork, 2, false },
	{ act_kill_mid_run, 1, false },
};

static void step(void)
{
	unsigned int total = 0, x;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(actions); i++)
		if (!in_child || actions[i].in_child)
			total += actions[i].weight;
	x = below(total);
	for (i = 0; i < ARRAY_SIZE(actions); i++) {
		if (in_child && !actions[i].in_child)
			continue;
		if (x < actions[i].weight) {
			actions[i].fn();
			return;
		}
		x -= actions[i].weight;
	}
}

/*
 * A session's end: every fd and run mapping goes, in a random order
 * (a vCPU before or after its VM, the device first or last), and the
 * children with them, before or after.
 */
static void teardown(void)
{
	int order[MAX_OBJS + MAX_MAPS], n = 0, i, j, t;

	if (chance(50))
		reap_kids(true);
	for (i = 0; i < MAX_OBJS; i++)
		if (objs[i].fd >= 0)
			order[n++] = i;
	for (i = 0; i < MAX_MAPS; i++)
		if (maps[i].p)
			order[n++] = MAX_OBJS + i;
	for (i = n - 1; i > 0; i--) {
		j = below(i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++) {
		if (order[i] < MAX_OBJS)
			obj_close(&objs[order[i]]);
		else
			map_drop(&maps[order[i] - MAX_OBJS]);
	}
	reap_kids(true);
}

static void session(void)
{
	int i, n = 16 + below(200);

	COUNT(st->sessions);
	act_open();
	for (i = 0; i < n && !past_deadline(); i++) {
		step();
		reap_kids(false);
	}
	teardown();
}

/* ---- the watchdog, and the report ---- */

static void dump_ring(const char *why, uint64_t seed)
{
	unsigned int i, next = st->ring_next;
	struct call_rec *c;

	fprintf(stderr, "ioctl_fuzz: %s (seed %llu); its last calls:\n", why,
		(unsigned long long)seed);
	for (i = next < RING ? 0 : next - RING; i < next; i++) {
		c = &st->ring[i % RING];
		if (c->ret == LONG_MIN)
			fprintf(stderr, "  [%d] %s %s 0x%llx: in the kernel\n",
				c->pid, kind_names[c->kind], cmd_name(c->cmd),
				(unsigned long long)c->arg);
		else
			fprintf(stderr, "  [%d] %s %s 0x%llx -> %ld %s\n",
				c->pid, kind_names[c->kind], cmd_name(c->cmd),
				(unsigned long long)c->arg, c->ret,
				c->err ? errno_label(errno_slot(c->err)) : "");
	}
}

/*
 * A process of its own, forked before any device fd exists: if the
 * fuzzer dies, or is still there GRACE_MS past its deadline (stuck in
 * the kernel, most likely), it shows the last calls, and ends it.
 */
static pid_t watchdog_start(uint64_t seed)
{
	pid_t main_pid = getpid(), pid = fork();

	if (pid)
		return pid;
	for (;;) {
		usleep(100 * 1000);
		if (getppid() != main_pid) {
			if (!st->done)
				dump_ring("the fuzzer died", seed);
			_exit(0);
		}
		if (now_ms() > deadline_ms + GRACE_MS) {
			dump_ring("the fuzzer is past its deadline", seed);
			kill(main_pid, SIGKILL);
			_exit(0);
		}
	}
}

static const char *exit_label(unsigned int e)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_X86_RDMSR] = "X86_RDMSR", [KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
		[EXIT_OTHER] = "other", [EXIT_UNSEEN] = "unseen",
	};
	static char buf[16];

	if (e < ARRAY_SIZE(names) && names[e])
		return names[e];
	snprintf(buf, sizeof(buf), "%u", e);
	return buf;
}

/* One line of a histogram, largest first. */
static void print_hist(const char *what, const unsigned long *h, unsigned int n,
		       const char *(*label)(unsigned int))
{
	unsigned int i, best, printed = 0;
	unsigned long done[ERRNO_MAX + 1] = { 0 };

	printf("# %s:", what);
	for (;;) {
		best = n;
		for (i = 0; i < n; i++)
			if (h[i] > done[i] && (best == n || h[i] > h[best]))
				best = i;
		if (best == n)
			break;
		printf("%s %s %lu", printed++ ? "," : "", label(best), h[best]);
		done[best] = h[best];
	}
	printf("%s\n", printed ? "" : " none");
}

static void print_summary(uint64_t seed)
{
	printf("# %lu sessions, %lu VMs, %lu vCPUs, %lu slots set, %lu run maps, %lu runs\n",
	       st->sessions, st->vms, st->vcpus, st->slots, st->maps, st->runs);
	printf("# %lu children (%lu killed in KVM_RUN), %lu EIO checks, %lu failures\n",
	       st->children, st->killed, st->eio_checks, st->failures);
	print_hist("errnos", st->err, ERRNO_MAX + 1, errno_label);
	print_hist("exits", st->exits, EXIT_UNSEEN + 1, exit_label);
	print_hist("failed runs", st->run_err, ERRNO_MAX + 1, errno_label);
	printf("# ioctl_fuzz: %lu calls, seed %llu\n", st->calls,
	       (unsigned long long)seed);
}

/* Shared counters, the arena, SIGALRM, and a look at the device. */
static int setup(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	int fd, i;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED || arena_init()) {
		perror("ioctl_fuzz: memory");
		return -1;
	}
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < MAX_OBJS; i++)
		objs[i].fd = -1;
	fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ioctl_fuzz: %s: %s\n", dev_path, strerror(errno));
		return -1;
	}
	mmap_size = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION ||
	    mmap_size < (long)PAGE) {
		fprintf(stderr, "ioctl_fuzz: %s: not a KVM API %d device\n",
			dev_path, KVM_API_VERSION);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long secs = 0;
	struct timespec ts;
	uint64_t seed;
	char *end = NULL;
	pid_t wd;

	if (argc == 3 || argc == 4)
		secs = strtoul(argv[2], &end, 10);
	if (!secs || *end) {
		fprintf(stderr, "usage: ioctl_fuzz DEVICE SECONDS [SEED]\n");
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	seed = ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
	if (argc == 4) {
		seed = strtoull(argv[3], &end, 0);
		if (*end) {
			fprintf(stderr, "ioctl_fuzz: bad seed '%s'\n", argv[3]);
			return 2;
		}
	}
	dev_path = argv[1];
	rng = seed;
	self = getpid();
	trace = getenv("IOCTL_FUZZ_TRACE") && strcmp(getenv("IOCTL_FUZZ_TRACE"), "0");
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# ioctl_fuzz: %s for %lu s, seed %llu (replay: %s %s %lu %llu)\n",
	       dev_path, secs, (unsigned long long)seed, argv[0], dev_path,
	       secs, (unsigned long long)seed);
	if (setup())
		return 2;
	deadline_ms = now_ms() + secs * 1000;
	wd = watchdog_start(seed);
	while (!past_deadline())
		session();
	st->done = 1;
	if (wd > 0) {
		kill(wd, SIGKILL);
		waitpid(wd, NULL, 0);
	}
	print_summary(seed);
	return st->failures ? 1 : 0;
}
