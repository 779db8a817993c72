# SPDX-License-Identifier: ISC
#
# tests/daemon/: C unit tests of skiffd's parts (ASan+UBSan), the
# schema-agreement test, and rpc-pipe, the raw client the Bats suites use.

DAEMON_TEST_SRCS := $(wildcard $(TOP)/tests/daemon/test_*.c)
DAEMON_TEST_BINS := $(patsubst $(TOP)/tests/daemon/%.c,$(BUILD)/tests/daemon/%,$(DAEMON_TEST_SRCS))
DAEMON_TEST_RUNS := $(patsubst $(TOP)/tests/daemon/%.c,run-daemon-%,$(DAEMON_TEST_SRCS))
DAEMON_SAN_OBJS  := $(patsubst $(TOP)/daemon/%.c,$(OBJ)/daemon-san/%.o,$(DAEMON_CORE_SRCS))
RPC_PIPE         := $(BUILD)/tests/daemon/rpc-pipe
NOTIFY_LISTEN    := $(BUILD)/tests/daemon/notify-listen

ALL_TARGETS += $(RPC_PIPE) $(NOTIFY_LISTEN)

$(NOTIFY_LISTEN): $(TOP)/tests/daemon/notify_listen.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $<
UNIT_RUNS += $(DAEMON_TEST_RUNS)

$(RPC_PIPE): $(TOP)/tests/daemon/rpc_pipe.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS) -o $@ $<

$(OBJ)/daemon-san/%.o: $(TOP)/daemon/%.c $(DAEMON_HDRS) $(MIGRATION_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(API_CPPFLAGS) $(MIGRATION_CPPFLAGS) \
		-I$(TOP)/daemon -c -o $@ $<

.SECONDARY: $(DAEMON_SAN_OBJS)

$(BUILD)/tests/daemon/test_%: $(TOP)/tests/daemon/test_%.c $(DAEMON_SAN_OBJS) $(API_SAN_OBJS) $(MIGRATION_SAN_OBJS) $(TOP)/tests/lib/test_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(API_CPPFLAGS) $(MIGRATION_CPPFLAGS) -I$(TOP)/daemon \
		-I$(TOP)/tests/lib -DSKIFF_TOP='"$(TOP)"' -o $@ $< \
		$(DAEMON_SAN_OBJS) $(API_SAN_OBJS) $(MIGRATION_SAN_OBJS) \
		$(DAEMON_LIBS) $(API_LDLIBS) $(MIGRATION_LDLIBS) $(SAN_FLAGS)

.PHONY: $(DAEMON_TEST_RUNS)
$(DAEMON_TEST_RUNS): run-daemon-%: $(BUILD)/tests/daemon/%
	@mkdir -p $(SKIFF_RESULTS_DIR)
	SKIFF_RESULTS=$(SKIFF_RESULTS_DIR)/daemon-$* $<

# The Bats suites of skiffd and skiffctl (they run guests), and of the
# systemd units (they need no VM device: always on the host).
BATS_SUITES += $(sort $(wildcard $(TOP)/tests/bats/daemon*.bats \
	$(TOP)/tests/bats/skiffctl*.bats))
BATS_HOST_SUITES += $(sort $(wildcard $(TOP)/tests/bats/systemd*.bats))

# skiffd under ASan+UBSan through the daemon's Bats suites (not part of
# check: it doubles their time). Any sanitizer report fails the run.
DAEMON_SAN_BIN := $(BUILD)/san/daemon/skiffd

$(OBJ)/daemon-san/main.o: $(TOP)/daemon/main.c $(DAEMON_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(API_CPPFLAGS) $(MIGRATION_CPPFLAGS) \
		-I$(TOP)/daemon -c -o $@ $<

$(DAEMON_SAN_BIN): $(DAEMON_SAN_OBJS) $(OBJ)/daemon-san/main.o $(API_SAN_OBJS) $(MIGRATION_SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(DAEMON_LIBS) $(API_LDLIBS) $(MIGRATION_LDLIBS) \
		$(SAN_FLAGS)

.PHONY: check-daemon-san
check-daemon-san: $(DAEMON_SAN_BIN) build-all
	@rm -rf $(BUILD)/san/daemon/logs && mkdir -p $(BUILD)/san/daemon/logs
	SKIFFD_BIN=$(DAEMON_SAN_BIN) \
	SKIFFD_MONITOR=$(BIN)/skiff-monitor \
	ASAN_OPTIONS=log_path=$(BUILD)/san/daemon/logs/asan \
	UBSAN_OPTIONS=log_path=$(BUILD)/san/daemon/logs/ubsan:print_stacktrace=1 \
		bats $(TOP)/tests/bats/daemon_api.bats \
		$(TOP)/tests/bats/daemon_lifecycle.bats \
		$(TOP)/tests/bats/daemon_restart.bats \
		$(TOP)/tests/bats/daemon_access.bats \
		$(TOP)/tests/bats/daemon_console.bats \
		$(TOP)/tests/bats/daemon_device.bats \
		$(TOP)/tests/bats/daemon_snapshot.bats \
		$(TOP)/tests/bats/daemon_migrate.bats
	@if ls $(BUILD)/san/daemon/logs/* >/dev/null 2>&1; then \
		cat $(BUILD)/san/daemon/logs/*; exit 1; fi
	@echo "check-daemon-san: no sanitizer reports"

# libFuzzer target for vm.create's validation: a short run in check.
VMDEF_FUZZ_BIN     := $(BUILD)/fuzz/fuzz_vm_def
VMDEF_FUZZ_CORPUS  := $(BUILD)/fuzz/corpus-vm-def
VMDEF_FUZZ_SECONDS ?= 15
VMDEF_FUZZ_SRCS    := $(TOP)/daemon/vm_def.c $(TOP)/daemon/vm_device.c \
		      $(TOP)/daemon/peer_auth.c $(TOP)/daemon/log.c $(API_SRCS)

ALL_TARGETS += $(VMDEF_FUZZ_BIN)
FUZZ_RUNS   += fuzz-vm-def

$(VMDEF_FUZZ_BIN): $(TOP)/tests/daemon/fuzz_vm_def.c $(VMDEF_FUZZ_SRCS) $(DAEMON_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(JSONRPC_FUZZ_FLAGS) $(API_CPPFLAGS) -I$(TOP)/daemon -o $@ \
		$< $(VMDEF_FUZZ_SRCS) $(API_LDLIBS)

.PHONY: fuzz-vm-def
fuzz-vm-def: $(VMDEF_FUZZ_BIN)
	@mkdir -p $(VMDEF_FUZZ_CORPUS) $(SKIFF_RESULTS_DIR)
	@printf '%s' '{"name":"web-1","kernel":"/k.hvt","mem":64,"args":["a",""],"autostart":true,"device":"/dev/skiff","block":[{"name":"d","path":"/d.img"}],"net":[{"name":"n","tap":"tap0","mac":"02:00:00:00:00:01"}]}' >$(VMDEF_FUZZ_CORPUS)/full
	@printf '%s' '{"name":"a","kernel":"/k"}' >$(VMDEF_FUZZ_CORPUS)/min
	@if $(VMDEF_FUZZ_BIN) -max_total_time=$(VMDEF_FUZZ_SECONDS) -timeout=5 \
		-rss_limit_mb=1024 -max_len=4096 -print_final_stats=1 \
		$(VMDEF_FUZZ_CORPUS) >$(BUILD)/fuzz/vm_def.log 2>&1; then \
		grep -E 'stat::number_of_executed_units' $(BUILD)/fuzz/vm_def.log; \
		echo "fuzz_vm_def: 1 passed, 0 failed"; \
		echo "1 0 0" >>$(SKIFF_RESULTS_DIR)/fuzz-vm-def; \
	else \
		tail -40 $(BUILD)/fuzz/vm_def.log; \
		echo "fuzz_vm_def: 0 passed, 1 failed"; \
		echo "0 1 0" >>$(SKIFF_RESULTS_DIR)/fuzz-vm-def; \
		exit 1; \
	fi
