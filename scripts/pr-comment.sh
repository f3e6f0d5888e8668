#!/usr/bin/env bash
# Publishes an architecture diff made by scripts/pr-diff.sh (the directory DIR) on its
# pull request: pushes the overlay PNGs as one commit to the branch diagramgen-diff/pr-N
# and posts ONE comment, or updates the one it posted before (found by a hidden marker
# and its author). The second, privileged stage of .github/workflows/architecture-diff*.yml:
# it runs no code from the pull request and treats DIR as untrusted data (only PNG files
# with plain names are pushed; the pull-request number must be a number and, with
# HEAD_SHA, the pull request's head must be that commit).
#
# Environment: DIR (default output/diff), PR_NUMBER (default: DIR/pr-number),
# GITHUB_REPOSITORY (owner/name), GH_TOKEN (for gh and the push), HEAD_SHA (optional),
# GITHUB_SERVER_URL (default https://github.com), PUSH_URL (default: the repository on
# that server), COMMENT_AUTHOR (default github-actions[bot]).
# DRY_RUN=1 prints what it would do and makes no network call at all.
set -euo pipefail

DIR=${DIR:-output/diff}
MARKER='<!-- diagramgen-architecture-diff -->'
SERVER=${GITHUB_SERVER_URL:-https://github.com}
AUTHOR=${COMMENT_AUTHOR:-github-actions[bot]}
MAX_BODY=60000  # GitHub refuses comments over 65,536 characters
DRY=${DRY_RUN:-0}

fail() { echo "error: $*" >&2; exit 1; }
[ -f "$DIR/diff.md" ] || fail "$DIR/diff.md not found; run scripts/pr-diff.sh first"
if [ -z "${PR_NUMBER:-}" ] && [ -f "$DIR/pr-number" ]; then
  PR_NUMBER=$(head -c 20 "$DIR/pr-number" | tr -d '[:space:]')
fi
[[ "${PR_NUMBER:-}" =~ ^[1-9][0-9]{0,9}$ ]] || fail "PR_NUMBER must be a pull-request number, got '${PR_NUMBER:-}'"
[[ "${GITHUB_REPOSITORY:-}" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] ||
  fail "GITHUB_REPOSITORY must be owner/name, got '${GITHUB_REPOSITORY:-}'"
PUSH_URL=${PUSH_URL:-$SERVER/$GITHUB_REPOSITORY.git}
REPO=$GITHUB_REPOSITORY

say() { printf 'would run:'; printf ' %q' "$@"; printf '\n'; }
gh_api() {  # gh api, or only what it would do with DRY_RUN=1
  if [ "$DRY" = 1 ]; then say gh api "$@"; else gh api "$@"; fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${HEAD_SHA:-}" ]; then
  [[ "$HEAD_SHA" =~ ^[0-9a-f]{40}$ ]] || fail "HEAD_SHA must be a commit hash, got '$HEAD_SHA'"
  if [ "$DRY" = 1 ]; then
    say gh api "repos/$REPO/pulls/$PR_NUMBER" --jq .head.sha
  else
    head=$(gh api "repos/$REPO/pulls/$PR_NUMBER" --jq .head.sha)
    [ "$head" = "$HEAD_SHA" ] || fail "pull request $PR_NUMBER is at $head, not at $HEAD_SHA; nothing published"
  fi
fi

# The report, cut to what a comment may hold.
body=$work/comment.md
{ echo "$MARKER"; head -c "$MAX_BODY" "$DIR/diff.md"; } > "$body"
if [ "$(wc -c < "$DIR/diff.md")" -gt "$MAX_BODY" ]; then
  printf '\n\n(The report is longer than a comment allows; the workflow run has all of it.)\n' >> "$body"
fi

# The images: plain names, PNG signature, at most 50 of at most 5 MB each.
pngs=()
shopt -s nullglob
for f in "$DIR"/*.png; do
  name=$(basename "$f")
  [[ "$name" =~ ^[A-Za-z0-9_-]{1,64}\.png$ ]] || { echo "skipped $name: not a plain name" >&2; continue; }
  if [ -L "$f" ] || [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
    echo "skipped $name: not a PNG file" >&2
    continue
  fi
  [ "$(wc -c < "$f")" -le 5000000 ] || { echo "skipped $name: larger than 5 MB" >&2; continue; }
  pngs+=("$f")
done
[ ${#pngs[@]} -le 50 ] || fail "${#pngs[@]} images; at most 50 are published"

if [ ${#pngs[@]} -gt 0 ]; then
  # One commit holding this pull request's images, made in an empty repository of its
  # own; comments link the images by its hash.
  git init -q "$work/images"
  cp "${pngs[@]}" "$work/images/"
  git -C "$work/images" add .
  git -C "$work/images" -c user.name=diagramgen -c user.email=diagramgen@users.noreply.github.com \
    commit -q -m "Architecture diff images for pull request $PR_NUMBER"
  commit=$(git -C "$work/images" rev-parse HEAD)
  ref="refs/heads/diagramgen-diff/pr-$PR_NUMBER"
  auth=()
  if [ -n "${GH_TOKEN:-}" ]; then
    auth=(-c "http.extraheader=AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GH_TOKEN" | base64 -w0)")
  fi
  if [ "$DRY" = 1 ]; then
    say git push --force "$PUSH_URL" "HEAD:$ref"
  else
    git -C "$work/images" "${auth[@]}" push -q --force "$PUSH_URL" "HEAD:$ref"
  fi
  url="$SERVER/$REPO/raw/$commit"
  sed -E "s#\]\(([A-Za-z0-9_-]+)\.png\)#](${url}/\1.png)#" "$body" > "$body.tmp"
  mv "$body.tmp" "$body"
fi

if [ "$DRY" = 1 ]; then
  say gh api "repos/$REPO/issues/$PR_NUMBER/comments" --paginate --jq "(the id of $AUTHOR's comment with the marker)"
  say gh api --method POST "repos/$REPO/issues/$PR_NUMBER/comments" -F "body=@$body"
  echo "dry run: nothing published; the comment would be:"
  cat "$body"
  exit 0
fi
existing=$(gh api "repos/$REPO/issues/$PR_NUMBER/comments" --paginate \
  --jq ".[] | select(.user.login == \"$AUTHOR\" and (.body | contains(\"$MARKER\"))) | .id" | head -n 1)
if [ -n "$existing" ]; then
  gh_api --method PATCH "repos/$REPO/issues/comments/$existing" --silent -F "body=@$body"
  echo "updated comment $existing"
else
  gh_api --method POST "repos/$REPO/issues/$PR_NUMBER/comments" --silent -F "body=@$body"
  echo "posted a comment"
fi
