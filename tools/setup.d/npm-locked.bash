# Sourced by setup steps (not run on its own: it is not a *.sh step).
# npm_locked_install PREFIX DIR READY WHAT: install the npm packages locked by PREFIX.package.json and
# PREFIX.package-lock.json (committed beside the step) with `npm ci` into DIR (under .cache, ignored by
# git), again only when the lockfile changes; READY is a file that exists once installed. Without npm
# it says so (WHAT names what is missing and what skips) and returns 0.
npm_locked_install() {
  local prefix=$1 dir=$2 ready=$3 what=$4 want
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: npm not found; $what" >&2
    return 0
  fi
  want=$(cat "$prefix.package.json" "$prefix.package-lock.json" | sha256sum | cut -d' ' -f1)
  if [ -e "$dir/$ready" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  mkdir -p "$dir"
  cp "$prefix.package.json" "$dir/package.json"
  cp "$prefix.package-lock.json" "$dir/package-lock.json"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$dir/.stamp"
}
