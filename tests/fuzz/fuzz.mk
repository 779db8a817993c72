# SPDX-License-Identifier: ISC
# libFuzzer target for the image parsers. `make check` runs a short smoke
# run (FUZZ_SECONDS, default 20 s) from a corpus seeded with our images;
# for a long run: make fuzz-elf-long FUZZ_SECONDS=3600
# (docs/testing.md).

FUZZ_BIN     := $(BUILD)/fuzz/fuzz_elf
FUZZ_CORPUS  := $(BUILD)/fuzz/corpus-elf
FUZZ_SECONDS ?= 20
FUZZ_SRCS    := tests/fuzz/fuzz_elf.c monitor/elf_loader.c monitor/manifest.c \
		monitor/log.c
FUZZ_FLAGS   := -std=gnu11 -O1 -g -D_GNU_SOURCE $(WARN) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

ALL_TARGETS += $(FUZZ_BIN)
FUZZ_RUNS   += fuzz-elf-smoke

$(FUZZ_BIN): $(FUZZ_SRCS) $(MONITOR_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) $(MONITOR_CPPFLAGS) -o $@ $(FUZZ_SRCS)

.PHONY: fuzz-elf-smoke fuzz-elf-long
fuzz-elf-smoke fuzz-elf-long: $(FUZZ_BIN) build-all
	@mkdir -p $(FUZZ_CORPUS) $(RESULTS)
	@cp -n $(BUILD)/unikernels/*.hvt $(FUZZ_CORPUS)/ 2>/dev/null || true
	@if $(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -timeout=5 \
		-rss_limit_mb=1024 -print_final_stats=1 $(FUZZ_CORPUS) \
		>$(BUILD)/fuzz/elf.log 2>&1; then \
		grep -E 'stat::number_of_executed_units' $(BUILD)/fuzz/elf.log; \
		echo "fuzz_elf: 1 passed, 0 failed"; echo "1 0 0" >>$(RESULTS)/fuzz; \
	else \
		tail -40 $(BUILD)/fuzz/elf.log; \
		echo "fuzz_elf: 0 passed, 1 failed"; echo "0 1 0" >>$(RESULTS)/fuzz; \
		exit 1; \
	fi
