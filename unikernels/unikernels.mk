# SPDX-License-Identifier: ISC
# Guest SDK and unikernels: filled in by the SDK work (issue 2).
