# pdao — two commands: `make demo` and `make test`. Everything else here serves those two.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test browser-deps lint format lock migrate clean messages bench openapi

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 12), "pdao needs Python 3.12 (see .python-version; pyenv install 3.12)"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# A local, demo-only environment file with generated secrets; never committed.
.env:
	@$(PYTHON) -c 'import secrets; print("PDAO_SECRET_KEY=" + secrets.token_urlsafe(50)); print("PDAO_DEMO=true"); print("PDAO_HTTPS=false"); print("PDAO_DEMO_PASSWORD=Demo-" + secrets.token_urlsafe(9))' > .env
	@echo "Wrote .env (demo settings and a generated password)."

migrate: $(STAMP) .env
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ with a task worker beside it  (Ctrl-C stops both)"
	@# The task worker runs in a loop of its own process group: if it ever exits, it is started
	@# again two seconds later; stopping the demo stops the loop and the worker together.
	setsid sh -c 'while true; do $(BIN)/python manage.py db_worker --no-startup-delay --verbosity 0; \
	  echo "task worker exited ($$?); starting it again" >&2; sleep 2; done' & worker=$$!; \
	  trap 'kill -- -$$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn pdao.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --timeout 120 --access-logfile - --log-level warning

# The browser suite needs Debian's Chromium and a CJK font; installed here when run as root.
CHROMIUM := /usr/lib/chromium/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
PDFTOPPM := /usr/bin/pdftoppm
browser-deps:
	@if [ ! -x $(CHROMIUM) ] || [ ! -f $(CJK_FONT) ] || [ ! -x $(PDFTOPPM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0 poppler-utils >/dev/null); \
	  else \
	    echo "The browser tests need: sudo apt-get install chromium fonts-wqy-microhei poppler-utils"; exit 1; \
	  fi; \
	fi

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest

# Benchmarks against named peers, in the same run; figures go into the README.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	# SmartNoise SQL pins an older OpenDP and pandas: the zone benchmark's peer lives apart.
	test -x bench/.venv-smartnoise/bin/python || $(PYTHON) -m venv bench/.venv-smartnoise
	bench/.venv-smartnoise/bin/python -m pip install --quiet smartnoise-sql==1.0.10
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/access.py
	$(BIN)/python bench/zone.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ingest.py --rows 11000000
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/supervision.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PDAO_SECRET_KEY=lint-only DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	PDAO_SECRET_KEY=lint-only DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py openapi --check

# Regenerate the committed OpenAPI documents (docs/openapi/) after changing an API.
openapi: $(STAMP)
	PDAO_SECRET_KEY=openapi-only $(BIN)/python manage.py openapi

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Recompile the English catalogue after editing pdao/locale/en/LC_MESSAGES/django.po.
messages: $(STAMP)
	cd pdao && PDAO_SECRET_KEY=messages-only ../$(BIN)/python ../manage.py makemessages -l en --no-obsolete --no-location
	cd pdao && PDAO_SECRET_KEY=messages-only ../$(BIN)/python ../manage.py compilemessages -l en

# Refresh constraints.txt after changing pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^pdao' > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache
