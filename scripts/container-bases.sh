#!/usr/bin/env bash
# Makes the base images that the Dockerfiles' FROM lines name (debian:12, debian:12-slim) from
# Debian's packages, for machines that reach Debian's mirror but no image registry. It does nothing
# where podman already has both. The root file system comes from `debootstrap --variant=minbase
# bookworm` with the machine's own mirror and apt settings, and is kept as a tarball in the cache
# folder ($HEARTBEAT_CACHE, default /var/cache/heartbeatd) for the next run.
set -euo pipefail
names=(docker.io/library/debian:12 docker.io/library/debian:12-slim)
missing=0
for name in "${names[@]}"; do podman image exists "$name" || missing=1; done
[ "$missing" = 0 ] && exit 0

cache=${HEARTBEAT_CACHE:-/var/cache/heartbeatd}
tarball=$cache/debian-bookworm-minbase.tar
sources=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
mirror=$(grep -o -E 'https?://[^ ]+/debian/?( |$)' <<<"$sources" | head -n1 | tr -d ' ')
security=$(grep -o -E 'https?://[^ ]+/debian-security/?( |$)' <<<"$sources" | head -n1 | tr -d ' ')
mirror=${mirror:-http://deb.debian.org/debian}
security=${security:-http://deb.debian.org/debian-security}

if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || { echo "container-bases: debootstrap is missing" >&2; exit 1; }
    mkdir -p "$cache"
    root=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    echo "container-bases: debootstrap --variant=minbase bookworm from $mirror" >&2
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
        "$mirror" "$mirror" "$security" >"$root/etc/apt/sources.list"
    # The machine's settings for reaching its mirror (proxies, validity of snapshot dates).
    for conf in $(grep -l -s '^Acquire::' /etc/apt/apt.conf.d/* || true); do
        cp "$conf" "$root/etc/apt/apt.conf.d/"
    done
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/tmp/*
    tar -C "$root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
fi
podman import --change 'CMD ["bash"]' "$tarball" "${names[0]}" >/dev/null
for name in "${names[@]:1}"; do podman tag "${names[0]}" "$name"; done
echo "container-bases: made ${names[*]} from $tarball" >&2
