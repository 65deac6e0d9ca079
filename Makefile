# bmsrig: the two commands of the README's quick start, and a few conveniences.
#   make demo    the main job (see README)
#   make check   install what is missing, build from scratch if needed, run every test

BUILD ?= build
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build demo check fuzz fuzz-smoke clean

all: build

deps:
	@sh scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DBUILD_TESTING=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# The whole scenario library on the virtual target: summary on screen, reports and traces in out/.
demo: build
	mkdir -p out
	$(BUILD)/rig/bmsrig run -j $(JOBS) --junit out/junit.xml --json out/report.json --trace out/traces --html out/html scripts; rc=$$?; echo "HTML report: $$(pwd)/out/html/index.html"; exit $$rc

# The fuzz smoke run goes first so that CTest's summary is the last thing printed.
check: build fuzz-smoke
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# libFuzzer targets, built with clang in their own tree.
fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DBMSRIG_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# A short, bounded run of every fuzz target over the bundled recordings (ASan + UBSan).
fuzz-smoke: fuzz
	sh tests/fuzz/run-smoke $(FUZZ_BUILD)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
