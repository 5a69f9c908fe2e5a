# synack: the two commands a newcomer needs are `make demo` and `make test`.
# Each installs missing Debian packages (scripts/install-deps.sh) and rebuilds
# only what is stale.

BUILD        ?= build
ASAN_BUILD   ?= build-asan
FUZZ_BUILD   ?= build-fuzz
BENCH_BUILD  ?= build-bench
FUZZ_SECONDS ?= 30
FUZZ_MERGE   ?= 0
JOBS         ?= $(shell nproc)
# Seeds for the randomised simulation under the sanitizers (slower there).
ASAN_SIM_SEEDS ?= 200

.PHONY: all deps build demo test asan-test fuzz bench format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNACK_BENCH=OFF

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	./$(BUILD)/synack demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Unit, script and simulation tests under AddressSanitizer + UBSan.
asan-test: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSYNACK_SANITIZE=ON -DSYNACK_BENCH=OFF
	ninja -C $(ASAN_BUILD)
	cd $(ASAN_BUILD) && SYNACK_SIM_SEEDS=$(ASAN_SIM_SEEDS) ASAN_OPTIONS=detect_leaks=1 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|script|sim'

# Every libFuzzer target for FUZZ_SECONDS each, one after another, seeded
# from the committed corpus in fuzz/corpus (read only; new inputs go to a
# scratch directory). FUZZ_MERGE=1 then minimises the corpus plus what the run
# found back into fuzz/corpus (commit the result).
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSYNACK_FUZZ=ON -DSYNACK_TESTS=OFF -DSYNACK_BENCH=OFF
	ninja -C $(FUZZ_BUILD)
	FUZZ_MERGE=$(FUZZ_MERGE) scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: deps
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DSYNACK_TESTS=OFF -DSYNACK_BENCH=ON
	ninja -C $(BENCH_BUILD)
	bench/run_lifecycle.sh $(BENCH_BUILD)
	bench/run_syn_flood.sh $(BENCH_BUILD)
	@# Memory per connection end: synack beside the kernel's slab, 10,000
	@# connections each; then synack alone with 1,000,000.
	bench/run_memory.sh $(BENCH_BUILD)
	@# The Internet checksum (sum alone, and fused with the copy) beside memcpy.
	$(if $(shell command -v taskset),taskset -c $$(($$(nproc) - 1))) ./$(BENCH_BUILD)/bench_checksum
	@# One connection's bulk goodput in memory, on one pinned core, beside memcpy.
	$(if $(shell command -v taskset),taskset -c $$(($$(nproc) - 1))) ./$(BENCH_BUILD)/bench_stream
	@# HTTP requests per second on one pinned core: HTTP/1.1 and HTTP/2 sans-IO,
	@# and HTTP/1.1 keep-alive through two synack stacks in memory (p50/p99).
	$(if $(shell command -v taskset),taskset -c $$(($$(nproc) - 1))) ./$(BENCH_BUILD)/bench_http
	@# synack <-> Linux over TUN beside Linux <-> Linux over veth (root only).
	@if [ "$$(id -u)" -eq 0 ]; then bench/tun_throughput.py $(BENCH_BUILD)/synack; \
	  else echo "bench: TUN throughput skipped (needs root)"; fi
	@# One stack per core: serve --cores 2 beside --cores 1 (bulk from 8
	@# kernel connections, short connections per second; root only).
	@if [ "$$(id -u)" -eq 0 ]; then bench/tun_cores.py $(BENCH_BUILD)/synack; \
	  else echo "bench: TUN cores skipped (needs root)"; fi
	@# HTTP requests/s over TUN (wrk, h2load: h2c and h2 over TLS) beside
	@# nginx on Linux over veth, one pinned core each (root only).
	@if [ "$$(id -u)" -eq 0 ]; then bench/http_tun.py $(BENCH_BUILD)/synack; \
	  else echo "bench: HTTP over TUN skipped (needs root)"; fi
	@# NAT forwarding: synack nat beside Linux nftables masquerade/DNAT (root only).
	@if [ "$$(id -u)" -eq 0 ]; then bench/nat_bench.py $(BENCH_BUILD)/synack; \
	  else echo "bench: NAT forwarding skipped (needs root)"; fi

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(BENCH_BUILD)
