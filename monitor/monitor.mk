# SPDX-License-Identifier: ISC
# skiff-monitor: filled in by the monitor work (issue 2).
