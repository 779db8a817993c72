/* SPDX-License-Identifier: ISC */
/*
 * Accesses to the torture region, each checked against the model: a
 * read must return the tag of the page the model maps, a write must land
 * in that page, a call must run that page's code; where the model says
 * #PF, the fault must come with the exact CR2, error code and RIP. And
 * the A/D round: clear every A and D bit, access, and compare.
 */
#include "torture.h"

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define VEC_UD		6
#define VEC_PF		14
#define AD_ACCESSES	3

/* The kernel stack pointer user_call() left, for user_return. */
uint64_t user_kernel_rsp;

static const struct {
	const char *name;
	uint32_t acc;
	unsigned int offset;
} kinds[NR_KINDS] = {
	[K_READ] = { "read", 0, FRAME_TAG },
	[K_WRITE] = { "write", PF_W, FRAME_WORD },
	[K_EXEC] = { "exec", PF_I, FRAME_CODE },
	[U_READ] = { "user read", PF_U, FRAME_TAG },
	[U_WRITE] = { "user write", PF_U | PF_W, FRAME_WORD },
};

/* What the #PF handler saw while armed for a probe. */
static volatile struct {
	bool armed;
	bool hit;
	uint64_t cr2, error, rip;
} pf;

static uint64_t write_seq;

static uint64_t user_addr(const char *sym)
{
	return USER_VA + (uint64_t)(sym - user_stub);
}

/* Back to user_call()'s caller, at CPL 0. */
static void leave_user(struct skiff_trap_frame *f)
{
	f->rip = (uintptr_t)user_return;
	f->cs = KERNEL_CS;
	f->ss = KERNEL_DS;
	f->rsp = user_kernel_rsp;
	f->rflags = 0x2;
}

static bool at_kernel_probe(const struct skiff_trap_frame *f, uint64_t cr2)
{
	/* A faulting fetch of a probed page has RIP == CR2. */
	return f->rip == (uintptr_t)probe_read ||
	       f->rip == (uintptr_t)probe_write || f->rip == cr2;
}

static bool on_page_fault(struct skiff_trap_frame *f, uint64_t cr2)
{
	bool user = (f->cs & 3) == 3;

	if (!pf.armed || (!user && !at_kernel_probe(f, cr2))) {
		skiff_printf("torture: unexpected #PF in round %lu (%s)\n",
			     round_nr, op_name);
		return false;
	}
	pf.armed = false;
	pf.hit = true;
	pf.cr2 = cr2;
	pf.error = f->error_code;
	pf.rip = f->rip;
	if (user)
		leave_user(f);
	else
		f->rip = (uintptr_t)probe_fixup;
	return true;
}

/* The user stub's ud2 after its access: done, go back. */
static bool on_invalid_opcode(struct skiff_trap_frame *f, uint64_t cr2)
{
	if ((f->cs & 3) != 3 ||
	    (f->rip != user_addr(user_stub_read_done) &&
	     f->rip != user_addr(user_stub_write_done)))
		return false;
	leave_user(f);
	return true;
}

void probe_init(uintptr_t user_page)
{
	memcpy((void *)user_page, user_stub,
	       (size_t)(user_stub_end - user_stub));
	skiff_set_trap_handler(VEC_PF, on_page_fault);
	skiff_set_trap_handler(VEC_UD, on_invalid_opcode);
}

int rand_kind(void)
{
	int k = (int)rnd_below(NR_KINDS);

	/* Without NXE the I/D bit of a fault is not defined: no fetches. */
	return k == K_EXEC && !nx_on ? K_READ : k;
}

static uint64_t access(int kind, uint64_t va, uint64_t val)
{
	switch (kind) {
	case K_READ:
		return probe_read(va);
	case K_WRITE:
		probe_write(va, val);
		return 0;
	case K_EXEC:
		return probe_exec(va);
	case U_READ:
		return user_call(user_addr(user_stub_read), va, 0);
	default:
		return user_call(user_addr(user_stub_write), va, val);
	}
}

static uint64_t fault_rip(int kind, uint64_t va)
{
	switch (kind) {
	case K_READ:
		return (uintptr_t)probe_read;
	case K_WRITE:
		return (uintptr_t)probe_write;
	case K_EXEC:
		return va;
	case U_READ:
		return user_addr(user_stub_read);
	default:
		return user_addr(user_stub_write);
	}
}

/* Which data page carries this tag, for reports; 0 if none. */
static uintptr_t tag_owner(uint64_t tag, bool low32)
{
	uintptr_t pa;
	unsigned int i, j;

	for (i = 0; i < nr_frames + nr_bigs * PT_ENTRIES; i++) {
		j = i - nr_frames;
		pa = i < nr_frames ? frames[i] :
			bigs[j / PT_ENTRIES] + (j % PT_ENTRIES) * PAGE_4K;
		if (low32 ? (uint32_t)page_tag(pa) == tag : page_tag(pa) == tag)
			return pa;
	}
	return 0;
}

static void check_value(int kind, uint64_t va, uint64_t got,
			const struct walk *w)
{
	uintptr_t page = w->pa & ~(PAGE_4K - 1);
	bool low32 = kind == K_EXEC;
	uint64_t want = low32 ? (uint32_t)page_tag(page) : page_tag(page);

	if (got != want)
		fail(w, "%s at 0x%lx: got 0x%lx (tag of pa 0x%lx), want 0x%lx (tag of pa 0x%lx)\n",
		     kinds[kind].name, (unsigned long)va, (unsigned long)got,
		     (unsigned long)tag_owner(got, low32),
		     (unsigned long)want, (unsigned long)page);
}

static void check_access(int kind, uint64_t va, uint64_t val, uint64_t got,
			 const struct walk *w)
{
	uint64_t mem;

	if (pf.hit)
		fail(w, "%s at 0x%lx: #PF with error 0x%lx, cr2 0x%lx; want pa 0x%lx\n",
		     kinds[kind].name, (unsigned long)va,
		     (unsigned long)pf.error, (unsigned long)pf.cr2,
		     (unsigned long)w->pa);
	if (!(kinds[kind].acc & PF_W)) {
		check_value(kind, va, got, w);
		return;
	}
	mem = *(volatile uint64_t *)w->pa;
	if (mem != val)
		fail(w, "%s at 0x%lx: pa 0x%lx holds 0x%lx, want 0x%lx\n",
		     kinds[kind].name, (unsigned long)va,
		     (unsigned long)w->pa, (unsigned long)mem,
		     (unsigned long)val);
}

static void check_fault(int kind, uint64_t va, uint64_t val, uint64_t got,
			const struct walk *w)
{
	uint64_t rip = fault_rip(kind, va);

	if (!pf.hit)
		fail(w, "%s at 0x%lx: no #PF (got 0x%lx); want one with error 0x%x\n",
		     kinds[kind].name, (unsigned long)va, (unsigned long)got,
		     w->error);
	if (pf.cr2 != va || pf.error != w->error || pf.rip != rip)
		fail(w, "%s at 0x%lx: #PF cr2 0x%lx error 0x%lx rip 0x%lx; want cr2 0x%lx error 0x%x rip 0x%lx\n",
		     kinds[kind].name, (unsigned long)va,
		     (unsigned long)pf.cr2, (unsigned long)pf.error,
		     (unsigned long)pf.rip, (unsigned long)va, w->error,
		     (unsigned long)rip);
	if (w->mapped && (kinds[kind].acc & PF_W) &&
	    *(volatile uint64_t *)w->pa == val)
		fail(w, "%s at 0x%lx faulted, yet pa 0x%lx was written\n",
		     kinds[kind].name, (unsigned long)va,
		     (unsigned long)w->pa);
	stats.faults++;
}

/* One access of `kind` to `slot` in the active address space. */
void probe(int slot, int kind, struct walk *w)
{
	uint64_t va = slot_va(slot) + kinds[kind].offset;
	uint64_t val = 0x5700000000000000ULL | ++write_seq;
	uint64_t got;

	model_walk(roots[active_as], va, kinds[kind].acc, w);
	if (kind == K_EXEC)
		before_fetch(slot);
	pf.hit = false;
	pf.armed = true;
	got = access(kind, va, val);
	pf.armed = false;
	stats.probes++;
	if (w->fault)
		check_fault(kind, va, val, got, w);
	else
		check_access(kind, va, val, got, w);
}

/* A/D bits the round's accesses must have set, per entry. */
static struct {
	struct table *t;
	int idx;
	uint64_t bits;
} marks[AD_ACCESSES * 4];
static int nr_marks;

static void mark(struct table *t, int idx, uint64_t bits)
{
	int i;

	for (i = 0; i < nr_marks; i++) {
		if (marks[i].t == t && marks[i].idx == idx) {
			marks[i].bits |= bits;
			return;
		}
	}
	marks[nr_marks].t = t;
	marks[nr_marks].idx = idx;
	marks[nr_marks++].bits = bits;
}

static uint64_t marked(const struct table *t, int idx)
{
	int i;

	for (i = 0; i < nr_marks; i++)
		if (marks[i].t == t && marks[i].idx == idx)
			return marks[i].bits;
	return 0;
}

/* Every walk sets A on each entry it reads; a write sets D on the leaf. */
static void mark_walk(const struct walk *w, bool write)
{
	int d;

	for (d = 0; d < w->depth; d++)
		mark(w->t[d], w->idx[d], PTE_A |
		     (write && d == w->depth - 1 ? PTE_D : 0));
}

/* fn on each present entry the region uses, from t down. */
static void region_visit(struct table *t, void (*fn)(struct table *, int))
{
	uint64_t e;
	int n, idx;

	for (n = 0; n < region_count(t->level); n++) {
		idx = region_index(t->level, n);
		e = t->want[idx];
		if (!(e & PTE_P))
			continue;
		fn(t, idx);
		if (is_link(t->level, e))
			region_visit(table_of(e), fn);
	}
}

static void ad_clear(struct table *t, int idx)
{
	pt_write(t, idx, t->want[idx] & ~(PTE_A | PTE_D));
}

static void ad_check(struct table *t, int idx)
{
	uint64_t want = marked(t, idx);
	uint64_t got = ((volatile uint64_t *)t->hw)[idx] & (PTE_A | PTE_D);

	if (got != want)
		fail(NULL, "A/D: level %d entry %d of table 0x%lx: A=%d D=%d, want A=%d D=%d\n",
		     t->level, idx, (unsigned long)(uintptr_t)t->hw,
		     !!(got & PTE_A), !!(got & PTE_D), !!(want & PTE_A),
		     !!(want & PTE_D));
}

/* A slot and kind the model allows, if a few tries find one. */
static bool pick_allowed(int *slot, int *kind)
{
	struct walk w;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		*slot = (int)rnd_below(NR_SLOTS);
		*kind = rand_kind();
		model_walk(roots[active_as],
			   slot_va(*slot) + kinds[*kind].offset,
			   kinds[*kind].acc, &w);
		if (!w.fault)
			return true;
	}
	return false;
}

/*
 * Clear A and D in every entry of the active space's region, flush, make
 * a few accesses that must succeed (a fault may or may not set A on the
 * levels above it), and compare every entry with what they must set.
 * Exact: the CPU sets A only on entries it walks and D only on writes.
 * (Speculation on hardware could in principle walk more; nothing here
 * is on a mispredicted path to another region address.)
 */
void ad_round(void)
{
	struct walk w;
	int i, slot, kind;

	region_visit(roots[active_as], ad_clear);
	tlb_flush();
	nr_marks = 0;
	for (i = 0; i < AD_ACCESSES; i++) {
		if (!pick_allowed(&slot, &kind))
			continue;
		probe(slot, kind, &w);
		mark_walk(&w, kinds[kind].acc & PF_W);
	}
	region_visit(roots[active_as], ad_check);
}
