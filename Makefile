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
#   make check-bats   Bats suites (real monitor, real guests)
#   make check-mmu    MMU core property and directed tests
#   make bench        benchmarks (bench/), never part of check

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
CLEAN_EXTRA   :=
INSTALL_TARGETS :=

.PHONY: all
all: build-all

# Every component's fragment: <dir>/<name>.mk and tests/<suite>/<name>.mk.
include $(sort $(wildcard */*.mk tests/*/*.mk))

.PHONY: build-all deps check check-unit check-mmu check-fuzz check-bats demo demo-monitor \
	clean install

build-all: $(ALL_TARGETS)

deps:
	@$(TOP)/scripts/install-deps

# The one test command: dependencies, build, every suite.
check: deps
	@rm -rf $(BUILD)/results && mkdir -p $(BUILD)/results
	@$(MAKE) --no-print-directory build-all
	@# Every suite runs even when an earlier one fails; check fails if any did.
	@rc=0; for suite in check-unit check-mmu check-fuzz check-bats; do \
		$(MAKE) --no-print-directory $$suite || { rc=1; \
			echo "make check: $$suite FAILED"; }; \
	done; exit $$rc

check-unit: $(UNIT_RUNS)

check-mmu: $(MMU_RUNS)

check-fuzz: $(FUZZ_RUNS)

check-bats: build-all
	@$(TOP)/scripts/run-bats $(BATS_SUITES)

# The main job as users meet it: skiffd in a temporary layout, a guest run
# and attached through skiffctl, ls, info and a clean stop. demo-monitor
# shows skiff-monitor on its own.
demo: deps
	@$(MAKE) --no-print-directory build-all
	@$(TOP)/scripts/demo-daemon

demo-monitor: deps
	@$(MAKE) --no-print-directory build-all
	@$(TOP)/scripts/demo

# make install [PREFIX=/usr/local] [DESTDIR=]: binaries, units, man pages.
install: build-all $(INSTALL_TARGETS)

clean:
	rm -rf $(BUILD) $(CLEAN_EXTRA)
