# Asym — build, test, benchmark. Everything runs in release mode: numeric Swift
# in a debug build is 10–100× slower.
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
DEBIAN_PACKAGES := libhdf5-dev libopenblas-dev libmujoco-dev gnuplot-nox pkg-config
# Gymnasium's MJCF models (reacher.xml, half_cheetah.xml, ant.xml), taken from the
# gymnasium wheel on PyPI; never committed.
GYMNASIUM_VERSION := 1.4.0
ASYM_MODELS ?= $(HOME)/.cache/asym/models
RELEASE := -c release
TEST_FLAGS := $(RELEASE) -Xswiftc -enable-testing
BIN := .build/release

.PHONY: setup packages models build demo test bench clean

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

## demo: the default pipeline (until pipelines land: the paper's Section 3 and
## its Pendulum row of Table 1, asymmetric against symmetric, a few seconds)
TOY := --env ToyTracking-v0 --steps 6000 --set start_steps=1000 --set update_after=1000 --set update_every=50 --set gamma=0.5
PENDULUM := --env Pendulum-v0 --steps 15000 --set start_steps=1000 --set update_after=1000 --set update_every=1 --set batch_size=256 --set gamma=0.98
# Prints the eval return and speed from asym train's JSON line.
SUMMARY := awk '{ match($$0, /"eval_return_mean":[-0-9.e]+/); r = substr($$0, RSTART + 19, RLENGTH - 19); \
  match($$0, /"steps_per_second":[0-9.e]+/); v = substr($$0, RSTART + 19, RLENGTH - 19); \
  printf "eval return %8.1f   %7.0f steps/s\n", r, v }'
demo: setup
	@echo "== Section 3: the toy tracking problem. A 1-neuron actor learns a ≈ o with a [16,16] critic, not with a 1-neuron critic."
	@for algo in ddpg td3; do for critic in 16,16 ""; do for seed in 0 1 2; do \
	  printf '%-5s actor [] critic [%-5s] seed %s  ' $$algo "$$critic" $$seed; \
	  $(BIN)/asym train --algo $$algo --actor "" --critic "$$critic" --seed $$seed $(TOY) 2>/dev/null \
	    | $(SUMMARY); \
	done; done; done
	@echo "== Table 1, Pendulum-v0 (TD3): a [4,4] actor with a [16,16] critic against the symmetric [16,16] pair."
	@for actor in 4,4 16,16; do \
	  printf 'td3   actor [%-5s] critic [16,16] seed 0  ' $$actor; \
	  $(BIN)/asym train --algo td3 --actor $$actor --critic 16,16 $(PENDULUM) 2>/dev/null \
	    | $(SUMMARY); \
	done
	@$(BIN)/asym params --obs 3 --act 1 --actor 4,4 --baseline 16,16

## test: the whole test suite, in release mode
test: packages models
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(TEST_FLAGS) --skip-build

## bench: print throughput figures (never pass/fail on time)
bench: setup
	$(BIN)/asym-bench

clean:
	rm -rf .build
