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
$(eval $(call skiff_image,counter,$(UK_APPS)/counter))
$(eval $(call skiff_image,net,$(UK_APPS)/net))
$(eval $(call skiff_image,bench_hypercall,$(UK_APPS)/bench_hypercall))
$(eval $(call skiff_image,spin,$(UK_TESTS)/spin))
$(eval $(call skiff_image,time,$(UK_TESTS)/time))
$(eval $(call skiff_image,bigout,$(UK_TESTS)/bigout))
$(eval $(call skiff_image,memory,$(UK_TESTS)/memory))
$(eval $(call skiff_image,churn,$(UK_TESTS)/churn))
$(eval $(call skiff_image,block,$(UK_TESTS)/block))
$(eval $(call skiff_image,blocklog,$(UK_TESTS)/blocklog))
$(eval $(call skiff_image,torture,$(UK_TESTS)/torture))
# The one guest allowed SSE: it tests the FPU on purpose.
$(eval $(call skiff_image,fpu,$(UK_TESTS)/fpu,,$(SDK_FPU_CFLAGS)))
# Solo5's own program-header layout, to prove foreign layouts load.
$(eval $(call skiff_image,solo5_layout,$(UK_TESTS)/solo5_layout,,,$(UK_TESTS)/solo5_layout/solo5.lds))

# tiny: no SDK, no C; its own hand-written notes and a single segment.
TINY_DIR := $(UK_TESTS)/tiny
$(OBJ)/unikernels/tiny/tiny.o: $(TINY_DIR)/tiny.S
	@mkdir -p $(@D)
	$(CC) -c -o $@ $<

$(GUEST_OUT)/tiny.hvt: $(OBJ)/unikernels/tiny/tiny.o $(TINY_DIR)/tiny.lds
	@mkdir -p $(@D)
	$(CC) $(SDK_LDFLAGS) -T $(TINY_DIR)/tiny.lds -o $@ $<

ALL_TARGETS += $(GUEST_OUT)/tiny.hvt

BATS_SUITES += $(wildcard $(TOP)/tests/bats/guests.bats \
	$(TOP)/tests/bats/hostile.bats $(TOP)/tests/bats/net.bats \
	$(TOP)/tests/bats/torture.bats)
# Reads images only: no VM device.
BATS_HOST_SUITES += $(TOP)/tests/bats/sdk_abi.bats
