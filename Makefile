# SPDX-License-Identifier: ISC
#
# skiff: one Makefile for everything. Each component adds its rules in a
# fragment (<component>/<component>.mk or tests/<suite>/<suite>.mk) and
# appends to the lists below; this file only ties them together.
#
#   make              build everything into build/
#   make check        install missing dependencies, build, run every suite
#   make demo         install, build, run the main job (skiffd + skiffctl)
#   make check-unit   C unit tests under ASan+UBSan
#   make check-bats   Bats suites (real monitor, real guests) on this host
#   make check-lab    the Bats suites that need a VM device, in the lab
#   make check-mmu    MMU core property and directed tests
#   make check-kmod   skiff.ko: style, the raw-ioctl suites in the lab
#   make check-vmx    skiff.ko on Intel VMX (EPT, shadow) under Bochs: all
#   make check-vmx-subset  the part of check-vmx that make check runs
#   make check-kmod-guests  the guest and hostile Bats suites on /dev/skiff
#   make bench        benchmarks (bench/), never part of check
#   make bench-kmod   skiff.ko beside kvm_amd, in the lab (bench/kmod/)

.SUFFIXES:
.DELETE_ON_ERROR:
SHELL := /bin/bash

TOP     := $(CURDIR)
BUILD   := $(TOP)/build
BIN     := $(BUILD)/bin
OBJ     := $(BUILD)/obj
PREFIX  ?= /usr/local
DESTDIR ?=

CC      ?= gcc
ifeq ($(origin CC),default)
CC      := gcc
endif
CLANG   ?= clang
VERSION := $(shell cat $(TOP)/VERSION 2>/dev/null || echo 0.0.0)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	     -Wmissing-prototypes -Wno-unused-parameter
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE \
	       -DSKIFF_VERSION='"$(VERSION)"' -fstack-protector-strong \
	       -D_FORTIFY_SOURCE=2 -fPIE
HOST_LDFLAGS := -pie -Wl,-z,relro,-z,now
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
SAN_CFLAGS := -std=gnu11 -O1 -g $(WARN) -D_GNU_SOURCE \
	      -DSKIFF_VERSION='"$(VERSION)"' $(SAN_FLAGS)

RESULTS := $(BUILD)/results
export SKIFF_RESULTS_DIR := $(RESULTS)

# Fragments append to these.
ALL_TARGETS   :=
UNIT_RUNS     :=
MMU_RUNS      :=
FUZZ_RUNS     :=
BATS_SUITES   :=
BATS_HOST_SUITES :=
CLEAN_EXTRA   :=
INSTALL_TARGETS :=

.PHONY: all
all: build-all

# Every component's fragment: <dir>/<name>.mk and tests/<suite>/<name>.mk.
include $(sort $(wildcard */*.mk tests/*/*.mk))

.PHONY: build-all deps check check-unit check-mmu check-fuzz check-bats check-lab \
	check-bats-host check-bats-host-vm check-bats-lab demo demo-monitor clean install

build-all: $(ALL_TARGETS)

deps:
	@$(TOP)/scripts/install-deps

# The one test command: dependencies, build, every suite. The Bats
# suites that need a VM device (BATS_SUITES) run where it decides once:
# on this host if its /dev/kvm answers, else in the lab (scripts/lab).
# SKIFF_VM_SUITES=host or =lab overrides the choice.
check: deps
	@rm -rf $(BUILD)/results && mkdir -p $(BUILD)/results
	@$(MAKE) --no-print-directory build-all
	@# Every suite runs even when an earlier one fails; check fails if any did.
	@place=$$($(TOP)/scripts/vm-place) || exit 1; \
	rc=0; for suite in check-unit check-mmu check-fuzz check-kmod check-vmx-subset check-kmod-guests \
		check-bats-host check-bats-$$place; do \
		t0=$$(date +%s%N); \
		$(MAKE) --no-print-directory $$suite || { rc=1; \
			echo "make check: $$suite FAILED"; }; \
		ms=$$((($$(date +%s%N) - t0) / 1000000)); \
		echo "$$suite $$((ms / 1000)).$$((ms % 1000 / 100))" \
			>>$(RESULTS)/times; \
	done; exit $$rc

check-unit: $(UNIT_RUNS)

check-mmu: $(MMU_RUNS)

check-fuzz: $(FUZZ_RUNS)

# All Bats suites on this host, as a developer with /dev/kvm runs them.
check-bats: build-all
	@$(TOP)/scripts/run-bats $(BATS_HOST_SUITES) $(BATS_SUITES)

check-bats-host: build-all
	@$(TOP)/scripts/run-bats $(BATS_HOST_SUITES)

# The suites that need a VM device: on this host's /dev/kvm ...
check-bats-host-vm: build-all
	@mkdir -p $(RESULTS)
	@echo "on this host's /dev/kvm" >$(RESULTS)/vm-where
	@$(TOP)/scripts/run-bats $(BATS_SUITES)

# ... or in the lab: kvm_amd (NPT) under QEMU TCG, on any machine. Two
# labs side by side, one core's worth of TCG each, the daemon's suites
# in one and the rest in the other (about even in time); make's
# --output-sync prints each lab's lines whole, once it ends.
LAB_SHARD_daemon := $(foreach f,$(BATS_SUITES),\
	$(if $(filter daemon% skiffctl%,$(notdir $(f))),$(f)))
LAB_SHARD_other := $(filter-out $(LAB_SHARD_daemon),$(BATS_SUITES))

check-bats-lab check-lab: build-all
	@mkdir -p $(RESULTS)
	@echo "in the lab (kvm_amd, npt=1, QEMU TCG)" >$(RESULTS)/vm-where
	@$(MAKE) --no-print-directory -k -j2 --output-sync=target \
		lab-shard-daemon lab-shard-other

# A failure of the lab itself (124, 125) counts as one failed test.
.PHONY: lab-shard-daemon lab-shard-other
lab-shard-daemon lab-shard-other: lab-shard-%:
	@SKIFF_RESULTS_TAG=lab-$* \
		$(TOP)/scripts/lab -- $(TOP)/scripts/run-bats $(LAB_SHARD_$*) || { \
		rc=$$?; [ $$rc -lt 124 ] || echo "0 1 0" >>$(RESULTS)/lab; \
		exit $$rc; }

# The main job as users meet it: skiffd in a temporary layout, a guest run
# and attached through skiffctl, ls, info and a clean stop. demo-monitor
# shows skiff-monitor on its own.
# Where this host has no usable /dev/kvm, both say so in one line and run
# in the lab (scripts/lab), so the demo shows skiff working anyway.
demo: deps
	@$(MAKE) --no-print-directory build-all
	@$(TOP)/scripts/vm-place -- $(TOP)/scripts/demo-daemon

demo-monitor: deps
	@$(MAKE) --no-print-directory build-all
	@$(TOP)/scripts/vm-place -- $(TOP)/scripts/demo

# make install [PREFIX=/usr/local] [DESTDIR=]: binaries, units, man pages.
install: build-all $(INSTALL_TARGETS)

clean:
	rm -rf $(BUILD) $(CLEAN_EXTRA)
