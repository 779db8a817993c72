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

# The daemons' handshake as the destination reads it (daemon/
# migration_handshake.c on the migration codec): a short run in check,
# longer with make fuzz-migration-handshake HANDSHAKE_FUZZ_SECONDS=3600.
HANDSHAKE_FUZZ_BIN     := $(BUILD)/fuzz/fuzz_handshake
HANDSHAKE_FUZZ_CORPUS  := $(BUILD)/fuzz/corpus-handshake
HANDSHAKE_FUZZ_SECONDS ?= 15
HANDSHAKE_FUZZ_SRCS    := $(TOP)/tests/fuzz/fuzz_handshake.c \
			  $(TOP)/daemon/migration_handshake.c $(MIGRATION_SRCS)

ALL_TARGETS += $(HANDSHAKE_FUZZ_BIN)
FUZZ_RUNS   += fuzz-migration-handshake

$(HANDSHAKE_FUZZ_BIN): $(HANDSHAKE_FUZZ_SRCS) $(MIGRATION_HDRS) $(TOP)/daemon/migration.h $(TOP)/daemon/skiffd.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) $(API_CPPFLAGS) $(MIGRATION_CPPFLAGS) \
		-I$(TOP)/daemon -o $@ $(HANDSHAKE_FUZZ_SRCS) \
		$(API_LDLIBS) $(MIGRATION_LDLIBS)

.PHONY: fuzz-migration-handshake
fuzz-migration-handshake: $(HANDSHAKE_FUZZ_BIN)
	@mkdir -p $(HANDSHAKE_FUZZ_CORPUS) $(RESULTS)
	@printf '\001{"name":"web1","kernel":"/srv/web.hvt","mem":16,"args":[],"block":[{"name":"disk","path":"/d.img"}],"net":[],"autostart":false}' \
		>$(HANDSHAKE_FUZZ_CORPUS)/seed-definition
	@printf '\000SKIFFMIG\001\000\001\000' >$(HANDSHAKE_FUZZ_CORPUS)/seed-hello
	@if $(HANDSHAKE_FUZZ_BIN) -max_total_time=$(HANDSHAKE_FUZZ_SECONDS) \
		-timeout=5 -rss_limit_mb=1024 -max_len=70000 \
		-print_final_stats=1 $(HANDSHAKE_FUZZ_CORPUS) \
		>$(BUILD)/fuzz/handshake.log 2>&1; then \
		grep -E 'stat::number_of_executed_units' $(BUILD)/fuzz/handshake.log; \
		echo "fuzz_handshake: 1 passed, 0 failed"; echo "1 0 0" >>$(RESULTS)/fuzz; \
	else \
		tail -40 $(BUILD)/fuzz/handshake.log; \
		echo "fuzz_handshake: 0 passed, 1 failed"; echo "0 1 0" >>$(RESULTS)/fuzz; \
		exit 1; \
	fi
