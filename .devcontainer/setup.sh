#!/usr/bin/env bash
# The container's one-time set-up (postCreateCommand), from the checkout's top folder: the
# learner's install (README), jupyter-server-proxy (the `hub` extra: the chat page through
# the notebook server), and the Node.js packages when npm is there.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
"$python" -m pip install --disable-pip-version-check --quiet -e ".[notebooks,hub]"
if command -v npm >/dev/null 2>&1; then
    npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error
else
    echo "npm not found: Node.js functions get no AWS SDK, and notebook 04 skips wscat"
fi
