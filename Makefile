# referee — build, test, bench, install.  GNU make.
#   make                  build libreferee.a, libreferee.so, referee
#   make test             install missing deps, build, run the whole suite
#   make demo             install missing deps, build, run the demo
#   make bench            benchmarks against named baselines
#   make SANITIZE=address,undefined test    the suite under sanitizers
#   make DEVELOPER=1      warnings are errors
#   make CUDA=0|1         CUDA replay module (default: built when nvcc exists)
#   make MPI=0|1          referee-mpi (default: built when mpicc exists)
#   make install PREFIX=/usr/local DESTDIR=
#   make man              regenerate cmd/man/*.1 from each verb's --help
#   make deb              a Debian package in $(BUILD)/ (dpkg-deb)

VERSION   := 0.1.0
SOVERSION := 0
PREFIX    ?= /usr/local
DESTDIR   ?=
LIBDIR    ?= $(PREFIX)/lib
BINDIR    ?= $(PREFIX)/bin
INCDIR    ?= $(PREFIX)/include
PKGDIR    ?= $(LIBDIR)/pkgconfig
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

PKGS      := libgit2 openssl yaml-0.1 jansson zlib libzstd libcurl
CC        ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(origin CC),default)
CC := cc
endif

SANITIZE  ?=
ifneq ($(SANITIZE),)
BUILD     ?= build-san
SANFLAGS  := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD     ?= build
SANFLAGS  :=
endif

OPT       ?= -O2
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-unused-parameter -Wformat=2 -Wno-format-truncation
ifeq ($(DEVELOPER),1)
WARN      += -Werror
endif

DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
DEP_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

# No -ffast-math and no -march: replay results must not depend on them.
CFLAGS    ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC -pthread -Iinclude -Ilib $(WARN) \
              $(DEP_CFLAGS) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS := -pthread $(SANFLAGS) $(LDFLAGS)
# libunistring (NFKC and case folding for `contamination`) has no .pc file.
LIBS      := $(DEP_LIBS) -lunistring -lm -ldl

LIB_SRC   := $(sort $(wildcard lib/*/*.c))
CMD_SRC   := $(sort $(wildcard cmd/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
HDRS      := $(wildcard include/referee/*.h) $(wildcard lib/*/*.h) $(wildcard cmd/*.h)

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ   := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

STATIC    := $(BUILD)/libreferee.a
SHARED    := $(BUILD)/libreferee.so.$(VERSION)
BIN       := $(BUILD)/referee

# CUDA replay backend: a module loaded at run time (dlopen), so referee runs
# on machines without CUDA.  Built when nvcc is found, or forced with CUDA=1.
NVCC      ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA_SRC  := $(sort $(wildcard lib/*/cuda/*.cu))
ifeq ($(CUDA),)
CUDA := $(if $(and $(NVCC),$(CUDA_SRC)),1,0)
endif
CUDA_MOD  := $(BUILD)/referee-cuda.so
NVCCFLAGS ?= -O2 -std=c++17 -Xcompiler -fPIC -Iinclude -Ilib \
             -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90
CUDA_LIBS ?= -lcublas -cudart static
# The module exports one symbol (exports.map); it finds cuBLAS through an
# rpath to nvcc's own library folder; host code is warning-checked too; PTX
# for compute_90 lets newer GPUs compile it at load time.
CUDA_LIBDIR ?= $(abspath $(dir $(NVCC))../lib64)
NVCC_EXTRA := -gencode arch=compute_90,code=compute_90 \
              -Xcompiler -fvisibility=hidden,-Wall,-Wextra,-Wno-unused-parameter \
              -Xlinker --version-script=lib/replay/cuda/exports.map \
              -L$(CUDA_LIBDIR) -Xlinker -rpath,$(CUDA_LIBDIR)
ifeq ($(DEVELOPER),1)
NVCC_EXTRA += -Werror all-warnings -Xcompiler -Werror
endif

# MPI: referee-mpi, the heavy verbs split over ranks (cmd/mpi/); built when
# mpicc (Debian OpenMPI) is found, or forced with MPI=1.
MPICC     ?= $(shell command -v mpicc 2>/dev/null)
ifeq ($(MPI),)
MPI := $(if $(MPICC),1,0)
endif
MPI_BIN   := $(BUILD)/referee-mpi

.PHONY: all lib test check unit demo bench deps install uninstall clean \
        asan usan format cuda help man deb

all: $(STATIC) $(SHARED) $(BIN) $(if $(filter 1,$(CUDA)),$(CUDA_MOD))
ifeq ($(MPI),1)
all: $(MPI_BIN)
endif

lib: $(STATIC) $(SHARED)

help:
	@sed -n '2,13p' Makefile

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DRF_VERSION='"$(VERSION)"' -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libreferee.so.$(SOVERSION) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
	ln -sf libreferee.so.$(VERSION) $(BUILD)/libreferee.so.$(SOVERSION)
	ln -sf libreferee.so.$(VERSION) $(BUILD)/libreferee.so

$(BIN): $(CMD_OBJ) $(STATIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CMD_OBJ) $(STATIC) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(STATIC) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null) \
	    -DRF_TEST_DATA='"$(CURDIR)/tests/data"' -o $@ $< $(STATIC) \
	    $(ALL_LDFLAGS) $(LIBS) $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

$(BUILD)/cmd/mpi/%.o: cmd/mpi/%.c $(HDRS) $(wildcard cmd/mpi/*.h)
	@mkdir -p $(dir $@)
	$(or $(MPICC),mpicc) $(ALL_CFLAGS) -c $< -o $@

$(MPI_BIN): $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard cmd/mpi/*.c))) $(filter-out $(BUILD)/cmd/main.o,$(CMD_OBJ)) $(STATIC)
	$(or $(MPICC),mpicc) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

cuda: $(CUDA_MOD)

$(CUDA_MOD): $(CUDA_SRC) $(HDRS) lib/replay/cuda/exports.map
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) $(NVCC_EXTRA) -shared -o $@ $(CUDA_SRC) $(CUDA_LIBS)

# The backend loader looks for the module in the install's LIBDIR too.
$(BUILD)/lib/replay/backend.o: ALL_CFLAGS += -DRF_LIBDIR='"$(LIBDIR)"'

unit: $(UNIT_BIN)

# The README's test command: install what is missing, build, run everything.
test: deps
	$(MAKE) --no-print-directory all unit
	BUILD=$(BUILD) tests/run.sh

check: test

demo: deps
	$(MAKE) --no-print-directory all
	BUILD=$(BUILD) manifests/demo.sh

bench: deps
	$(MAKE) --no-print-directory all
	BUILD=$(BUILD) tests/bench/run.sh

asan:
	$(MAKE) SANITIZE=address test
usan:
	$(MAKE) SANITIZE=undefined test

deps:
	@.ci/deps.sh

$(BUILD)/referee.pc: Makefile
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	  'Name: referee' 'Description: reproducible, peer-reviewable ML results' \
	  'Version: $(VERSION)' 'Requires.private: $(PKGS)' \
	  'Libs: -L$${libdir} -lreferee' 'Libs.private: -lunistring -lm -ldl -pthread' \
	  'Cflags: -I$${includedir}' > $@

install: all $(BUILD)/referee.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGDIR) \
	    $(DESTDIR)$(INCDIR)/referee
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/referee
	install -m 0644 $(STATIC) $(DESTDIR)$(LIBDIR)/libreferee.a
	install -m 0755 $(SHARED) $(DESTDIR)$(LIBDIR)/libreferee.so.$(VERSION)
	ln -sf libreferee.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libreferee.so.$(SOVERSION)
	ln -sf libreferee.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libreferee.so
	install -m 0644 include/referee/*.h $(DESTDIR)$(INCDIR)/referee/
	install -m 0644 $(BUILD)/referee.pc $(DESTDIR)$(PKGDIR)/referee.pc
	if [ -f $(CUDA_MOD) ]; then install -m 0755 $(CUDA_MOD) $(DESTDIR)$(LIBDIR)/referee-cuda.so; fi
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 cmd/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 cmd/completion/referee.bash $(DESTDIR)$(BASHCOMPDIR)/referee
	if [ -f $(MPI_BIN) ]; then install -m 0755 $(MPI_BIN) $(DESTDIR)$(BINDIR)/referee-mpi; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/referee $(DESTDIR)$(BINDIR)/referee-mpi $(DESTDIR)$(LIBDIR)/libreferee.a \
	      $(DESTDIR)$(LIBDIR)/libreferee.so $(DESTDIR)$(LIBDIR)/libreferee.so.$(SOVERSION) \
	      $(DESTDIR)$(LIBDIR)/libreferee.so.$(VERSION) $(DESTDIR)$(PKGDIR)/referee.pc \
	      $(DESTDIR)$(LIBDIR)/referee-cuda.so
	rm -rf $(DESTDIR)$(INCDIR)/referee
	rm -f $(DESTDIR)$(MANDIR)/man1/referee.1 $(DESTDIR)$(MANDIR)/man1/referee-*.1 \
	      $(DESTDIR)$(BASHCOMPDIR)/referee

# The man pages are kept in the repository, generated from each verb's
# --help; tests/cli/test_man.sh fails when they drift.
man: $(BIN)
	cmd/man/generate.sh $(BIN) cmd/man

# A Debian package of the install (binary, libraries, headers, .pc, man
# pages, completion) for PREFIX=/usr; .ci/deb.sh writes the control file.
deb:
	rm -rf $(BUILD)/deb
	$(MAKE) --no-print-directory install PREFIX=/usr LIBDIR=/usr/lib DESTDIR=$(CURDIR)/$(BUILD)/deb/root
	.ci/deb.sh $(BUILD)/deb/root $(VERSION) $(BUILD)

format:
	clang-format -i $(LIB_SRC) $(CMD_SRC) $(UNIT_SRC) $(HDRS)

clean:
	rm -rf build build-san build-fuzz

# Fuzzing (issue 11): libFuzzer harnesses in tests/fuzz/, built with clang
# under ASan+UBSan against a libreferee of their own; each runs for
# FUZZ_SECONDS on a copy of its seed corpus (tests/fuzz/corpus/<harness>);
# crashes land in $(FUZZ_BUILD)/artifacts/.  make fuzz FUZZ=dsse runs one.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   ?= build-fuzz
FUZZ         ?=
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/fuzz/%)

.PHONY: fuzz fuzz-build
fuzz-build:
	$(MAKE) --no-print-directory CC=$(FUZZ_CC) BUILD=$(FUZZ_BUILD) CUDA=0 \
	    SANITIZE=address,undefined CFLAGS='-O1 -g -fsanitize=fuzzer-no-link' lib
	$(MAKE) --no-print-directory $(FUZZ_BIN)

$(FUZZ_BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_BUILD)/libreferee.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -Iinclude -Ilib $(DEP_CFLAGS) -O1 -g \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o $@ $< $(FUZZ_BUILD)/libreferee.a $(LIBS) -pthread

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ)
