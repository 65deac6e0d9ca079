# bmsrig: the two commands of the README's quick start, and a few conveniences.
#   make demo    the main job (see README)
#   make check   install what is missing, build from scratch if needed, run every test

BUILD ?= build
FUZZ_BUILD ?= build-fuzz
RELEASE_BUILD ?= build-release
CLANG_BUILD ?= build-clang
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

PREFIX ?= /usr/local

.PHONY: all deps build build-variants demo check fuzz fuzz-smoke install clean

all: build

deps:
	@sh scripts/install-deps

# Warnings are errors here (developers and CI); a plain cmake build leaves BMSRIG_WERROR off.
build: deps
	cmake -S . -B $(BUILD) -DBUILD_TESTING=ON -DBMSRIG_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# Compile only, warnings as errors: an optimised gcc build (-O3 finds maybe-uninitialized paths
# the default build does not) and a clang build, each in its own tree, so both keep compiling.
build-variants: deps
	cmake -S . -B $(RELEASE_BUILD) -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON -DBMSRIG_WERROR=ON
	cmake --build $(RELEASE_BUILD) -j $(JOBS)
	CC=clang cmake -S . -B $(CLANG_BUILD) -DBUILD_TESTING=ON -DBMSRIG_WERROR=ON
	cmake --build $(CLANG_BUILD) -j $(JOBS)

# The whole scenario library on the virtual target: summary on screen, reports and traces in out/.
demo: build
	mkdir -p out
	$(BUILD)/rig/bmsrig run -j $(JOBS) --junit out/junit.xml --json out/report.json --trace out/traces --html out/html scripts; rc=$$?; echo "HTML report: $$(pwd)/out/html/index.html"; exit $$rc

# The fuzz smoke run goes first so that CTest's summary is the last thing printed.
check: build build-variants fuzz-smoke
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# libFuzzer targets, built with clang in their own tree.
fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DBMSRIG_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# A short, bounded run of every fuzz target over the bundled recordings (ASan + UBSan).
fuzz-smoke: fuzz
	sh tests/fuzz/run-smoke $(FUZZ_BUILD)

# Installs into PREFIX (DESTDIR=... stages it); docs/install.md has the layout.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(RELEASE_BUILD) $(CLANG_BUILD)
