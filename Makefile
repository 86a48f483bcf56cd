# SPDX-License-Identifier: GPL-2.0-only
#
# User-facing entry points. Kbuild itself reads ./Kbuild, never this file.
#
#   make                  build vmmem.ko for KERNELRELEASE (default: uname -r)
#   make KDIR=<dir>       build against the kernel build tree in <dir>
#   make check            every test lane (installs what it needs as root)
#   make bench            benchmark ratios, measured in UML
#   make clean            remove build products from the source tree

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build

.PHONY: all modules clean check bench

all: modules

modules:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "vmmem: no kernel build tree at $(KDIR)" >&2; \
		echo "vmmem: install the headers package for $(KERNELRELEASE) (Debian: apt-get install linux-headers-$(KERNELRELEASE))," >&2; \
		echo "vmmem: or set KDIR to a configured kernel build tree: make KDIR=/path/to/build" >&2; \
		exit 1; \
	fi
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

clean:
	rm -rf *.o *.ko *.mod *.mod.c *.mod.o .*.cmd .*.o.d .module-common.o \
		Module.symvers modules.order \
		.tmp_versions vmmem/*.o vmmem/.*.cmd vmmem/.*.o.d \
		kunit/*.o kunit/.*.cmd kunit/.*.o.d

check:
	@scripts/check.sh

bench:
	@scripts/bench.sh
