# SPDX-License-Identifier: ISC
#
# The lab: a QEMU TCG machine with SVM+NPT and Debian's kvm_amd, where
# the suites that need /dev/kvm run on hosts without one (scripts/lab,
# docs/testing.md). kvm-probe says whether a device answers; make check
# asks it once about this host's /dev/kvm, and the lab's /init about its
# own.

LAB_PROBE := $(BUILD)/lab/kvm-probe

ALL_TARGETS += $(LAB_PROBE)

$(LAB_PROBE): tests/lab/kvm_probe.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 $(WARN) -static -o $@ $<

# The lab's own Bats suite: it boots the lab, so it needs no /dev/kvm of
# the host's and runs on the host in every case.
BATS_HOST_SUITES += $(TOP)/tests/bats/lab.bats
