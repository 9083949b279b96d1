#!/usr/bin/env bash
# Install what the tests need (Debian packages when run as root, the package and its test
# extras in .venv), then lint and run the test suite.  Arguments go to pytest: `--corpus` runs
# the corpus-wide tests instead (they need ../shared/corpus or $IMRGRAPH_CORPUS).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
need=()
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# Virtuoso Open Source for tests/test_virtuoso.py (the tests start their own server; the
# package's debconf question, the DBA password, is answered by the noninteractive frontend).
command -v virtuoso-t >/dev/null 2>&1 || need+=(virtuoso-opensource)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") \
      >/tmp/imrgraph-apt.log 2>&1 || { cat /tmp/imrgraph-apt.log; exit 1; }
  else
    echo "warning: missing ${need[*]} (install them to run every test)" >&2
  fi
fi
IMRGRAPH_EXTRAS="[test]" bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
# The W3C SHACL core test suite (tests/test_shacl_w3c.py) ships in pySHACL's sdist on PyPI.
SUITE="$ROOT/.cache/shacl-w3c"
if [ ! -d "$SUITE/core" ]; then
  version="$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("pyshacl"))')"
  tmp="$(mktemp -d)"
  if .venv/bin/python -m pip download --quiet --no-binary :all: --no-deps \
       "pyshacl==$version" -d "$tmp" >/dev/null 2>&1; then
    tar xzf "$tmp"/pyshacl-*.tar.gz -C "$tmp"
    mkdir -p "$SUITE"
    cp -r "$tmp"/pyshacl-*/test/resources/sht_tests/core "$SUITE/"
  else
    echo "warning: could not fetch the W3C SHACL suite (pySHACL sdist); its tests skip" >&2
  fi
  rm -rf "$tmp"
fi
.venv/bin/ruff check imrgraph tests bench examples
.venv/bin/mypy  # the files and settings are in pyproject.toml [tool.mypy]
# Two worker processes (pytest-xdist): the suite uses both cores of a 2-core machine.
.venv/bin/python -m pytest -p no:cacheprovider -n 2 "$@"
