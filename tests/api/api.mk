# SPDX-License-Identifier: ISC
#
# Unit tests of the JSON-RPC codec (api/), under ASan+UBSan.

API_TEST_SRCS := $(wildcard $(TOP)/tests/api/test_*.c)
API_TEST_BINS := $(patsubst $(TOP)/tests/api/%.c,$(BUILD)/tests/api/%,$(API_TEST_SRCS))
API_TEST_RUNS := $(patsubst $(TOP)/tests/api/%.c,run-api-%,$(API_TEST_SRCS))

UNIT_RUNS += $(API_TEST_RUNS)

$(BUILD)/tests/api/%: $(TOP)/tests/api/%.c $(API_SAN_OBJS) $(TOP)/tests/lib/test_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(API_CPPFLAGS) -I$(TOP)/tests/lib -o $@ $< \
		$(API_SAN_OBJS) $(API_LDLIBS) $(SAN_FLAGS)

.PHONY: $(API_TEST_RUNS)
$(API_TEST_RUNS): run-api-%: $(BUILD)/tests/api/%
	@mkdir -p $(SKIFF_RESULTS_DIR)
	SKIFF_RESULTS=$(SKIFF_RESULTS_DIR)/api-$* $<
