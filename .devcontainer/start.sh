#!/usr/bin/env bash
# Each time the container starts (postStartCommand): the local AWS in the background (the
# same start as mybinder.org's, binder/start), then JupyterLab on the notebooks, detached
# in a session of its own so that it outlives this command, its log beside the stack's.
set -euo pipefail
cd "$(dirname "$0")/.."
log="${TMPDIR:-/tmp}/wslab-jupyterlab.log"
root=()
[ "$(id -u)" = 0 ] && root=(--allow-root)  # some devcontainer hosts log in as root
binder/start bash -c 'setsid nohup "$@" >"$0" 2>&1 </dev/null &' "$log" \
    jupyter lab notebooks/ --no-browser --ip=127.0.0.1 --port="${JUPYTER_PORT:-8888}" "${root[@]}"
echo "JupyterLab: port ${JUPYTER_PORT:-8888} (the PORTS tab); its address with its token: jupyter server list"
