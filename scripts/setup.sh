#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever the build and the tests need and the machine lacks.
# Safe to run again: it only calls apt-get when a package is missing. With --build, only what
# building heartbeatd needs (command 1).
set -euo pipefail

packages=(g++ make cmake pkg-config libboost1.81-all-dev libyaml-cpp-dev libspdlog-dev libssl-dev
          libc-ares-dev libpq-dev libnghttp2-dev)
[ "${1:-}" = --build ] || packages+=(
          openssl python3 python3-venv python3-jsonschema python3-yaml prometheus
          postgresql redis-server nginx-light dnsmasq-base python3-grpcio clang libclang-rt-14-dev
          wrk gnuplot-nox
          podman runc catatonit buildah netavark aardvark-dns iptables slirp4netns uidmap fuse-overlayfs
          podman-compose docker-compose debootstrap)
if [ "${1:-}" != --build ]; then
    # kubectl (for `kubectl kustomize`): Debian's kubernetes-client where no other kubectl is.
    command -v kubectl >/dev/null || packages+=(kubernetes-client)
    # Node.js and npm run the deploy tier's schema validators (tests/deploy/package.json).
    command -v npm >/dev/null || packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The deploy tier's JavaScript validators (tests/deploy/package.json), from the committed lock file
# into tests/deploy/node_modules, so that no test downloads: again only when the lock file changed.
if [ "${1:-}" != --build ]; then
    deploy="$(cd "$(dirname "$0")/.." && pwd)/tests/deploy"
    if ! cmp -s "$deploy/package-lock.json" "$deploy/node_modules/.setup-lock.json"; then
        echo "setup: npm ci in tests/deploy" >&2
        (cd "$deploy" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
        cp "$deploy/package-lock.json" "$deploy/node_modules/.setup-lock.json"
    fi
fi
