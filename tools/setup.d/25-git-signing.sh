#!/usr/bin/env bash
# gpg and ssh-keygen for the git-raw differential tests (tests/_git_corpus.py signs commits and
# tags with throw-away keys, both ways). Installed from Debian apt when missing and we are root;
# otherwise the step says so and the corpus skips the signing it cannot do (the test names it).
set -euo pipefail
missing=()
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
command -v git >/dev/null 2>&1 || missing+=(git)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing ${missing[*]} (apt)" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "setup: ${missing[*]} missing and not installable here (git signing tests will skip that part)" >&2
fi
