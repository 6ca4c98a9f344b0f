#!/usr/bin/env bash
# Install uv (pinned) from PyPI when it is not on PATH yet; prints the uv to use.
set -euo pipefail
UV_VERSION=0.13.8
if command -v uv >/dev/null 2>&1; then
  command -v uv
  exit 0
fi
python3 -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}" >&2 \
  || python3 -m pip install --quiet --user --disable-pip-version-check "uv==${UV_VERSION}" >&2
if command -v uv >/dev/null 2>&1; then command -v uv; else echo "$(python3 -m site --user-base)/bin/uv"; fi
