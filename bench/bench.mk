# SPDX-License-Identifier: ISC
# Benchmarks: never part of `make check`. `make bench` runs them all.

BENCH_BIN := $(BUILD)/bench
ALL_TARGETS += $(BENCH_BIN)/kvm_floor $(BENCH_BIN)/proc_timer

$(BENCH_BIN)/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $<

.PHONY: bench bench-boot bench-hypercall
bench: bench-boot bench-hypercall $(BENCH_TARGETS)

bench-boot: build-all
	@bench/boot/run

bench-hypercall: build-all
	@bench/hypercall/run

# Hand-written hvt images with no runtime, for bench/boot and
# bench/hypercall (linked with the SDK's linker script).
ALL_TARGETS += $(BENCH_BIN)/null_guest.hvt $(BENCH_BIN)/hypercall_guest.hvt
$(BENCH_BIN)/%.hvt: bench/%.S bench/hvt_notes.S unikernels/sdk/hvt.lds
	@mkdir -p $(@D)
	$(CC) -Ibench -c -o $(BENCH_BIN)/$*.o $<
	$(CC) -nostdlib -static -no-pie -Wl,-z,max-page-size=0x1000 \
		-Wl,--build-id=none -T unikernels/sdk/hvt.lds \
		-o $@ $(BENCH_BIN)/$*.o
