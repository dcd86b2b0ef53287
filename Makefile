# Asym — build, test, benchmark. Everything runs in release mode: numeric Swift
# in a debug build is 10–100× slower.
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
DEBIAN_PACKAGES := libhdf5-dev libopenblas-dev libmujoco-dev gnuplot-nox pkg-config hdf5-tools
# Gymnasium's MJCF models (reacher.xml, half_cheetah.xml, ant.xml), taken from the
# gymnasium wheel on PyPI; never committed.
GYMNASIUM_VERSION := 1.4.0
ASYM_MODELS ?= $(HOME)/.cache/asym/models
RELEASE := -c release
TEST_FLAGS := $(RELEASE) -Xswiftc -enable-testing
# The tests run with every check on: -O instead of -Ounchecked (preconditions and
# bounds checks stay) plus ASYM_INTERNAL_CHECKS (Package.swift reads ASYM_CHECKED),
# in a build folder of their own so `make demo` and `make bench` keep the fast build.
CHECKED := ASYM_CHECKED=1
CHECKED_FLAGS := $(TEST_FLAGS) --scratch-path .build-checked
BIN := .build/release

# The portable numerics profile (Sources/Nets/Numerics.swift) for processes that
# asym does not start itself: OpenBLAS reads OPENBLAS_CORETYPE when it loads, so
# the test runner gets the portable kernel from here, for itself only (the
# machine's environment is left alone), and NetsTests checks that it got it.
PORTABLE_ENV := ASYM_NUMERICS=portable OPENBLAS_CORETYPE=Haswell
# The peer benchmark: Stable-Baselines3 in its own virtual environment. Set up:
#   python3 -m venv /opt/sb3-venv
#   /opt/sb3-venv/bin/pip install torch stable-baselines3==2.9.2 gymnasium==1.4.0
# (a CPU-only torch wheel, if the machine has one, is much smaller than PyPI's).
PEER_PYTHON ?= /opt/sb3-venv/bin/python
PEER_SIZES ?= 4,16,256
PEER_STEPS ?= 1500
PEER_TSV ?= .build/sb3_throughput.tsv
COMMA := ,

.PHONY: setup packages models build demo test bench bench-peer clean

## setup: install missing Debian packages, fetch MuJoCo models, build (release)
setup: packages models build

packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends $$missing; \
	else echo "Debian packages present"; fi

models:
	@ASYM_MODELS="$(ASYM_MODELS)" GYMNASIUM_VERSION="$(GYMNASIUM_VERSION)" Sources/Envs/Scripts/fetch-models.sh

build: packages
	$(SWIFT) build $(RELEASE)

## demo: the default pipeline (pipelines/demo.yaml: Figure 2, Table 1's
## Pendulum-v0 rows and Figure 5) at the paper's budgets on 3 of its 6
## seeds, with its report in plots/demo/; a rerun finds everything cached
DEMO_FLAGS := --seeds 3
demo: packages models $(BIN)/asym
	$(BIN)/asym run pipelines/demo.yaml $(DEMO_FLAGS)
	@echo "report: plots/demo/REPORT.md (figures and table1.md beside it)"

# The release binaries, rebuilt only when a source changed (a no-op `swift
# build` alone takes seconds, more than a cached demo).
$(BIN)/asym: Package.swift $(shell find Sources -type f 2>/dev/null)
	$(SWIFT) build $(RELEASE)
	@touch $@

## test: the whole test suite, in release mode
test: packages models
	$(CHECKED) $(SWIFT) build $(CHECKED_FLAGS) --build-tests
	$(CHECKED) $(PORTABLE_ENV) $(SWIFT) test $(CHECKED_FLAGS) --skip-build

## bench: print throughput figures (never pass/fail on time); the off-policy
## ones under both numerics profiles, beside the peer's (`bench-peer`) when its
## environment exists
bench: setup
	$(BIN)/asym-bench nets products envs mujoco onpolicy store pipeline
	@if [ -x $(PEER_PYTHON) ]; then $(MAKE) --no-print-directory bench-peer; else \
	  $(BIN)/asym-bench --numerics portable offpolicy && $(BIN)/asym-bench --numerics native offpolicy && \
	  echo "no $(PEER_PYTHON): no peer figures (see PEER_PYTHON in the Makefile)"; fi

## bench-peer: Stable-Baselines3 (one torch thread) on Pendulum-v1 and ours
## under both profiles, with the ratio; per algorithm and size SB3 then ours,
## back to back, so both run under the same load of a shared machine
bench-peer: build
	@[ -x $(PEER_PYTHON) ] || { echo "bench-peer: no $(PEER_PYTHON); set it up as the Makefile's PEER_PYTHON note says"; exit 1; }
	@$(BIN)/asym-bench offpolicy --legend
	@set -e; for algo in DDPG TD3 SAC; do for h in $(subst $(COMMA), ,$(PEER_SIZES)); do \
	  $(PEER_PYTHON) Sources/AsymBench/Peer/sb3_throughput.py --threads 1 --sizes $$h --algos $$algo \
	    --train-steps $(PEER_STEPS) --out $(PEER_TSV) >/dev/null; \
	  for profile in portable native; do \
	    ASYM_BENCH_ALGOS=$$(echo $$algo | tr A-Z a-z) ASYM_BENCH_SIZES=$$h \
	      $(BIN)/asym-bench --numerics $$profile offpolicy --rows-only --peer $(PEER_TSV); \
	  done; done; done
	@echo "peer: $$(head -1 $(PEER_TSV) | cut -c3-)"

clean:
	rm -rf .build
