# SPDX-License-Identifier: GPL-2.0
#
# skiff.ko, built with kbuild against Debian's linux-headers-amd64 for
# the newest kernel in /boot (the one the lab boots; never uname -r).
# kbuild runs from a tree of links in build/kmod so that no object lands
# in kmod/; W=1 and sparse (-Wsparse-error) fail the build on findings.
#
#   make kmod         build build/kmod/skiff.ko
#   make check-kmod   checkpatch on kmod/core, the raw-ioctl suite in the lab

KMOD_KVER  := $(shell find /boot -maxdepth 1 -name 'vmlinuz-*-amd64' \
		-printf '%f\n' 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | \
		tail -n 1)
KMOD_KDIR  := /lib/modules/$(KMOD_KVER)/build
KMOD_OUT   := $(BUILD)/kmod
KMOD       := $(KMOD_OUT)/skiff.ko
KMOD_SRCS  := kmod/Kbuild $(wildcard kmod/core/*.[ch] kmod/svm/*.[chS] kmod/vmx/*.[chS] \
		kmod/mmu/*.[ch])

ALL_TARGETS += $(KMOD)

.PHONY: kmod
kmod: $(KMOD)

$(KMOD): $(KMOD_SRCS)
	@if [ ! -d "$(KMOD_KDIR)" ]; then \
		echo "kmod: no kernel headers at $(KMOD_KDIR) (scripts/install-deps installs linux-headers-amd64)" >&2; \
		exit 1; fi
	@rm -rf $(KMOD_OUT) && mkdir -p $(KMOD_OUT)
	@cp -as $(TOP)/kmod/. $(KMOD_OUT)/
	$(MAKE) -s -C $(KMOD_KDIR) M=$(KMOD_OUT) W=1 C=2 CHECK=sparse \
		CF=-Wsparse-error modules 2>&1 | { grep -v 'Skipping BTF' || true; }; \
		test -f $@
