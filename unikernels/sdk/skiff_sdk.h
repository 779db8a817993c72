/* SPDX-License-Identifier: ISC */
/*
 * skiff guest SDK: the public interface for unikernels.
 *
 * An application defines `int main(int argc, char **argv)`. argv[0] is the
 * image name given to the manifest generator; argv[1..] are the words of
 * the monitor's command line (the hvt ABI joins arguments with one space,
 * so quoting is lost). Returning from main() exits with that status.
 */
#ifndef SKIFF_SDK_H
#define SKIFF_SDK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvt_abi.h"

#define SKIFF_EXIT_SUCCESS	0
#define SKIFF_EXIT_FAILURE	1
#define SKIFF_EXIT_ABORT	255

/* Results of device calls; the first four are the hvt result codes. */
enum skiff_result {
	SKIFF_R_OK = HVT_R_OK,
	SKIFF_R_AGAIN = HVT_R_AGAIN,
	SKIFF_R_EINVAL = HVT_R_EINVAL,
	SKIFF_R_EUNSPEC = HVT_R_EUNSPEC,
};

#define SKIFF_PAGE_SIZE		4096UL
#define SKIFF_STACK_SIZE	(128UL * 1024)	/* kept free below mem_size */
#define SKIFF_NSEC_PER_SEC	1000000000ULL
#define SKIFF_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

int main(int argc, char **argv);

/* Boot information as the monitor passed it (read-only memory). */
const struct hvt_boot_info *skiff_boot_info(void);

/* exit.c */
void skiff_exit(int status) __attribute__((noreturn));
void skiff_abort(void) __attribute__((noreturn));
void skiff_panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
void skiff_halt(int status, const void *cookie) __attribute__((noreturn));

/* trap.c: CPU exceptions (vectors 0-31), as trap_entry.S saves them. */
struct skiff_trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector;
	uint64_t error_code;	/* 0 for vectors without one */
	uint64_t rip, cs, rflags, rsp, ss;	/* as the CPU pushed them */
};

/*
 * A guest's handler for one vector gets the saved state and CR2. It
 * returns true to resume with the frame as it left it (it may change any
 * field but vector and error_code), false for the SDK's report and halt
 * with 255. A fault inside a handler is reported, not handled.
 */
typedef bool (*skiff_trap_handler)(struct skiff_trap_frame *frame,
				   uint64_t cr2);
void skiff_set_trap_handler(unsigned int vector, skiff_trap_handler fn);

/* console.c */
void skiff_console_write(const char *buf, size_t len);
void skiff_puts(const char *s);

/* printf.c */
int skiff_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int skiff_vprintf(const char *fmt, va_list ap);
int skiff_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int skiff_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* time.c: nanoseconds since boot from the TSC; wall clock from the host. */
uint64_t skiff_monotonic_ns(void);
uint64_t skiff_walltime_ns(void);
uint64_t skiff_rdtsc(void);

/* poll.c: wait for net input up to timeout_ns; returns ready devices. */
int skiff_poll(uint64_t timeout_ns, uint64_t *ready_set);
void skiff_sleep_ns(uint64_t ns);

/* heap.c: [heap_start, heap_end) is free RAM from _end to the stack. */
uintptr_t skiff_heap_start(void);
uintptr_t skiff_heap_end(void);
void *skiff_alloc(size_t size);

/* block.c: one block per call, at block-size-aligned offsets. */
struct skiff_block_info {
	uint64_t capacity;
	uint64_t block_size;
};

int skiff_block_open(const char *name, struct skiff_block_info *info);
int skiff_block_read(int handle, uint64_t offset, void *buf, size_t len);
int skiff_block_write(int handle, uint64_t offset, const void *buf,
		      size_t len);

/* net.c */
struct skiff_net_info {
	uint8_t mac[6];
	uint16_t mtu;
};

int skiff_net_open(const char *name, struct skiff_net_info *info);
int skiff_net_read(int handle, void *buf, size_t size, size_t *len);
int skiff_net_write(int handle, const void *buf, size_t len);

/* string.c */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
/* Parses a whole decimal or 0x-hex string; false on junk or overflow. */
bool skiff_parse_u64(const char *s, uint64_t *out);

#endif /* SKIFF_SDK_H */
