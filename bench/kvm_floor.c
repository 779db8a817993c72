/* SPDX-License-Identifier: ISC */
/*
 * The floor skiff's benchmarks are measured against: the least a KVM
 * program can do.
 *
 *   kvm_floor boot       create a VM with one page of memory and one vCPU
 *                        in real mode, run it to its single port write,
 *                        and exit: the cheapest possible "boot to exit".
 *   kvm_floor loop N     the same guest, but it writes the port N times;
 *                        prints the nanoseconds per exit round trip
 *                        (KVM_RUN -> KVM_EXIT_IO -> KVM_RUN), measured
 *                        around the run loop.
 *   kvm_floor loop64 N   the same loop in 64-bit long mode with paging,
 *                        the CPU mode every hvt guest runs in (on hosts
 *                        that shadow guest page tables the mode changes
 *                        what an exit costs).
 *
 * With --device=PATH first, it runs on that KVM-compatible device
 * instead of /dev/kvm (skiff.ko's /dev/skiff): each device its floor.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GUEST_PAGE	0x1000
#define FLOOR_PORT	0x500
#define MEM_PAGES	6		/* code, PML4, PDPT, PD, GDT, spare */
#define PML4_GPA	0x2000
#define PDPT_GPA	0x3000
#define PD_GPA		0x4000
#define GDT_GPA		0x5000

struct floor_vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	uint8_t *mem;
};

/*
 * Real-mode code at 0x1000:
 *   mov ecx, N; 1: out dx, eax; dec ecx; jnz 1b; hlt
 */
static void guest_code(uint8_t *p, uint32_t n)
{
	static const uint8_t code[] = {
		0x66, 0xb9, 0, 0, 0, 0,		/* mov ecx, imm32 */
		0xba, FLOOR_PORT & 0xff, FLOOR_PORT >> 8, /* mov dx, port */
		0x66, 0xef,			/* out dx, eax */
		0x66, 0x49,			/* dec ecx */
		0x75, 0xfa,			/* jnz -6 */
		0xf4,				/* hlt */
	};

	memcpy(p, code, sizeof(code));
	memcpy(p + 2, &n, sizeof(n));
}

/* 64-bit: mov ecx, N; mov dx, port; 1: out dx, eax; dec rcx; jnz 1b; hlt */
static void guest_code64(uint8_t *p, uint32_t n)
{
	static const uint8_t code[] = {
		0xb9, 0, 0, 0, 0,		/* mov ecx, imm32 */
		0x66, 0xba, FLOOR_PORT & 0xff, FLOOR_PORT >> 8,
		0xef,				/* out dx, eax */
		0x48, 0xff, 0xc9,		/* dec rcx */
		0x75, 0xfa,			/* jnz -6 */
		0xf4,				/* hlt */
	};

	memcpy(p, code, sizeof(code));
	memcpy(p + 1, &n, sizeof(n));
}

static void die(const char *what)
{
	fprintf(stderr, "kvm_floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Identity-map the first 2 MiB with one large page, as hvt monitors do. */
static void long_mode(struct floor_vm *v, struct kvm_sregs *sr)
{
	uint64_t *pml4 = (uint64_t *)(v->mem + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(v->mem + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(v->mem + PD_GPA);
	uint64_t *gdt = (uint64_t *)(v->mem + GDT_GPA);
	struct kvm_segment cs = { .selector = 8, .limit = 0xffffffff,
				  .type = 11, .present = 1, .s = 1, .l = 1,
				  .g = 1 };
	struct kvm_segment ds = { .selector = 16, .limit = 0xffffffff,
				  .type = 3, .present = 1, .s = 1, .db = 1,
				  .g = 1 };

	pml4[0] = PDPT_GPA | 3;
	pdpt[0] = PD_GPA | 3;
	pd[0] = 0x83;				/* 2 MiB, present, writable */
	gdt[1] = 0x00af9b000000ffffull;
	gdt[2] = 0x00cf93000000ffffull;
	sr->gdt.base = GDT_GPA;
	sr->gdt.limit = 23;
	sr->cs = cs;
	sr->ds = sr->es = sr->fs = sr->gs = sr->ss = ds;
	sr->cr0 = 0x80010011;			/* PG, WP, ET, PE */
	sr->cr3 = PML4_GPA;
	sr->cr4 = 0x20;				/* PAE */
	sr->efer = 0x500;			/* LMA, LME */
}

static void floor_setup(struct floor_vm *v, const char *dev, uint32_t n,
			int bits)
{
	struct kvm_userspace_memory_region r = { 0 };
	struct kvm_sregs sr;
	struct kvm_regs regs = { .rip = GUEST_PAGE, .rflags = 2 };
	int sz;

	v->kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		die(dev);
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		die("KVM_CREATE_VM");
	v->mem = mmap(NULL, MEM_PAGES * GUEST_PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		die("mmap");
	if (bits == 64)
		guest_code64(v->mem + GUEST_PAGE, n);
	else
		guest_code(v->mem + GUEST_PAGE, n);
	r.memory_size = (bits == 64 ? MEM_PAGES : 2) * GUEST_PAGE;
	r.userspace_addr = (uintptr_t)v->mem;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	sz = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (v->vcpu < 0 || sz <= 0)
		die("KVM_CREATE_VCPU");
	v->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu,
		      0);
	if (v->run == MAP_FAILED)
		die("mmap run");
	if (ioctl(v->vcpu, KVM_GET_SREGS, &sr) < 0)
		die("KVM_GET_SREGS");
	sr.cs.base = 0;
	sr.cs.selector = 0;
	if (bits == 64)
		long_mode(v, &sr);
	if (ioctl(v->vcpu, KVM_SET_SREGS, &sr) < 0 ||
	    ioctl(v->vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
}

/* Run until HLT; returns the number of port exits seen. */
static uint64_t floor_run(struct floor_vm *v, uint64_t stop_after)
{
	uint64_t exits = 0;

	for (;;) {
		if (ioctl(v->vcpu, KVM_RUN, 0) < 0)
			die("KVM_RUN");
		if (v->run->exit_reason == KVM_EXIT_IO &&
		    v->run->io.port == FLOOR_PORT) {
			if (++exits == stop_after)
				return exits;
			continue;
		}
		if (v->run->exit_reason == KVM_EXIT_HLT)
			return exits;
		fprintf(stderr, "kvm_floor: unexpected exit %u\n",
			v->run->exit_reason);
		exit(1);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/kvm";
	struct floor_vm v;
	uint64_t n, t0, t1, exits;

	if (argc > 1 && !strncmp(argv[1], "--device=", 9)) {
		dev = argv[1] + 9;
		argc--;
		argv++;
		if (!*dev)
			goto usage;
	}
	if (argc == 2 && !strcmp(argv[1], "boot")) {
		floor_setup(&v, dev, 1, 16);
		return floor_run(&v, 1) == 1 ? 0 : 1;
	}
	if (argc == 3 && (!strcmp(argv[1], "loop") ||
			  !strcmp(argv[1], "loop64"))) {
		n = strtoull(argv[2], NULL, 10);
		if (n == 0 || n > UINT32_MAX)
			return 2;
		floor_setup(&v, dev, n, strcmp(argv[1], "loop") ? 64 : 16);
		t0 = now_ns();
		exits = floor_run(&v, 0);
		t1 = now_ns();
		if (exits != n)
			return 1;
		printf("%.1f\n", (double)(t1 - t0) / n);
		return 0;
	}
usage:
	fprintf(stderr,
		"usage: kvm_floor [--device=PATH] boot | loop N | loop64 N\n");
	return 2;
}
