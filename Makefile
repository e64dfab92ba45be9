# casefile: the two commands a newcomer needs are `make demo` and `make test`.
#   make          build everything (programs in build/bin/)
#   make test     install what is missing, build, run every test under ASan+UBSan (build-san/)
#   make demo     the whole story on this machine against a local AWS (moto)
#   make bench    benchmarks side by side with the tools a responder would use instead
#                 (BENCH="agent disk" runs only those; results in bench/out/)
#   make format   apply clang-format;  make check-format: fail on unformatted files
#   make fuzz     build the libFuzzer targets (clang) and run each for FUZZ_SECONDS
BUILD ?= build
SAN_BUILD ?= build-san
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
CMAKE_FLAGS ?=
CTEST_FLAGS ?=

.PHONY: all setup build test test-fast demo bench format check-format fuzz clean

all: build

setup:
	@scripts/setup.sh --quiet

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCF_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The test suite runs in a sanitizer build; the release build (programs only) is built too, because
# the static agent, the demo and some tests use the programs from build/bin.
test: build check-format
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCF_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	@cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  CF_RELEASE_BIN_DIR=$(CURDIR)/$(BUILD)/bin \
	  ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

# Without sanitizers: quicker while developing.
test-fast: build
	@cmake -S . -B build-fast -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-fast -j $(JOBS)
	@cd build-fast && CF_RELEASE_BIN_DIR=$(CURDIR)/$(BUILD)/bin ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

demo: build
	@if [ -x demo/run ]; then demo/run; else echo "make demo: the demo is not built yet (issue #7)"; exit 3; fi

# Benchmarks use the release programs in build/bin; the AWS and report benches also need helper
# programs built with the tests, so they get an optimised build with tests in build-bench/.
bench: build
	@cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-bench -j $(JOBS) --target aws_bench report_fixture casefile cf_aws cf_common
	@BUILD=$(CURDIR)/build-bench CF_BUILD_DIR=$(CURDIR)/build-bench CF_RELEASE_BIN_DIR=$(CURDIR)/$(BUILD)/bin \
	  CF_BIN_DIR=$(CURDIR)/$(BUILD)/bin bench/run $(BENCH)

format:
	@git ls-files '*.c' '*.h' | xargs -r clang-format -i

check-format:
	@bad=$$(git ls-files '*.c' '*.h' | while read -r f; do [ -f "$$f" ] && ! clang-format --dry-run -Werror "$$f" >/dev/null 2>&1 && echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "not formatted (run 'make format'):"; echo "$$bad"; exit 1; fi

fuzz: setup
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCF_FUZZ=ON -DCF_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@fuzz/run build-fuzz/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) build-fuzz
