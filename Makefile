# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test reliability bench lint eval clean train-reranker

install: $(STAMP)

# torch first and pinned: it is the CPU build; anything looser pulls CUDA wheels.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Build the index from ARTICLES_DIR when there is none, then start the bot
# (Telegram when TELEGRAM_BOT_TOKEN is set, otherwise the console). INDEX_DIR,
# ARTICLES_DIR and EMBEDDING_MODEL come from the environment or .env.
run: $(STAMP)
	@$(PY) -m index info >/dev/null 2>&1 || $(PY) -m index build || \
	  { echo "Embedding model unavailable: building BM25 only (set EMBEDDING_MODEL to a local model folder for vectors)."; \
	    $(PY) -m index build --no-vectors; }
	$(PY) -m bot

test: $(STAMP)
	$(PY) -m pytest -q

# The reliability suite at full size (200 SIGKILLs, every I/O fault, 50 chats × 10
# questions...): about 25 minutes. `make test` runs its short variants.
reliability: $(STAMP)
	mkdir -p var
	HOIBAO_RELIABILITY_TABLE=var/reliability-table.md $(PY) -m pytest -q tests/reliability --long

# Benchmarks at 10k / 100k / 1M passages (about an hour): SOURCE = real articles to
# imitate, MODEL = the serving embedding model (e.g. an export-onnx folder), COMPARE =
# another model whose embedding throughput to measure too.
SOURCE ?= ../shared/data/dev/articles.jsonl
MODEL ?= $(EMBEDDING_MODEL)
COMPARE ?=
bench: $(STAMP)
	$(PY) -m index bench --source $(SOURCE) --sizes 10000 100000 1000000 --out var/bench \
	  $(if $(MODEL),--model $(MODEL) --real-queries,) $(if $(COMPARE),--compare-model $(COMPARE),)

# The answer-sentence cross-encoder the bot serves, models/reranker (committed: a clone has it),
# and var/reranker-cv/fold-<i>, which `python -m index eval --cv var/reranker-cv` cross-validates
# it with. Measured on 2 cores: the dev index, the chooser's shortlists read once (7-15 min),
# then three trainings (17, 19 and 28 min). DEV = the development split, EXTRA = other-domain QA,
# BASE = a multilingual-e5-small folder (built offline when missing), OUT = the served model.
DEV ?= ../shared/data/dev
EXTRA ?= ../shared/data/train/extra-qa.jsonl
BASE ?= var/e5-small
OUT ?= models/reranker
train-reranker: $(STAMP)
	test -f $(BASE)/config.json || { test -x var/tool-venv/bin/python || $(PYTHON) -m venv var/tool-venv; \
	  PYTHON=var/tool-venv/bin/python ../shared/tools/offline-model/build $(BASE); }
	$(PY) -m index info --index-dir var/index-dev-e5 >/dev/null 2>&1 || \
	  $(PY) -m index build --articles $(DEV)/articles.jsonl $(DEV)/../seed --index-dir var/index-dev-e5 --model $(BASE)
	$(PY) -m train --index var/index-dev-e5 --qa $(DEV)/qa.jsonl --extra $(EXTRA) --base $(BASE) --out $(OUT) --cv-out var/reranker-cv

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
