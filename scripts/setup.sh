#!/usr/bin/env bash
# Installs everything BoneWatch needs on a fresh Debian 12 machine: the C++
# toolchain and libraries from Debian packages, and the test FHIR server's
# Node.js packages from the committed lockfile. Idempotent: safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libpoco-dev rapidjson-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
  libhowardhinnant-date-dev tzdata
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  openssl
  python3-yaml systemd
)
# python3-yaml: tests/deploy reads deploy/kubernetes/*.yaml with /usr/bin/python3 and PyYAML.
# systemd: tests/deploy runs `systemd-analyze verify` on deploy/systemd/bonewatch.service.
# libhowardhinnant-date-dev (+ its libdate-tz3) and tzdata: named time zones (`timeZone`).

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages already installed"
fi

# Node.js: the machine image may already carry a newer Node.js (e.g. NodeSource's
# nodejs, which bundles npm and conflicts with Debian's npm package). Only when
# there is none at all do we fall back to Debian's packages.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing Node.js from Debian packages"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js >= 20 is required for tests/fhir-server (found major $node_major)" >&2
  exit 1
fi

if [ -f tests/fhir-server/package-lock.json ]; then
  lock_hash=$(sha256sum tests/fhir-server/package-lock.json | cut -d' ' -f1)
  stamp=tests/fhir-server/node_modules/.bonewatch-lock-hash
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
    echo "setup: npm ci in tests/fhir-server"
    (cd tests/fhir-server && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_hash" > "$stamp"
  else
    echo "setup: tests/fhir-server node_modules up to date"
  fi
fi
