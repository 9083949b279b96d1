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
.venv/bin/ruff check imrgraph tests bench
.venv/bin/python -m pytest -p no:cacheprovider "$@"
