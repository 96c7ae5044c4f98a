# heartbeatd images, built on Debian 12 from Debian packages.
#
#   docker build -t heartbeatd .                    # default: heartbeatd, its libraries, CA certificates
#   docker build -t heartbeatd:tools --target tools .   # plus pg_isready, redis-cli, mysqladmin, curl
#   docker run --rm -p 8080:8080 heartbeatd         # answers on :8080 with the image's own config
#   docker run --rm -p 8080:8080 -v "$PWD/my-config:/etc/heartbeat:ro" heartbeatd
#
# The default image has no shell and no package manager: exec checks there can run only programs
# you add (see "Extending the images" in README.md). Both images run as 65532:65532, need no
# writable path and no capability, and run as PID 1 without an init.

FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make cmake pkg-config libboost1.81-dev \
      libyaml-cpp-dev libspdlog-dev libssl-dev libc-ares-dev libpq-dev libnghttp2-dev \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY include include
COPY src src
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHEARTBEAT_TESTS=OFF \
 && cmake --build build --target heartbeatd -j"$(nproc)" \
 && strip build/heartbeatd

# The default image's whole file system, gathered in one folder: the binary, exactly the shared
# libraries it loads (as ldd lists them; and libpq with its own, which postgres checks load when
# a config has one), CA certificates, the few files name lookups read, and the
# user 65532. /etc/hosts and /etc/resolv.conf come from the container engine.
FROM build AS rootfs
COPY config/examples/container.yaml /rootfs/etc/heartbeat/heartbeat.yaml
COPY config/heartbeat.schema.json /rootfs/usr/share/heartbeatd/heartbeat.schema.json
RUN set -e; cd /rootfs \
 && install -D -m 0755 /src/build/heartbeatd usr/local/bin/heartbeatd \
 && libpq="$(pkg-config --variable=libdir libpq)/libpq.so.5" \
 && for lib in $(ldd /src/build/heartbeatd | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}') \
               "$libpq" $(ldd "$libpq" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'); do \
      cp --parents -L "$lib" . ; \
    done \
 && install -D -m 0644 /etc/ssl/certs/ca-certificates.crt etc/ssl/certs/ca-certificates.crt \
 && mkdir -p usr/lib/ssl \
 && ln -s /etc/ssl/certs/ca-certificates.crt usr/lib/ssl/cert.pem \
 && ln -s /etc/ssl/certs usr/lib/ssl/certs \
 && printf 'root:x:0:0:root:/root:/nonexistent\nnonroot:x:65532:65532:nonroot:/nonexistent:/nonexistent\n' > etc/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' > etc/group \
 && printf 'hosts: files dns\n' > etc/nsswitch.conf \
 && touch etc/hosts etc/resolv.conf

# `--target tools`: Debian slim with the clients exec checks commonly call, and the user 65532 by
# name (libpq's clients take their default user name from it).
FROM debian:12-slim AS tools
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client redis-tools mariadb-client \
      curl ca-certificates libyaml-cpp0.7 libspdlog1.10 libfmt9 libssl3 libc-ares2 libpq5 \
      libnghttp2-14 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd -g 65532 nonroot && useradd -u 65532 -g 65532 -M -d /nonexistent -s /usr/sbin/nologin nonroot
COPY --from=rootfs /rootfs/usr/local/bin/heartbeatd /usr/local/bin/heartbeatd
COPY --from=rootfs /rootfs/etc/heartbeat /etc/heartbeat
COPY --from=rootfs /rootfs/usr/share/heartbeatd /usr/share/heartbeatd
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/heartbeatd", "probe", "--timeout", "2s"]
ENTRYPOINT ["/usr/local/bin/heartbeatd"]
CMD ["serve"]

# The default image (last, so a plain build makes it).
FROM scratch AS runtime
COPY --from=rootfs /rootfs/ /
USER 65532:65532
EXPOSE 8080
# `heartbeatd probe` with no URL asks the readiness of the address the config listens on.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/heartbeatd", "probe", "--timeout", "2s"]
ENTRYPOINT ["/usr/local/bin/heartbeatd"]
CMD ["serve"]
