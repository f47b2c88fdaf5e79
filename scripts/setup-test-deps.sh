#!/usr/bin/env bash
# Installs what the test suite calls, on a fresh Debian machine that may have
# only the Rust toolchain, gcc and python3. Idempotent: a second run installs nothing.
#   Debian: openssl, a JDK (keytool, javac, java), Node.js + npm, tmux, Lucene 8 (ES keystore checks)
#           openssh-server (the SSH test fleet; the package's own start may be refused by
#           policy-rc.d, which is fine: each test host runs its own sshd)
#   npm:    node-forge (Kibana reads PKCS#12 with it), @elastic/node-crypto (Kibana keystore)
#           into .ci/npm (ignored by git)
#   PyPI:   ansible-core and ansible-lint, pinned, into the venv .ci/ansible-venv (ignored by git)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

need=()
command -v openssl >/dev/null || need+=(openssl)
command -v javac >/dev/null && command -v keytool >/dev/null || need+=(default-jdk-headless)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v tmux >/dev/null || need+=(tmux)
[ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null || need+=(openssh-server)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
[ -e /usr/share/java/lucene-core.jar ] || [ -e /usr/share/java/lucene8-core.jar ] || ls /usr/share/java/lucene-core*.jar >/dev/null 2>&1 || need+=(liblucene8-java)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq
  $sudo_ apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

npm_dir="$repo/.ci/npm"
mkdir -p "$npm_dir"
if [ ! -d "$npm_dir/node_modules/node-forge" ] || [ ! -d "$npm_dir/node_modules/@elastic/node-crypto" ]; then
  echo "setup: installing npm packages into $npm_dir" >&2
  ( cd "$npm_dir" && [ -f package.json ] || echo '{"name":"esmtls-test-deps","private":true}' > "$npm_dir/package.json"
    cd "$npm_dir" && npm install --no-audit --no-fund --silent node-forge@1 @elastic/node-crypto@1 >/dev/null )
fi
venv="$repo/.ci/ansible-venv"
pins=(ansible-core==2.19.14 ansible-lint==26.10.1)
have_pins() {
  for p in "${pins[@]}"; do
    n=${p%%==*}
    ls -d "$venv"/lib/python3*/site-packages/"${n//-/_}-${p##*==}".dist-info >/dev/null 2>&1 || return 1
  done
}
if ! have_pins; then
  echo "setup: installing ${pins[*]} into $venv" >&2
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
  have_pins || { echo "setup: ${pins[*]} not found in $venv after the install" >&2; exit 1; }
fi
echo "setup: test dependencies ready" >&2
