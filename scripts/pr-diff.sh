#!/usr/bin/env bash
# Architecture diff of the working tree against BASE; writes under OUT
#   diff.md      the report for a pull-request comment (links the overlay images)
#   diff.json    the same report as JSON (docs/diff-schema.md)
#   ID.png/.svg  one overlay diagram per changed architecture
#   pr-number    PR_NUMBER, when set (the comment stage checks it against the API)
# It needs git and diagramgen, nothing else, and makes no network call: a pull request's
# code may run here with a read-only token (the first, unprivileged stage of
# .github/workflows/architecture-diff.yml). Publishing is scripts/pr-comment.sh's job;
# PUBLISH=1 runs it afterwards (DRY_RUN=1 is passed on: it then only prints).
#
# Environment: BASE (default origin/main), OUT (default output/diff), DIAGRAMGEN (the
# diagramgen executable; default: the one on PATH).
set -euo pipefail

ROOT=$(git rev-parse --show-toplevel)
BASE=${BASE:-origin/main}
OUT=${OUT:-$ROOT/output/diff}
DIAGRAMGEN=${DIAGRAMGEN:-diagramgen}
command -v "$DIAGRAMGEN" >/dev/null 2>&1 || {
  echo "error: '$DIAGRAMGEN' not found; pip install diagramgen, or set DIAGRAMGEN" >&2
  exit 1
}
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$ROOT"
"$DIAGRAMGEN" diff --base "$BASE" --format json --image "$OUT/{id}.svg" --output "$OUT/diff.json"
"$DIAGRAMGEN" diff --base "$BASE" --format markdown --image "$OUT/{id}.png" \
  --image-link '{id}.png' --output "$OUT/diff.md"
if [ -n "${PR_NUMBER:-}" ]; then
  printf '%s\n' "$PR_NUMBER" > "$OUT/pr-number"
fi
echo "wrote $OUT"

if [ "${PUBLISH:-0}" = 1 ]; then
  DIR=$OUT exec "$(dirname "$0")/pr-comment.sh"
fi
