# SPDX-License-Identifier: GPL-2.0-only
#
# User-facing entry points. Kbuild itself reads ./Kbuild, never this file.
#
#   make                  build vmmem.ko for KERNELRELEASE (default: uname -r)
#   make KDIR=<dir>       build against the kernel build tree in <dir>
#   make install          install vmmem.ko (modules_install + depmod), its
#                         header and Module.symvers for consumer modules
#   make install DESTDIR=<dir>
#                         stage the same files under <dir>, without depmod
#   make dkms-install     copy the sources to /usr/src/vmmem-<version> and
#                         dkms add/build/install them for KERNELRELEASE
#   make uninstall, make dkms-uninstall
#                         undo either
#   make demo             boot Debian's 6.12 kernel in QEMU, load vmmem and
#                         the sample backend, run the test VMM, report
#   make check            every test lane (installs what it needs as root)
#   make bench            benchmark ratios, measured in UML (and the vDPA
#                         device against vdpa_sim_blk in QEMU)
#   make clean            remove build products from the source tree

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
# Where consumer modules find vmmem's header and exports after make install:
#   ccflags-y += -I$(VMMEM_DEVDIR)/include
#   KBUILD_EXTRA_SYMBOLS := $(VMMEM_DEVDIR)/Module.symvers
VMMEM_DEVDIR = /usr/lib/vmmem/$(KERNELRELEASE)
INSTALL_MOD_DIR ?= extra
DKMS_SRC = /usr/src/vmmem-$(VERSION)

.PHONY: all modules clean check bench install uninstall dkms-install \
	dkms-uninstall demo

all: modules

modules:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "vmmem: no kernel build tree at $(KDIR)" >&2; \
		echo "vmmem: install the headers package for $(KERNELRELEASE) (Debian: apt-get install linux-headers-$(KERNELRELEASE))," >&2; \
		echo "vmmem: or set KDIR to a configured kernel build tree: make KDIR=/path/to/build" >&2; \
		exit 1; \
	fi
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

# depmod only for a real install: a staged tree (DESTDIR) is someone else's
# to index, and depmod there would need the kernel's full module tree. The
# module is installed unsigned: distribution kernels ship no signing key in
# their headers (DKMS signs with its own key where one is set up).
install: modules
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" INSTALL_MOD_PATH="$(DESTDIR)" \
		INSTALL_MOD_DIR="$(INSTALL_MOD_DIR)" DEPMOD=true \
		CONFIG_MODULE_SIG_ALL= modules_install
	install -D -m 644 include/linux/vmmem.h "$(DESTDIR)$(VMMEM_DEVDIR)/include/linux/vmmem.h"
	install -D -m 644 Module.symvers "$(DESTDIR)$(VMMEM_DEVDIR)/Module.symvers"
	@if [ -z "$(DESTDIR)" ]; then echo "depmod -a $(KERNELRELEASE)"; depmod -a "$(KERNELRELEASE)"; fi

# The DKMS source tree holds what Kbuild needs and nothing else; tests,
# samples and scripts other than the POST_BUILD hook stay here.
dkms-install:
	-dkms remove -m vmmem -v "$(VERSION)" --all >/dev/null 2>&1
	rm -rf "$(DKMS_SRC)"
	install -d "$(DKMS_SRC)/scripts"
	cp -R Kbuild Kconfig dkms.conf include vmmem "$(DKMS_SRC)/"
	install -m 755 scripts/dkms-keep-symvers.sh "$(DKMS_SRC)/scripts/"
	@# A copy from make install would make DKMS refuse its own (same version).
	rm -f /lib/modules/"$(KERNELRELEASE)"/$(INSTALL_MOD_DIR)/vmmem.ko*
	dkms add -m vmmem -v "$(VERSION)"
	dkms build -m vmmem -v "$(VERSION)" -k "$(KERNELRELEASE)"
	dkms install -m vmmem -v "$(VERSION)" -k "$(KERNELRELEASE)"

uninstall:
	rm -f /lib/modules/"$(KERNELRELEASE)"/$(INSTALL_MOD_DIR)/vmmem.ko*
	rm -rf "$(VMMEM_DEVDIR)"
	depmod -a "$(KERNELRELEASE)"

dkms-uninstall:
	-dkms remove -m vmmem -v "$(VERSION)" --all
	rm -rf "$(DKMS_SRC)"

demo:
	@scripts/demo.sh

clean:
	rm -rf *.o *.ko *.mod *.mod.c *.mod.o .*.cmd .*.o.d .module-common.o \
		Module.symvers modules.order \
		.tmp_versions vmmem/*.o vmmem/.*.cmd vmmem/.*.o.d \
		kunit/*.o kunit/.*.cmd kunit/.*.o.d

check:
	@scripts/check.sh

bench:
	@scripts/bench.sh
