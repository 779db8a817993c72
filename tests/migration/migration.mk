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
