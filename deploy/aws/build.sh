#!/usr/bin/env bash
# Build the Lambda package of the Amazon Connect bridge: the cdmx package plus what the
# handlers import (deploy/aws/requirements.txt), for Python 3.12 on x86_64 Linux.
#   deploy/aws/build.sh                 → deploy/aws/build/bridge.zip
#   deploy/aws/build.sh s3://bucket/key → also uploads it there (needs the aws CLI)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/build"
rm -rf "$out/package" "$out/bridge.zip"
mkdir -p "$out/package"
python3 -m pip install --quiet --target "$out/package" \
  --platform manylinux2014_x86_64 --python-version 3.12 --implementation cp \
  --only-binary=:all: -r "$here/requirements.txt"
# Only the modules the handlers need: the web app, console and simulator stay out.
mkdir -p "$out/package/cdmx"
cp "$root/cdmx/__init__.py" "$root/cdmx/settings.py" "$out/package/cdmx/"
for package in aws domain whatsapp; do
  cp -r "$root/cdmx/$package" "$out/package/cdmx/$package"
done
find "$out/package" -name '__pycache__' -type d -prune -exec rm -rf {} +
(cd "$out/package" && python3 -m zipfile -c ../bridge.zip .)
echo "built $out/bridge.zip"
if [[ $# -ge 1 ]]; then
  aws s3 cp "$out/bridge.zip" "$1"
fi
