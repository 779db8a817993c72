# SPDX-License-Identifier: ISC
# Benchmarks: never part of `make check`. `make bench` runs them all.

BENCH_BIN := $(BUILD)/bench
ALL_TARGETS += $(BENCH_BIN)/kvm_floor $(BENCH_BIN)/proc_timer

$(BENCH_BIN)/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $<

.PHONY: bench bench-boot bench-hypercall bench-kmod
bench: bench-boot bench-hypercall $(BENCH_TARGETS)

# On /dev/kvm, or on the device SKIFF_KVM names.
bench-boot: build-all
	@bench/boot/run

bench-hypercall: build-all
	@bench/hypercall/run

# skiff.ko beside kvm_amd in the lab (bench/kmod/run): one lab boot per
# paging mode of skiff.ko in BENCH_KMOD_NPT; kvm_amd keeps nested paging
# in both. Not part of `make bench`: it needs the lab and its minutes.
BENCH_KMOD_NPT ?= 1 0
BENCH_KMOD_TIMEOUT ?= 600
BOOT_RUNS ?= 20
HYPERCALL_RUNS ?= 9
HYPERCALL_N ?= 20000

bench-kmod: build-all
	@for npt in $(BENCH_KMOD_NPT); do \
		$(TOP)/scripts/lab --timeout $(BENCH_KMOD_TIMEOUT) \
			--module $(KMOD):npt=$$npt -- \
			env BOOT_RUNS=$(BOOT_RUNS) HYPERCALL_RUNS=$(HYPERCALL_RUNS) \
			N=$(HYPERCALL_N) $(TOP)/bench/kmod/run || exit; \
	done

# Hand-written hvt images with no runtime, for bench/boot and
# bench/hypercall (linked with the SDK's linker script).
ALL_TARGETS += $(BENCH_BIN)/null_guest.hvt $(BENCH_BIN)/hypercall_guest.hvt
$(BENCH_BIN)/%.hvt: bench/%.S bench/hvt_notes.S unikernels/sdk/hvt.lds
	@mkdir -p $(@D)
	$(CC) -Ibench -c -o $(BENCH_BIN)/$*.o $<
	$(CC) -nostdlib -static -no-pie -Wl,-z,max-page-size=0x1000 \
		-Wl,--build-id=none -T unikernels/sdk/hvt.lds \
		-o $@ $(BENCH_BIN)/$*.o

# Live migration between two monitors over loopback TCP, churn guests
# dirtying memory (bench/migrate/run: BENCH_CELLS, BENCH_RUNS, and
# BENCH_MIGRATE_FLAGS=--quick for a run of about a minute). Not part of
# `make bench`: the full grid takes minutes and 2 GiB of guest memory.
ALL_TARGETS += $(BENCH_BIN)/tcp_floor
$(BENCH_BIN)/tcp_floor: bench/migrate/tcp_floor.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $<

.PHONY: bench-migrate
bench-migrate: build-all
	@bench/migrate/run $(BENCH_MIGRATE_FLAGS)
