/* SPDX-License-Identifier: ISC */
/*
 * torture: a page-table torture test for a hypervisor's MMU (shadow
 * paging, unsync pages, nested paging). The guest builds 4-level address
 * spaces of its own and changes them as an OS does; a model of every
 * table predicts each access: the value read, the page written, or the
 * exact #PF. The interfaces between its files.
 */
#ifndef TORTURE_H
#define TORTURE_H

#include "skiff_sdk.h"

/* Page-table entry bits (4-level paging). */
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)	/* leaves only */
#define PTE_PS		(1ULL << 7)	/* 2 MiB page, in a PDE */
#define PTE_AVL		(7ULL << 9)	/* ignored by the MMU; must stay */
#define PTE_NX		(1ULL << 63)
#define PTE_ADDR	0x000ffffffffff000ULL

#define PAGE_4K		0x1000ULL
#define PAGE_2M		0x200000ULL
#define PAGE_1G		0x40000000ULL
#define PT_ENTRIES	512

/* #PF error code bits; an access is described by the same bits. */
#define PF_P		(1u << 0)
#define PF_W		(1u << 1)
#define PF_U		(1u << 2)
#define PF_I		(1u << 4)

/* What each data page holds: a tag, the last value written, code. */
#define FRAME_TAG	0
#define FRAME_WORD	8
#define FRAME_CODE	16

/*
 * The torture region: 8 directories (2 MiB each: 2 PML4Es x 2 PDPTEs x
 * 2 PDEs) of 8 probed 4 KiB slots each.
 */
#define NR_AS		4
#define NR_DIRS		8
#define DIR_SLOTS	8
#define NR_SLOTS	(NR_DIRS * DIR_SLOTS)

/* Where the CPL 3 stub is mapped in every address space (PML4E 3). */
#define USER_VA		(3ULL << 39)

struct table {
	uint64_t *hw;		/* the page the MMU walks */
	uint64_t *want;		/* the model: each entry as we wrote it */
	int level;		/* 4 = PML4 ... 1 = PT; 0 = free */
	int refs;		/* entries and address spaces pointing here */
};

/* One translation as the model predicts it. */
struct walk {
	int depth;		/* entries the walk read, root first */
	struct table *t[4];
	int idx[4];
	bool mapped;		/* every level present: pa is valid */
	uint64_t pa;
	bool fault;		/* the access must raise #PF ... */
	uint32_t error;		/* ... with this error code */
};

enum probe_kind { K_READ, K_WRITE, K_EXEC, U_READ, U_WRITE, NR_KINDS };

struct stats {
	unsigned long ops, probes, faults;
};

/* main.c */
extern struct stats stats;
extern unsigned long round_nr;
extern const char *op_name;
void fail(const struct walk *w, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
uint64_t rnd(void);
unsigned int rnd_below(unsigned int n);
bool chance(unsigned int n);

/* pt.c: tables, frames, the model and its walker */
extern struct table *roots[NR_AS];
extern uintptr_t frames[];
extern uintptr_t bigs[];
extern const unsigned int nr_frames, nr_bigs;
void pt_init(void);
struct table *table_alloc(int level);
void table_put(struct table *t);
struct table *table_of(uint64_t entry);
uint64_t table_link(const struct table *t);
void pt_write(struct table *t, int idx, uint64_t val);
bool is_leaf(int level, uint64_t e);
bool is_link(int level, uint64_t e);
int va_index(uint64_t va, int level);
int region_index(int level, int n);
int region_count(int level);
uint64_t slot_va(int slot);
void model_walk(struct table *root, uint64_t va, uint32_t acc,
		struct walk *w);
uint64_t page_tag(uintptr_t pa);
void tables_check(void);

/* mmu.c: entry changes with the TLB upkeep they need; address spaces */
extern int active_as;
void entry_set(struct table *t, int idx, uint64_t val);
void tlb_flush(void);
void before_fetch(int slot);
void bulk_begin(void);
void bulk_end(void);
void as_switch(int a);
void as_renew(int a);

/* cpu.c */
extern bool nx_on;
void write_cr3(uint64_t pa);
void cr3_reload(void);
void invlpg(uint64_t va);
void nx_enable(void);
void ring3_init(void);

/* probe.c: accesses checked against the model; A/D bits */
void probe_init(uintptr_t user_page);
void probe(int slot, int kind, struct walk *w);
int rand_kind(void);
void ad_round(void);

/* ops.c */
void run_op(void);

/* probe.S */
uint64_t probe_read(uint64_t va);
void probe_write(uint64_t va, uint64_t value);
uint64_t probe_exec(uint64_t va);
void probe_fixup(void);
uint64_t user_call(uint64_t rip, uint64_t va, uint64_t value);
extern uint64_t user_kernel_rsp;
void user_return(void);
extern const char user_stub[], user_stub_end[];
extern const char user_stub_read[], user_stub_read_done[];
extern const char user_stub_write[], user_stub_write_done[];

#endif /* TORTURE_H */
