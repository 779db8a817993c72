# SPDX-License-Identifier: ISC
#
# skiff.ko's tests. kmod/ is checkpatch-clean (W=1 and sparse already
# fail its build); the raw-ioctl suite drives /dev/skiff in the lab,
# where the module can be loaded, and the same checks run against the
# lab's /dev/kvm (kvm_amd) so the two are seen to agree. After them,
# ioctl_fuzz sends random ioctls to /dev/skiff for a fixed time, and the
# kernel log check covers it too.

RAW_IOCTL  := $(BUILD)/tests/kmod/raw_ioctl
RAW_VCPU   := $(BUILD)/tests/kmod/raw_vcpu
IOCTL_FUZZ := $(BUILD)/tests/kmod/ioctl_fuzz
MONITOR_DIRTY := $(BUILD)/tests/kmod/monitor_dirty

TEST_EMULATE := $(BUILD)/tests/kmod/test_emulate

ALL_TARGETS += $(RAW_IOCTL) $(RAW_VCPU) $(IOCTL_FUZZ) $(TEST_EMULATE) \
	$(MONITOR_DIRTY)
UNIT_RUNS   += unit-run-kmod-emulate

# The decoder (kmod/core/emulate.c) is portable like kmod/mmu: it is
# unit-tested in userspace with the other cores (make check-unit).
$(TEST_EMULATE): tests/kmod/test_emulate.c kmod/core/emulate.c \
		kmod/core/emulate.h kmod/mmu/mmu_types.h tests/lib/test_harness.h
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ tests/kmod/test_emulate.c kmod/core/emulate.c

.PHONY: unit-run-kmod-emulate
unit-run-kmod-emulate: $(TEST_EMULATE)
	@mkdir -p $(RESULTS)
	SKIFF_RESULTS=$(RESULTS)/unit-kmod-emulate $<

$(BUILD)/tests/kmod/raw_%: tests/kmod/raw_%.c tests/kmod/raw.h \
		tests/lib/test_harness.h
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ $<

# The monitor's dirty tracking on a device (docs/migration.md): the
# monitor's own objects, sanitized, as the unit tests link them. It runs
# with the raw suites, on /dev/skiff and /dev/kvm, in both paging modes.
MONITOR_DIRTY_OBJS := $(filter-out %/main.o,$(MONITOR_SAN_OBJS)) $(API_SAN_OBJS) \
	$(MIGRATION_SAN_OBJS)

$(MONITOR_DIRTY): tests/kmod/monitor_dirty.c $(MONITOR_DIRTY_OBJS) \
		tests/lib/test_harness.h $(MONITOR_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(MONITOR_CPPFLAGS) -Itests/lib -o $@ $< \
		$(MONITOR_DIRTY_OBJS) $(MONITOR_LIBS)

$(IOCTL_FUZZ): tests/kmod/ioctl_fuzz.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ $<

# Seconds of ioctl_fuzz per paging mode (more for a longer fuzz:
# KMOD_FUZZ_SECONDS=600 make check-kmod); and of each whole lab run,
# for a lab that freezes, which nothing inside it can time (a fuzzed
# guest once froze QEMU's TCG: see efer_lme_cleared in ioctl_fuzz.c).
KMOD_FUZZ_SECONDS ?= 15
KMOD_LAB_TIMEOUT ?= 600

# The monitor's guest, hostile and page-table torture suites on
# /dev/skiff, with the same expected output and status as on /dev/kvm
# (make check runs both), and skiffd running a VM there.
KMOD_BATS := $(TOP)/tests/bats/guests.bats $(TOP)/tests/bats/hostile.bats \
	$(TOP)/tests/bats/torture.bats $(TOP)/tests/bats/kmod_daemon.bats \
	$(TOP)/tests/bats/monitor_snapshot.bats \
	$(TOP)/tests/bats/monitor_migrate.bats \
	$(TOP)/tests/bats/monitor_churn.bats \
	$(TOP)/tests/bats/monitor_migrate_devices.bats
# Not monitor_faults.bats: the fault matrix tests the monitors' protocol,
# which is the same on every device; the device's part of a migration
# (dirty logging) is what monitor_churn and monitor_migrate check here.
# It runs once, with the VM suites (BATS_SUITES).

.PHONY: check-kmod check-kmod-guests kmod-style
kmod-style:
	@mkdir -p $(RESULTS)
	@if $(TOP)/scripts/checkpatch kmod/core/*.[ch] kmod/svm/*.[chS] kmod/vmx/*.[chS]; then \
		echo "ok - kmod-style: checkpatch"; echo "1 0 0" >>$(RESULTS)/kmod; \
	else echo "not ok - kmod-style: checkpatch"; echo "0 1 0" >>$(RESULTS)/kmod; \
		exit 1; fi

# Both paging modes of skiff.ko: nested (npt=1) and shadow (npt=0).
KMOD_NPT := 1 0

# A failure of the lab itself (124, 125) counts as one failed test.
# kmod_lab_suite FUZZ: lab-suite in the lab for each paging mode, with
# the ioctl fuzzer (FUZZ=1) or without (for a run of the rest alone).
define kmod_lab_suite
	@rc=0; for npt in $(KMOD_NPT); do \
		$(TOP)/scripts/lab --timeout $(KMOD_LAB_TIMEOUT) \
			--module $(KMOD):npt=$$npt -- \
			env SKIFF_RESULTS=$(RESULTS)/kmod \
			SKIFF_MONITOR=$(BIN)/skiff-monitor SKIFF_GUEST_DIR=$(GUEST_OUT) \
			SKIFF_FUZZ_SECONDS=$(KMOD_FUZZ_SECONDS) \
			$(TOP)/tests/kmod/lab-suite $(if $(1),--fuzz $(IOCTL_FUZZ)) \
			$(RAW_IOCTL) $(RAW_VCPU) $(MONITOR_DIRTY) || { \
			r=$$?; rc=1; [ $$r -lt 124 ] || echo "0 1 0" >>$(RESULTS)/kmod; }; \
	done; exit $$rc
endef

check-kmod: kmod-style build-all $(KMOD) $(RAW_IOCTL) $(RAW_VCPU) $(IOCTL_FUZZ) \
		$(MONITOR_DIRTY)
	$(call kmod_lab_suite,1)

# A stuck guest suite ends the lab, not the whole of make check.
KMOD_GUESTS_TIMEOUT ?= 1800

# The two paging modes run side by side, a lab (one QEMU, one core's
# worth of TCG) each: on two cores this halves the suite's time. make's
# --output-sync prints each mode's lines whole, once it ends.
check-kmod-guests: build-all $(KMOD)
	@$(MAKE) --no-print-directory -k -j2 --output-sync=target \
		$(addprefix kmod-guests-npt,$(KMOD_NPT))

.PHONY: $(addprefix kmod-guests-npt,$(KMOD_NPT))
$(addprefix kmod-guests-npt,$(KMOD_NPT)): kmod-guests-npt%:
	@SKIFF_KVM=/dev/skiff SKIFF_KMOD_PARAMS=npt=$* SKIFF_RESULTS_TAG=kmod-npt$* \
		$(TOP)/scripts/lab --timeout $(KMOD_GUESTS_TIMEOUT) \
			--module $(KMOD):npt=$* -- \
			$(TOP)/scripts/run-bats $(KMOD_BATS) || { \
			r=$$?; [ $$r -lt 124 ] || echo "0 1 0" >>$(RESULTS)/kmod; \
			exit 1; }

# The VMX backend in the Bochs lab (scripts/lab --bochs: an Intel CPU
# with VMX and EPT, docs/testing.md). Bochs is slow (a boot is ~60-90 s)
# and single-threaded: the two paging modes of KMOD_VMX_TDP (EPT, tdp=1,
# and shadow paging, tdp=0) run side by side, a Bochs each, and each
# mode runs everything in one boot (tests/kmod/lab-suite): the raw
# suites and monitor_dirty on /dev/skiff (there is no /dev/kvm), the
# monitor's Bats suites on /dev/skiff, ioctl_fuzz if asked, then rmmod
# and the kernel log check.
#   make check-vmx         the whole set: KMOD_VMX_BATS_ALL and the fuzzer
#   make check-vmx-subset  what make check runs: the suites issue 10
#                          names (raw, dirty log, SDK, hostile, torture)
# Bochs has no 9p: KMOD_VMX_FILES are packed into its initramfs, Bats
# and the GNU tools the suites use (busybox's date has no %N) with them.
# The TAP lines of a mode are its counts, into $(RESULTS)/kmod-vmx (Bats'
# own count files stay in the lab's RAM); a failure of the lab itself
# (124, 125) counts as one failed test. The log of mode N is
# $(BUILD)/kmod-vmx/tdpN.log.
# ioctl_fuzz runs for KMOD_VMX_FUZZ_SECONDS of the guest's clock, which
# under Bochs runs ~15 times slower than the wall's (3 s: ~3.5 minutes).
KMOD_VMX_TIMEOUT ?= 2400
KMOD_VMX_FUZZ_SECONDS ?= 3
KMOD_VMX_SUITES := $(RAW_IOCTL) $(RAW_VCPU) $(MONITOR_DIRTY)
KMOD_VMX_TDP ?= 1 0
KMOD_VMX_BATS_SUBSET := guests hostile torture
# Not kmod_daemon (it needs /dev/kvm beside /dev/skiff), nor
# monitor_migrate_devices (tap devices in network namespaces: the Bochs
# lab loads no tun or iproute2), nor monitor_churn: its guest lives
# 130 s of the lab's clock, over half an hour of Bochs; monitor_dirty
# and monitor_migrate check VMX's dirty log.
KMOD_VMX_BATS_ALL := $(KMOD_VMX_BATS_SUBSET) monitor_snapshot monitor_migrate
KMOD_VMX_BATS ?= $(KMOD_VMX_BATS_ALL)
# Recursive (=): GUEST_OUT comes from a .mk included after this one.
KMOD_VMX_FILES = /usr/bin/bats /usr/lib/bats-core /usr/libexec/bats-core \
	/usr/lib/bats /usr/bin/env /usr/bin/date /usr/bin/nm /usr/bin/readelf \
	$(TOP)/scripts/run-bats $(TOP)/tests/bats $(BIN)/skiff-monitor \
	$(GUEST_OUT) $(BUILD)/tests/tools

.PHONY: check-vmx check-vmx-subset $(addprefix kmod-vmx-tdp,$(KMOD_VMX_TDP))
check-vmx: build-all $(KMOD) $(KMOD_VMX_SUITES) $(IOCTL_FUZZ)
	@$(MAKE) --no-print-directory -k -j2 --output-sync=target \
		$(addprefix kmod-vmx-tdp,$(KMOD_VMX_TDP))

check-vmx-subset: build-all $(KMOD) $(KMOD_VMX_SUITES)
	@$(MAKE) --no-print-directory -k -j2 --output-sync=target \
		KMOD_VMX_BATS="$(KMOD_VMX_BATS_SUBSET)" KMOD_VMX_FUZZ_SECONDS=0 \
		$(addprefix kmod-vmx-tdp,$(KMOD_VMX_TDP))

$(addprefix kmod-vmx-tdp,$(KMOD_VMX_TDP)): kmod-vmx-tdp%:
	@mkdir -p $(RESULTS) $(BUILD)/kmod-vmx
	@log=$(BUILD)/kmod-vmx/tdp$*.log; \
	{ $(TOP)/scripts/lab --bochs --mem 1024 --timeout $(KMOD_VMX_TIMEOUT) \
		--module $(KMOD):tdp=$* --file $(TOP)/tests/kmod/lab-suite \
		$(addprefix --file ,$(KMOD_VMX_FILES)) -- \
		env SKIFF_FUZZ_SECONDS=$(KMOD_VMX_FUZZ_SECONDS) \
		SKIFF_KMOD_PARAMS=tdp=$* \
		$(TOP)/tests/kmod/lab-suite \
		$(if $(filter-out 0,$(KMOD_VMX_FUZZ_SECONDS)),--fuzz $(IOCTL_FUZZ)) \
		$(foreach b,$(KMOD_VMX_BATS),--bats $(TOP)/tests/bats/$(b).bats) \
		$(KMOD_VMX_SUITES); \
		echo $$? >$$log.rc; } >$$log 2>&1; \
	cat $$log; r=$$(cat $$log.rc); \
	s=$$(grep -c '^ok .*# skip' $$log); \
	p=$$(($$(grep -c '^ok ' $$log) - s)); f=$$(grep -c '^not ok ' $$log); \
	[ $$r -lt 124 ] || f=$$((f + 1)); \
	echo "$$p $$f $$s" >>$(RESULTS)/kmod-vmx; \
	echo "check-vmx tdp=$*: $$p passed, $$f failed, $$s skipped"; \
	[ $$r -eq 0 ] && [ $$f -eq 0 ] && [ $$s -eq 0 ]
