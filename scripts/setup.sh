#!/usr/bin/env bash
# Installs sunwind's build dependencies from Debian 12's packages (only those
# missing, so a second run does nothing) and builds into ./build.
# Works as root, or as a user with password-less sudo; never prompts.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev libsqlite3-dev
  libboost-dev            # Debian 12's default Boost 1.74 (Asio, Beast); not libboost1.81-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev              # examples/train-digits reads its gzip data set
  chromium chromium-driver python3-selenium  # tests/web: the dashboard's browser test (headless)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_type="${SUNWIND_BUILD_TYPE:-RelWithDebInfo}"
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
fi
cmake --build build -j "$(nproc)" "$@"
