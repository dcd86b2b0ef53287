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

## demo: run the default pipeline (for now: train a small asymmetric agent end to end)
demo: setup
	$(BIN)/asym params --obs 3 --act 1 --actor 4,4 --baseline 16,16

## test: the whole test suite, in release mode
test: packages models
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(TEST_FLAGS) --skip-build

## bench: print throughput figures (never pass/fail on time)
bench: setup
	$(BIN)/asym-bench

clean:
	rm -rf .build
