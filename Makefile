# sensekit: one command to install everything, one to run the test suite.
#   make demo   install (system packages via apt when root) and run the demo on simulated data
#   make test   install and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := portaudio19-dev libasound2-plugins libgl1 libegl1 libgles2
# optional: 32-bit builds of the exported C (tests of firmware counters where long is 32-bit)
APT_OPTIONAL := gcc-multilib

.PHONY: install system-deps demo test lint bench clean

system-deps:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing system packages: $(APT_PACKAGES)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null) \
	    || echo "warning: apt-get failed; microphone capture (PyAudio) may be unavailable"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_OPTIONAL) >/dev/null 2>&1) \
	    || echo "note: $(APT_OPTIONAL) not installed; the firmware export's 32-bit build test is skipped"; \
	elif ! pkg-config --exists portaudio-2.0 2>/dev/null && [ ! -e /usr/include/portaudio.h ]; then \
	  echo "note: not root and PortAudio headers missing: installing without microphone support"; \
	  echo "      (as root: apt-get install $(APT_PACKAGES), then 'make install' again)"; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: system-deps $(BIN)/python
	@if [ -e /usr/include/portaudio.h ]; then extras="all,dev"; else extras="all-but-audio,dev"; fi; \
	  echo "pip install -e .[$$extras]"; \
	  $(BIN)/python -m pip install -q -e ".[$$extras]"

demo: install
	$(BIN)/sensekit demo

test: install
	$(BIN)/ruff check sensekit tests benchmarks
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
