#!/usr/bin/env bash
# Fetches Gymnasium's MuJoCo MJCF models from the gymnasium wheel on PyPI into
# $ASYM_MODELS (default ~/.cache/asym/models). Idempotent; never committed.
set -euo pipefail
dest="${ASYM_MODELS:-$HOME/.cache/asym/models}"
version="${GYMNASIUM_VERSION:-1.4.0}"
need=(reacher.xml half_cheetah.xml ant.xml)
have=1
for f in "${need[@]}"; do [ -f "$dest/$f" ] || have=0; done
if [ "$have" = 1 ]; then echo "MuJoCo models present in $dest"; exit 0; fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "fetch-models: needs python3 with pip to download gymnasium==$version from PyPI" >&2
  echo "  (Debian: apt-get install python3-pip), or put reacher.xml, half_cheetah.xml, ant.xml into $dest" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching gymnasium==$version's MuJoCo models into $dest"
python3 -m pip download --quiet --no-deps --only-binary=:all: "gymnasium==$version" -d "$tmp"
wheel=$(ls "$tmp"/gymnasium-*.whl)
mkdir -p "$dest"
python3 - "$wheel" "$dest" "${need[@]}" <<'PY'
import sys, zipfile, os
wheel, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        member = f"gymnasium/envs/mujoco/assets/{name}"
        with z.open(member) as src, open(os.path.join(dest, name + ".tmp"), "wb") as out:
            out.write(src.read())
        os.replace(os.path.join(dest, name + ".tmp"), os.path.join(dest, name))
        print("  ", name)
PY
