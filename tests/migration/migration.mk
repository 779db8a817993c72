# SPDX-License-Identifier: ISC
#
# tests/migration/: the stream codec's unit test (ASan+UBSan) and its
# libFuzzer target, a short run in check (MIGRATION_FUZZ_SECONDS):
#   make fuzz-migration-stream MIGRATION_FUZZ_SECONDS=3600

MIGRATION_TEST_SRCS := $(wildcard $(TOP)/tests/migration/test_*.c)
MIGRATION_TEST_BINS := $(patsubst $(TOP)/tests/migration/%.c,$(BUILD)/tests/migration/%,$(MIGRATION_TEST_SRCS))
MIGRATION_TEST_RUNS := $(patsubst $(TOP)/tests/migration/%.c,run-migration-%,$(MIGRATION_TEST_SRCS))
MIGRATION_TEST_HDRS := $(TOP)/tests/lib/test_harness.h $(TOP)/tests/migration/stream_fixture.h

ALL_TARGETS += $(MIGRATION_TEST_BINS)
UNIT_RUNS   += $(MIGRATION_TEST_RUNS)

$(BUILD)/tests/migration/test_%: $(TOP)/tests/migration/test_%.c $(MIGRATION_SAN_OBJS) $(MIGRATION_TEST_HDRS) $(MIGRATION_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(MIGRATION_CPPFLAGS) -I$(TOP)/tests/lib -o $@ $< \
		$(MIGRATION_SAN_OBJS) $(MIGRATION_LDLIBS) $(SAN_FLAGS)

.PHONY: $(MIGRATION_TEST_RUNS)
$(MIGRATION_TEST_RUNS): run-migration-%: $(BUILD)/tests/migration/%
	@mkdir -p $(SKIFF_RESULTS_DIR)
	SKIFF_RESULTS=$(SKIFF_RESULTS_DIR)/migration-$* $<

MIGRATION_SEEDS := $(BUILD)/tests/migration/stream-seeds
ALL_TARGETS += $(MIGRATION_SEEDS)

$(MIGRATION_SEEDS): $(TOP)/tests/migration/stream_seeds.c $(MIGRATION_LIB) $(MIGRATION_TEST_HDRS) $(MIGRATION_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(MIGRATION_CPPFLAGS) $(HOST_LDFLAGS) -o $@ $< \
		$(MIGRATION_LIB) $(MIGRATION_LDLIBS)

MIGRATION_FUZZ_BIN     := $(BUILD)/fuzz/fuzz_migration_stream
MIGRATION_FUZZ_CORPUS  := $(BUILD)/fuzz/corpus-migration-stream
MIGRATION_FUZZ_SECONDS ?= 15
MIGRATION_FUZZ_FLAGS   := -std=gnu11 -O1 -g -D_GNU_SOURCE $(WARN) \
			  -fsanitize=fuzzer,address,undefined \
			  -fno-sanitize-recover=all

ALL_TARGETS += $(MIGRATION_FUZZ_BIN)
FUZZ_RUNS   += fuzz-migration-stream

$(MIGRATION_FUZZ_BIN): $(TOP)/tests/migration/fuzz_stream.c $(MIGRATION_SRCS) $(MIGRATION_HDRS) $(MIGRATION_TEST_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(MIGRATION_FUZZ_FLAGS) $(MIGRATION_CPPFLAGS) -o $@ $< \
		$(MIGRATION_SRCS) $(MIGRATION_LDLIBS)

.PHONY: fuzz-migration-stream
fuzz-migration-stream: $(MIGRATION_FUZZ_BIN) $(MIGRATION_SEEDS)
	@mkdir -p $(MIGRATION_FUZZ_CORPUS) $(SKIFF_RESULTS_DIR)
	@$(MIGRATION_SEEDS) $(MIGRATION_FUZZ_CORPUS)
	@if $(MIGRATION_FUZZ_BIN) -max_total_time=$(MIGRATION_FUZZ_SECONDS) \
		-timeout=5 -rss_limit_mb=1024 -max_len=65536 \
		-print_final_stats=1 $(MIGRATION_FUZZ_CORPUS) \
		>$(BUILD)/fuzz/migration_stream.log 2>&1; then \
		grep -E 'stat::number_of_executed_units' $(BUILD)/fuzz/migration_stream.log; \
		echo "fuzz_migration_stream: 1 passed, 0 failed"; \
		echo "1 0 0" >>$(SKIFF_RESULTS_DIR)/fuzz-migration-stream; \
	else \
		tail -40 $(BUILD)/fuzz/migration_stream.log; \
		echo "fuzz_migration_stream: 0 passed, 1 failed"; \
		echo "0 1 0" >>$(SKIFF_RESULTS_DIR)/fuzz-migration-stream; \
		exit 1; \
	fi
