#!/usr/bin/env bash
# Rewrites src/FmriToImage/PublicAPI.Unshipped.txt to the library's current public surface (docs/public-api.md).
# It builds the library once with the public-API analyzer's findings as plain warnings, takes every RS0016
# ("Symbol '...' is not part of the declared public API") and writes those symbols, sorted, below '#nullable enable'.
# PublicAPI.Shipped.txt is never touched: what a released package shipped changes only by a deliberate edit.
# Review the diff (git diff src/FmriToImage/PublicAPI.Unshipped.txt) before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
project=src/FmriToImage
unshipped=$project/PublicAPI.Unshipped.txt
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Start from an empty list, so symbols that no longer exist drop out instead of raising RS0017.
printf '#nullable enable\n' >"$unshipped"
# --no-incremental: an up-to-date build would skip the compiler and report nothing.
dotnet build "$project" -c Release --no-incremental -p:TreatWarningsAsErrors=false >"$log" 2>&1 || {
  { grep -E " error " "$log" || tail -n 20 "$log"; } | sort -u | head -n 40 >&2
  echo "update-public-api: the library does not build; fix that first" >&2
  exit 1
}
grep -oE "warning RS0016: Symbol '.*' is not part of the declared public API" "$log" |
  sed -E "s/^warning RS0016: Symbol '(.*)' is not part of the declared public API$/\1/" |
  LC_ALL=C sort -u >>"$unshipped"
# Type lines are the ones without a parameter list or a ' -> ' (members always have one of the two).
echo "update-public-api: $(grep -vcE '^#' "$unshipped") symbols in $unshipped, $(grep -vcE '^#|\(| -> ' "$unshipped") of them types"
