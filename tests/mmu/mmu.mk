# SPDX-License-Identifier: ISC
#
# MMU core (kmod/mmu) verified in userspace: directed tests, seeded
# random property sequences against the reference model (ASan+UBSan+
# LeakSanitizer), checkpatch and sparse on kmod/mmu, coverage, bench.
#
#   make check-mmu        style + directed + 100k random sequences
#   make check-mmu-long   1M random sequences
#   make mmu-coverage     gcov line coverage of kmod/mmu
#   make bench-mmu        bench/mmu figures

MMU_OUT       := $(BUILD)/mmu
MMU_CORE_SRC  := $(sort $(wildcard kmod/mmu/*.c))
MMU_HDRS      := $(wildcard kmod/mmu/*.h tests/mmu/*.h) tests/lib/test_harness.h
MMU_SIM_SRC   := tests/mmu/sim.c tests/mmu/hw_mmu.c tests/mmu/invariants.c \
		 tests/mmu/ref_model.c tests/mmu/gpt.c
MMU_PROP_SRC  := $(MMU_SIM_SRC) tests/mmu/property.c \
		 tests/mmu/property_checks.c tests/mmu/property_events.c
MMU_SEQS      ?= 100000
MMU_LONG_SEQS ?= 1000000
MMU_ENV       := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=32 \
		 UBSAN_OPTIONS=print_stacktrace=1 \
		 SKIFF_RESULTS=$(SKIFF_RESULTS_DIR)/mmu
MMU_TESTS     := walker directed property

$(MMU_OUT)/test_walker: tests/mmu/test_walker.c $(MMU_CORE_SRC) \
			$(MMU_SIM_SRC) $(MMU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ $(filter %.c,$^)

$(MMU_OUT)/test_directed: tests/mmu/test_directed.c $(MMU_CORE_SRC) \
			  $(MMU_SIM_SRC) $(MMU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ $(filter %.c,$^)

$(MMU_OUT)/test_property: tests/mmu/test_property.c $(MMU_CORE_SRC) \
			  $(MMU_PROP_SRC) $(MMU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ $(filter %.c,$^)

# Fast, unsanitised build for the long run and the benchmark.
$(MMU_OUT)/fast/test_property: tests/mmu/test_property.c $(MMU_CORE_SRC) \
			       $(MMU_PROP_SRC) $(MMU_HDRS)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -o $@ $(filter %.c,$^)

$(MMU_OUT)/bench_mmu: bench/mmu/bench_mmu.c $(MMU_CORE_SRC) $(MMU_SIM_SRC) \
		      $(MMU_HDRS)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -o $@ $(filter %.c,$^)

.PHONY: mmu-style mmu-tests-run check-mmu-long mmu-coverage bench-mmu

# checkpatch and sparse must both be silent on kmod/mmu; each counts
# as one test in the summary.
mmu-style:
	@mkdir -p $(SKIFF_RESULTS_DIR)
	@p=0; f=0; \
	if $(TOP)/scripts/checkpatch kmod/mmu/*.c kmod/mmu/*.h; then \
		p=$$((p + 1)); echo "ok - mmu-style: checkpatch"; \
	else f=$$((f + 1)); echo "not ok - mmu-style: checkpatch"; fi; \
	if sparse -Wsparse-all -Wno-unknown-attribute -Wsparse-error \
		kmod/mmu/*.c; then \
		p=$$((p + 1)); echo "ok - mmu-style: sparse"; \
	else f=$$((f + 1)); echo "not ok - mmu-style: sparse"; fi; \
	echo "$$p $$f 0" >> $(SKIFF_RESULTS_DIR)/mmu; \
	test $$f -eq 0

# The property sequences run as two halves, one per core.
mmu-tests-run: mmu-style $(addprefix $(MMU_OUT)/test_,$(MMU_TESTS))
	@mkdir -p $(SKIFF_RESULTS_DIR)
	@$(MMU_ENV) $(MMU_OUT)/test_walker
	@$(MMU_ENV) $(MMU_OUT)/test_directed
	@half=$$(( $(MMU_SEQS) / 2 )); \
	$(MMU_ENV) MMU_SEQS=$$half MMU_SEED_BASE=1 \
		$(MMU_OUT)/test_property > $(MMU_OUT)/property-1.log 2>&1 & p1=$$!; \
	$(MMU_ENV) MMU_SEQS=$$half MMU_SEED_BASE=$$(( half + 1 )) \
		$(MMU_OUT)/test_property > $(MMU_OUT)/property-2.log 2>&1; r2=$$?; \
	wait $$p1; r1=$$?; \
	grep -v '^ok' $(MMU_OUT)/property-1.log $(MMU_OUT)/property-2.log; \
	test $$r1 -eq 0 -a $$r2 -eq 0

MMU_RUNS += mmu-tests-run

check-mmu-long: $(MMU_OUT)/fast/test_property
	@half=$$(( $(MMU_LONG_SEQS) / 2 )); \
	MMU_SEQS=$$half MMU_SEED_BASE=1000001 \
		$(MMU_OUT)/fast/test_property > $(MMU_OUT)/long-1.log 2>&1 & p1=$$!; \
	MMU_SEQS=$$half MMU_SEED_BASE=$$(( 1000001 + half )) \
		$(MMU_OUT)/fast/test_property > $(MMU_OUT)/long-2.log 2>&1; r2=$$?; \
	wait $$p1; r1=$$?; \
	grep -v '^ok' $(MMU_OUT)/long-1.log $(MMU_OUT)/long-2.log; \
	test $$r1 -eq 0 -a $$r2 -eq 0

# Line coverage of kmod/mmu over the directed tests and 20k sequences.
MMU_COV := $(MMU_OUT)/cov
mmu-coverage:
	@rm -rf $(MMU_COV) && mkdir -p $(MMU_COV)
	@for t in $(MMU_TESTS); do \
		$(CC) -std=gnu11 -O0 -g --coverage -D_GNU_SOURCE \
			-o $(MMU_COV)/$$t tests/mmu/test_$$t.c $(MMU_CORE_SRC) \
			$(MMU_PROP_SRC) || exit 1; \
	done
	@cd $(MMU_COV) && ./walker > /dev/null && ./directed > /dev/null && \
		MMU_SEQS=20000 ./property | tail -1
	@gcovr --root $(TOP) --filter 'kmod/mmu/' --object-directory $(MMU_COV) \
		--print-summary $(MMU_COV)

bench-mmu: $(MMU_OUT)/bench_mmu
	@$(MMU_OUT)/bench_mmu
