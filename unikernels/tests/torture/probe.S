/* SPDX-License-Identifier: ISC */
/*
 * The instructions that touch the torture region, at addresses the trap
 * handlers know (probe.c). A kernel probe that faults resumes at
 * probe_fixup, whose ret leaves the probe; the fault itself is what the
 * handler recorded. The user stub is copied to its own page and runs at
 * CPL 3; its ud2 (or a fault) brings the handler back to user_return.
 */
#define KERNEL_DS	0x10
#define USER_DS		(0x18 | 3)
#define USER_CS		(0x20 | 3)

	.text

/* uint64_t probe_read(uint64_t va) */
	.globl probe_read
probe_read:
	movq (%rdi), %rax
	ret

/* void probe_write(uint64_t va, uint64_t value) */
	.globl probe_write
probe_write:
	movq %rsi, (%rdi)
	ret

/*
 * uint64_t probe_exec(uint64_t va): runs the code at va. A fetch fault
 * happens with the call's return address on top of the stack, so the
 * fixup's ret comes back here.
 */
	.globl probe_exec
probe_exec:
	call *%rdi
	ret

	.globl probe_fixup
probe_fixup:
	ret

/*
 * uint64_t user_call(uint64_t rip, uint64_t va, uint64_t value): runs
 * the stub at rip at CPL 3 with va and value, returns its RAX. The stub
 * needs no stack.
 */
	.globl user_call
user_call:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, user_kernel_rsp(%rip)
	pushq $USER_DS
	pushq $0
	pushq $2
	pushq $USER_CS
	pushq %rdi
	movq %rsi, %rdi
	movq %rdx, %rsi
	iretq

/*
 * A trap handler resumes here at CPL 0, on user_kernel_rsp, with RAX as
 * CPL 3 left it. IRET to CPL 3 cleared the data segments; restore them.
 */
	.globl user_return
user_return:
	movl $KERNEL_DS, %ecx
	movw %cx, %ds
	movw %cx, %es
	movw %cx, %fs
	movw %cx, %gs
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* Position independent: copied to the user page, never run from here. */
	.globl user_stub, user_stub_end
	.globl user_stub_read, user_stub_read_done
	.globl user_stub_write, user_stub_write_done
user_stub:
user_stub_read:
	movq (%rdi), %rax
user_stub_read_done:
	ud2
user_stub_write:
	movq %rsi, (%rdi)
user_stub_write_done:
	ud2
user_stub_end:

	.section .note.GNU-stack, "", @progbits
