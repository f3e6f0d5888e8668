#!/usr/bin/env bash
# Architecture diff of a branch against BASE: writes under OUT
#   diff.md      the report for a pull-request comment (links the overlay images)
#   diff.json    the same report as JSON (docs/diff-schema.md)
#   ID.png/.svg  one overlay diagram per changed architecture
# With PUBLISH=1 it also publishes the PNGs (one orphan commit, force-pushed to the branch
# diagramgen-diff/pr-PR_NUMBER of the 'origin' remote) and posts or updates ONE comment on
# the pull request, found again by a hidden marker (needs gh, GH_TOKEN, GITHUB_REPOSITORY,
# PR_NUMBER). DRY_RUN=1 prints the publishing commands instead of running them.
#
# Environment: BASE (default origin/main), OUT (default output/diff), DIAGRAMGEN (the
# diagramgen executable; default: the repository's .venv, set up with make).
set -euo pipefail

ROOT=$(git rev-parse --show-toplevel)
BASE=${BASE:-origin/main}
OUT=${OUT:-$ROOT/output/diff}
MARKER='<!-- diagramgen-architecture-diff -->'
if [ -z "${DIAGRAMGEN:-}" ]; then
  make -s -C "$ROOT" .venv/.installed-stamp
  DIAGRAMGEN=$ROOT/.venv/bin/diagramgen
fi

run() {  # run a publishing command, or only show it with DRY_RUN=1
  if [ "${DRY_RUN:-0}" = 1 ]; then printf 'would run:'; printf ' %q' "$@"; printf '\n'; else "$@"; fi
}

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$ROOT"
"$DIAGRAMGEN" diff --base "$BASE" --format json --image "$OUT/{id}.svg" --output "$OUT/diff.json"
"$DIAGRAMGEN" diff --base "$BASE" --format markdown --image "$OUT/{id}.png" \
  --image-link '{id}.png' --output "$OUT/diff.md"

[ "${PUBLISH:-0}" = 1 ] || exit 0

: "${PR_NUMBER:?PR_NUMBER is needed to publish}" "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is needed to publish}"
body=$OUT/comment.md
cp "$OUT/diff.md" "$body.tmp"
shopt -s nullglob
pngs=("$OUT"/*.png)
if [ ${#pngs[@]} -gt 0 ]; then
  # One orphan commit holding this pull request's images; comments link it by its hash.
  index=$(mktemp)
  trap 'rm -f "$index"' EXIT
  GIT_INDEX_FILE=$index git read-tree --empty
  for f in "${pngs[@]}"; do
    blob=$(git hash-object -w "$f")
    GIT_INDEX_FILE=$index git update-index --add --cacheinfo "100644,$blob,$(basename "$f")"
  done
  tree=$(GIT_INDEX_FILE=$index git write-tree)
  commit=$(git -c user.name=diagramgen -c user.email=diagramgen@users.noreply.github.com \
    commit-tree "$tree" -m "Architecture diff images for pull request $PR_NUMBER")
  run git push --force origin "$commit:refs/heads/diagramgen-diff/pr-$PR_NUMBER"
  url="https://github.com/$GITHUB_REPOSITORY/raw/$commit"
  sed -E "s#\]\(([A-Za-z0-9_-]+)\.png\)#](${url}/\1.png)#" "$body.tmp" > "$body.tmp2"
  mv "$body.tmp2" "$body.tmp"
fi
{ echo "$MARKER"; cat "$body.tmp"; } > "$body"
rm -f "$body.tmp"

existing=$(gh api "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" --paginate \
  --jq ".[] | select(.body | contains(\"$MARKER\")) | .id" | head -n 1)
if [ -n "$existing" ]; then
  run gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" --silent -F "body=@$body"
  echo "updated comment $existing"
else
  run gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" --silent -F "body=@$body"
  echo "posted a comment"
fi
