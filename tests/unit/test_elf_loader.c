/* SPDX-License-Identifier: ISC */
/*
 * elf_parse() against a valid synthetic hvt image and a table of broken
 * ones: every rule of HVT_ABI.md §1 has a case that breaks it, and each
 * case must be refused with a message naming the problem.
 */
#include <elf.h>

#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "monitor.h"

#define MEM		(64 * MIB)
#define IMG_SIZE	0x3000
#define OFF_PH		64
#define OFF_ABI		0x200
#define OFF_MFT		0x240
#define OFF_TEXT	0x1000
#define OFF_DATA	0x2000
#define MFT_ENTRIES	3

enum { PH_TEXT, PH_DATA, PH_ABI, PH_MFT, PH_COUNT };

struct img {
	uint8_t b[IMG_SIZE];
	size_t size;
};

static Elf64_Ehdr *eh(struct img *i)
{
	return (Elf64_Ehdr *)i->b;
}

static Elf64_Phdr *ph(struct img *i, int n)
{
	return (Elf64_Phdr *)(i->b + OFF_PH) + n;
}

static uint32_t *abi_note(struct img *i)
{
	return (uint32_t *)(i->b + OFF_ABI);
}

static uint32_t *mft_note(struct img *i)
{
	return (uint32_t *)(i->b + OFF_MFT);
}

static struct mft *mft_of(struct img *i)
{
	return (struct mft *)(i->b + OFF_MFT + 24);
}

static void set_ph(struct img *i, int n, uint32_t type, uint32_t flags,
		   uint64_t off, uint64_t vaddr, uint64_t filesz,
		   uint64_t memsz, uint64_t align)
{
	*ph(i, n) = (Elf64_Phdr){ .p_type = type, .p_flags = flags,
				  .p_offset = off, .p_vaddr = vaddr,
				  .p_paddr = vaddr, .p_filesz = filesz,
				  .p_memsz = memsz, .p_align = align };
}

static void build_notes(struct img *i)
{
	uint32_t *a = abi_note(i), *m = mft_note(i);
	struct mft *mf = mft_of(i);

	a[0] = 6;
	a[1] = 16;
	a[2] = SOLO5_NOTE_ABI;
	memcpy(&a[3], "Solo5\0\0", 8);
	a[5] = HVT_ABI_TARGET;
	a[6] = HVT_ABI_VERSION;
	m[0] = 6;
	m[1] = 4 + sizeof(struct mft) + MFT_ENTRIES * sizeof(struct mft_entry);
	m[2] = SOLO5_NOTE_MFT;
	memcpy(&m[3], "Solo5\0\0", 8);
	mf->version = MFT_VERSION;
	mf->entries = MFT_ENTRIES;
	mf->e[0].type = MFT_RESERVED_FIRST;
	strcpy(mf->e[1].name, "disk");
	mf->e[1].type = MFT_DEV_BLOCK_BASIC;
	strcpy(mf->e[2].name, "service0");
	mf->e[2].type = MFT_DEV_NET_BASIC;
}

static void build(struct img *i)
{
	Elf64_Ehdr *h = eh(i);

	memset(i, 0, sizeof(*i));
	i->size = IMG_SIZE;
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = ET_EXEC;
	h->e_machine = EM_X86_64;
	h->e_version = EV_CURRENT;
	h->e_entry = 0x100010;
	h->e_phoff = OFF_PH;
	h->e_ehsize = sizeof(Elf64_Ehdr);
	h->e_phentsize = sizeof(Elf64_Phdr);
	h->e_phnum = PH_COUNT;
	set_ph(i, PH_TEXT, PT_LOAD, PF_R | PF_X, OFF_TEXT, 0x100000, 0x100,
	       0x1000, 0x1000);
	set_ph(i, PH_DATA, PT_LOAD, PF_R | PF_W, OFF_DATA, 0x101000, 0x10,
	       0x3000, 0x1000);
	set_ph(i, PH_ABI, PT_NOTE, PF_R, OFF_ABI, 0, 36, 36, 4);
	set_ph(i, PH_MFT, PT_NOTE, PF_R, OFF_MFT, 0,
	       20 + mft_note(i)[1], 0, 4);
	build_notes(i);
	ph(i, PH_MFT)->p_filesz = 20 + mft_note(i)[1];
	i->b[OFF_TEXT] = 0xf4;
}

static int parse(struct img *i, struct elf_image *out, char *err)
{
	return elf_parse(i->b, i->size, MEM, out, err, 256);
}

TEST(valid_image)
{
	struct elf_image out;
	char err[256] = "";
	struct img i;

	build(&i);
	REQUIRE(parse(&i, &out, err) == 0);
	CHECK_EQ_U64(out.entry, 0x100010);
	CHECK_EQ_U64(out.nseg, 2);
	CHECK_EQ_U64(out.kernel_end, 0x104000);
	CHECK_EQ_U64(out.seg[1].start, 0x101000);
	CHECK_EQ_U64(out.seg[1].end, 0x104000);
	CHECK_EQ_U64(out.mft.entries, MFT_ENTRIES);
	CHECK(manifest_find(&out.mft, "disk") == 1);
	CHECK(manifest_find(&out.mft, "service0") == 2);
	CHECK(manifest_find(&out.mft, "nope") == -1);
}

/* Empty PT_LOADs (Solo5's .tdata at 0, its .bss) are skipped, not refused. */
TEST(empty_segments_skipped)
{
	struct elf_image out;
	char err[256] = "";
	struct img i;

	build(&i);
	set_ph(&i, PH_MFT + 1, PT_LOAD, PF_R | PF_W, 0, 0, 0, 0, 0x1000);
	set_ph(&i, PH_MFT + 2, PT_LOAD, PF_R | PF_W, 0, 0x200000, 0,
	       0x200000, 0x1000);
	eh(&i)->e_phnum = PH_COUNT + 2;
	REQUIRE(parse(&i, &out, err) == 0);
	CHECK_EQ_U64(out.nseg, 2);
	CHECK_EQ_U64(out.kernel_end, 0x104000);
}

typedef void (*mutate_fn)(struct img *i);

struct bad_case {
	const char *name;
	mutate_fn fn;
	const char *expect;		/* a substring of the error */
};

#define M(name, body) static void mut_##name(struct img *i) { body; }

M(truncated, i->size = 40)
M(phdrs_cut, i->size = OFF_PH + 100)
M(magic, i->b[1] = 'X')
M(class32, i->b[EI_CLASS] = ELFCLASS32)
M(big_endian, i->b[EI_DATA] = ELFDATA2MSB)
M(version, eh(i)->e_version = 2)
M(type_dyn, eh(i)->e_type = ET_DYN)
M(machine, eh(i)->e_machine = EM_386)
M(ehsize, eh(i)->e_ehsize = 52)
M(phentsize, eh(i)->e_phentsize = 32)
M(phnum0, eh(i)->e_phnum = 0)
M(phnum_many, eh(i)->e_phnum = 65)
M(phoff_out, eh(i)->e_phoff = IMG_SIZE - 8)
M(phoff_wrap, eh(i)->e_phoff = ~0ull - 8)
M(entry_low, eh(i)->e_entry = 0xfffff)
M(entry_high, eh(i)->e_entry = MEM)
M(entry_data, eh(i)->e_entry = 0x101000)
M(vaddr_low, ph(i, PH_TEXT)->p_vaddr = 0x80000)
M(align0, ph(i, PH_TEXT)->p_align = 0)
M(align3, ph(i, PH_TEXT)->p_align = 3)
M(align_huge, ph(i, PH_TEXT)->p_align = 1ull << 62)
M(unaligned, ph(i, PH_TEXT)->p_vaddr = 0x100010;
  ph(i, PH_TEXT)->p_align = 0x10)
M(filesz_gt_memsz, ph(i, PH_DATA)->p_filesz = 0x4000)
M(past_memory, ph(i, PH_DATA)->p_vaddr = MEM - 0x1000)
M(memsz_wrap, ph(i, PH_DATA)->p_memsz = ~0ull - 0x100)
M(end_at_memory_plus, ph(i, PH_DATA)->p_memsz = MEM - 0x101000 + 1)
M(data_outside_file, ph(i, PH_DATA)->p_offset = IMG_SIZE - 8)
M(offset_wrap, ph(i, PH_DATA)->p_offset = ~0ull - 4)
M(wx, ph(i, PH_DATA)->p_flags = PF_R | PF_W | PF_X)
M(overlap, ph(i, PH_DATA)->p_vaddr = 0x100800)
M(descending, ph(i, PH_DATA)->p_vaddr = 0x100000;
  ph(i, PH_TEXT)->p_vaddr = 0x102000; eh(i)->e_entry = 0x102010)
M(no_abi_note, ph(i, PH_ABI)->p_type = PT_NULL)
M(abi_target, abi_note(i)[5] = 2)
M(abi_version, abi_note(i)[6] = 1)
M(abi_desc0, abi_note(i)[1] = 0)
M(abi_desc_big, abi_note(i)[1] = 33; ph(i, PH_ABI)->p_filesz = 60)
M(abi_truncated, ph(i, PH_ABI)->p_filesz = 30)
M(note_tiny, ph(i, PH_ABI)->p_filesz = 8)
M(note_short_skipped, ph(i, PH_ABI)->p_filesz = 16)
M(note_outside, ph(i, PH_ABI)->p_offset = IMG_SIZE - 4)
M(two_abi_notes, *ph(i, PH_MFT) = *ph(i, PH_ABI))
M(no_mft_note, ph(i, PH_MFT)->p_type = PT_NULL)
M(mft_version, mft_of(i)->version = 2)
M(mft_entries0, mft_of(i)->entries = 0)
M(mft_entries_many, mft_of(i)->entries = 65)
M(mft_size_mismatch, mft_of(i)->entries = 2)
M(mft_desc_big, mft_note(i)[1] = 6669)
M(mft_desc_tiny, mft_note(i)[1] = 4)
M(mft_reserved, mft_of(i)->e[0].type = MFT_DEV_BLOCK_BASIC)
M(mft_reserved_name, mft_of(i)->e[0].name[0] = 'x')
M(mft_unterminated, memset(mft_of(i)->e[1].name, 'a', MFT_NAME_SIZE))
M(mft_attached, mft_of(i)->e[2].attached = 1)
M(mft_type, mft_of(i)->e[2].type = 3)
M(mft_bad_name, strcpy(mft_of(i)->e[2].name, "net-0"))
M(mft_empty_name, mft_of(i)->e[2].name[0] = '\0')
M(mft_dup_name, strcpy(mft_of(i)->e[2].name, "disk"))

#define BAD(n, e) { #n, mut_##n, e }

static const struct bad_case bad[] = {
	BAD(truncated, "too short"),
	BAD(phdrs_cut, "program headers outside"),
	BAD(magic, "bad magic"),
	BAD(class32, "64-bit"),
	BAD(big_endian, "little-endian"),
	BAD(version, "ELF version"),
	BAD(type_dyn, "static executable"),
	BAD(machine, "x86-64"),
	BAD(ehsize, "header size"),
	BAD(phentsize, "header size"),
	BAD(phnum0, "program headers, need"),
	BAD(phnum_many, "program headers, need"),
	BAD(phoff_out, "program headers outside"),
	BAD(phoff_wrap, "program headers outside"),
	BAD(entry_low, "entry point"),
	BAD(entry_high, "entry point"),
	BAD(entry_data, "not in an executable segment"),
	BAD(vaddr_low, "below"),
	BAD(align0, "alignment"),
	BAD(align3, "alignment"),
	BAD(align_huge, "alignment"),
	BAD(unaligned, "4 KiB aligned"),
	BAD(filesz_gt_memsz, "file size exceeds"),
	BAD(past_memory, "does not fit"),
	BAD(memsz_wrap, "does not fit"),
	BAD(end_at_memory_plus, "does not fit"),
	BAD(data_outside_file, "outside the file"),
	BAD(offset_wrap, "outside the file"),
	BAD(wx, "W^X"),
	BAD(overlap, "overlaps"),
	BAD(descending, "ascending"),
	BAD(no_abi_note, "no ABI1 note"),
	BAD(abi_target, "not hvt"),
	BAD(abi_version, "ABI version"),
	BAD(abi_desc0, "bad size"),
	BAD(abi_desc_big, "bad size"),
	BAD(abi_truncated, "truncated"),
	BAD(note_tiny, "too short"),
	BAD(note_short_skipped, "no ABI1 note"),
	BAD(note_outside, "outside the file"),
	BAD(two_abi_notes, "two ABI1 notes"),
	BAD(no_mft_note, "no Solo5 manifest"),
	BAD(mft_version, "version"),
	BAD(mft_entries0, "entries, need"),
	BAD(mft_entries_many, "entries, need"),
	BAD(mft_size_mismatch, "does not match"),
	BAD(mft_desc_big, "bad size"),
	BAD(mft_desc_tiny, "bad size"),
	BAD(mft_reserved, "reserved entry"),
	BAD(mft_reserved_name, "reserved entry"),
	BAD(mft_unterminated, "not terminated"),
	BAD(mft_attached, "attached"),
	BAD(mft_type, "unknown device type"),
	BAD(mft_bad_name, "letters or digits"),
	BAD(mft_empty_name, "letters or digits"),
	BAD(mft_dup_name, "used twice"),
};

TEST(malformed_images_refused)
{
	struct elf_image out;
	char err[256];
	struct img i;
	size_t k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		build(&i);
		bad[k].fn(&i);
		err[0] = '\0';
		if (parse(&i, &out, err) == 0) {
			fprintf(stderr, "  case %s: accepted\n", bad[k].name);
			test_failures_in_case++;
		} else if (!strstr(err, bad[k].expect)) {
			fprintf(stderr, "  case %s: error '%s' lacks '%s'\n",
				bad[k].name, err, bad[k].expect);
			test_failures_in_case++;
		}
	}
}

/* Every prefix of a valid image is refused, and none is read past. */
TEST(every_truncation_refused)
{
	struct elf_image out;
	char err[256];
	struct img i;
	size_t n;

	build(&i);
	for (n = 0; n < OFF_DATA + 0x10; n += 7) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, i.b, n);
		CHECK(elf_parse(copy, n, MEM, &out, err, sizeof(err)) != 0);
		free(copy);
	}
}

static const struct test_case cases[] = {
	TEST_ENTRY(valid_image),
	TEST_ENTRY(empty_segments_skipped),
	TEST_ENTRY(malformed_images_refused),
	TEST_ENTRY(every_truncation_refused),
};

TEST_MAIN("elf_loader", cases)
