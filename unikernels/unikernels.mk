# SPDX-License-Identifier: ISC
#
# Guest SDK and unikernels (issue 2). Images go to build/unikernels/,
# objects to build/obj/unikernels/.

include $(TOP)/unikernels/sdk/sdk.mk

UK_APPS  := $(TOP)/unikernels/apps
UK_TESTS := $(TOP)/unikernels/tests

$(eval $(call skiff_image,hello,$(UK_APPS)/hello))
$(eval $(call skiff_image,quiet,$(UK_APPS)/quiet))
$(eval $(call skiff_image,exit,$(UK_TESTS)/exit))
$(eval $(call skiff_image,fault,$(UK_TESTS)/fault))
$(eval $(call skiff_image,hostile,$(UK_TESTS)/hostile))
$(eval $(call skiff_image,hostile_block,$(UK_TESTS)/hostile,$(UK_TESTS)/hostile/disk.manifest))

BATS_SUITES += $(wildcard $(TOP)/tests/bats/guests.bats \
	$(TOP)/tests/bats/hostile.bats $(TOP)/tests/bats/net.bats \
	$(TOP)/tests/bats/sdk_abi.bats)
