#!/usr/bin/env bash
# Makes the Python venv of tools/fleet (Ray and matplotlib, pinned in requirements.txt).
#   tools/fleet/setup-venv.sh VENVDIR
# Idempotent: nothing is installed again while requirements.txt is unchanged.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 VENVDIR" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=$1
stamp=$venv/.requirements.sha256
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
python=${FLEET_BASE_PYTHON:-python3}
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' ||
  { echo "setup-venv: Python 3.10 or newer is needed for Ray" >&2; exit 1; }
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" -c 'import ray, matplotlib' >/dev/null
echo "$want" > "$stamp.tmp" && mv "$stamp.tmp" "$stamp"
