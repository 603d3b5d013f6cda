# The two commands of the README:
#   make serve   installs what is missing and runs the platform on http://127.0.0.1:8000
#   make test    installs what is missing and runs every check CI runs
# Both are safe to repeat; each step only does work when something is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: the PostgreSQL server (embedded mode), CJK fonts and HarfBuzz's font
# subsetter for the PDFs,
# Chromium for the browser tests.
DEB_PACKAGES := postgresql fonts-wqy-microhei fonts-noto-cjk libharfbuzz-subset0 chromium

.PHONY: serve test system-packages venv lint clean

serve: system-packages venv
	$(BIN)/market serve --demo

test: system-packages venv lint
	$(BIN)/pytest -q -n auto --dist loadfile

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy market selection
	$(BIN)/lint-imports

system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing \
	  || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; }; \
	fi

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
