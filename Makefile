# Parley — set-up, build, test, benchmark. Every target installs missing system packages first,
# so `make demo` and `make test` work on a fresh Debian/Ubuntu machine.
SWIFT ?= swift
# openssl: the command-line tool; the certificate tests check what Parley writes against it.
APT_PACKAGES := libssl-dev coinor-libclp-dev pkg-config openssl
BENCH_PACKAGES := coinor-clp
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps bench-deps build release test bench chaos demo clean

all: build

# apt-get update runs only when something is missing.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "make: installing$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))

bench-deps: deps
	$(call apt_install,$(BENCH_PACKAGES))

build: deps
	$(SWIFT) build

# The Swift runtime and Foundation linked in statically: loading and binding their shared
# libraries was most of `parley`'s start-up (about 25 ms of `parley --version` down to 15).
# Linked as a fixed-address executable (-no-pie): the loader then has no 84,000 relative
# relocations to apply to the 90 MB image before main (15 ms down to 12).
release: deps
	$(SWIFT) build -c release --static-swift-stdlib -Xlinker -no-pie

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: bench-deps release
	python3 Scripts/bench_solve.py --parley .build/release/parley --out BENCHMARKS.md
	python3 Scripts/bench_rounds.py --parley .build/release/parley --out BENCHMARKS.md
	python3 Scripts/bench_generated.py --parley .build/release/parley --out BENCHMARKS.md
	python3 Scripts/bench_transport.py --parley .build/release/parley --out BENCHMARKS.md
	python3 Scripts/bench_federation.py --parley .build/release/parley --out BENCHMARKS.md --repeat 5
	python3 Scripts/bench_recovery.py --parley .build/release/parley --out BENCHMARKS.md

# Fault runs: rounds over real node processes, each disturbed by a random kill, stop or
# restart (of nodes or the coordinator); fails if any round misses its optimum. Some minutes.
chaos: release
	python3 Scripts/chaos.py --parley .build/release/parley --out BENCHMARKS.md

demo: build
	@Scripts/demo.sh

clean:
	rm -rf .build
