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

# libFuzzer target for the codec: a short run in `make check`
# (JSONRPC_FUZZ_SECONDS), longer by hand:
#   make fuzz-jsonrpc JSONRPC_FUZZ_SECONDS=3600
JSONRPC_FUZZ_BIN     := $(BUILD)/fuzz/fuzz_jsonrpc
JSONRPC_FUZZ_CORPUS  := $(BUILD)/fuzz/corpus-jsonrpc
JSONRPC_FUZZ_SECONDS ?= 15
JSONRPC_FUZZ_FLAGS   := -std=gnu11 -O1 -g -D_GNU_SOURCE $(WARN) \
			-fsanitize=fuzzer,address,undefined \
			-fno-sanitize-recover=all

ALL_TARGETS += $(JSONRPC_FUZZ_BIN)
FUZZ_RUNS   += fuzz-jsonrpc

$(JSONRPC_FUZZ_BIN): $(TOP)/tests/api/fuzz_jsonrpc.c $(API_SRCS) $(API_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(JSONRPC_FUZZ_FLAGS) $(API_CPPFLAGS) -o $@ $< $(API_SRCS) \
		$(API_LDLIBS)

.PHONY: fuzz-jsonrpc
fuzz-jsonrpc: $(JSONRPC_FUZZ_BIN)
	@mkdir -p $(JSONRPC_FUZZ_CORPUS) $(SKIFF_RESULTS_DIR)
	@printf '%s' '{"jsonrpc":"2.0","id":1,"method":"vm.create","params":{"name":"a","kernel":"/k","mem":64,"autostart":true,"timeout":1.5}}' >$(JSONRPC_FUZZ_CORPUS)/create
	@printf '%s' '[{"jsonrpc":"2.0","id":"x","method":"vm.list"},{"jsonrpc":"2.0","method":"n"},1,[]]' >$(JSONRPC_FUZZ_CORPUS)/batch
	@printf '%s' '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"m","data":{"field":"f"}}}' >$(JSONRPC_FUZZ_CORPUS)/error
	@printf '%s' '{"jsonrpc":"2.0","method":"vm.console_output","params":{"name":"a","offset":1,"data":"\u00e9\ud83d\ude00"}}' >$(JSONRPC_FUZZ_CORPUS)/notification
	@if $(JSONRPC_FUZZ_BIN) -max_total_time=$(JSONRPC_FUZZ_SECONDS) \
		-timeout=5 -rss_limit_mb=1024 -max_len=8192 -print_final_stats=1 \
		$(JSONRPC_FUZZ_CORPUS) >$(BUILD)/fuzz/jsonrpc.log 2>&1; then \
		grep -E 'stat::number_of_executed_units' $(BUILD)/fuzz/jsonrpc.log; \
		echo "fuzz_jsonrpc: 1 passed, 0 failed"; \
		echo "1 0 0" >>$(SKIFF_RESULTS_DIR)/fuzz-jsonrpc; \
	else \
		tail -40 $(BUILD)/fuzz/jsonrpc.log; \
		echo "fuzz_jsonrpc: 0 passed, 1 failed"; \
		echo "0 1 0" >>$(SKIFF_RESULTS_DIR)/fuzz-jsonrpc; \
		exit 1; \
	fi
