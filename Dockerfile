# heartbeatd image: built on Debian 12 from Debian packages, run as a numeric non-root user.
#   docker build -t heartbeatd .
#   docker run --rm -p 8080:8080 -v $PWD/config/heartbeat.yaml:/etc/heartbeat/heartbeat.yaml:ro heartbeatd
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make cmake libboost1.81-all-dev libyaml-cpp-dev \
      libspdlog-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY include include
COPY src src
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHEARTBEAT_TESTS=OFF \
 && cmake --build build --target heartbeatd -j"$(nproc)" \
 && strip build/heartbeatd

FROM debian:12-slim
# Runtime libraries only; ca-certificates for https checks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libyaml-cpp0.7 libspdlog1.10 libfmt9 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/heartbeatd /usr/local/bin/heartbeatd
COPY config/heartbeat.schema.json /usr/share/heartbeatd/heartbeat.schema.json
# No config is baked in: mount one at /etc/heartbeat/heartbeat.yaml (or set HEARTBEAT_CONFIG).
# Without one, heartbeatd runs with no checks and every probe answers 200.
USER 65532:65532
EXPOSE 8080
# heartbeatd needs no writable path and no capability: run it with a read-only root filesystem.
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
  CMD ["heartbeatd", "probe", "http://127.0.0.1:8080/.well-known/heartbeat/liveliness", "--timeout", "1s"]
ENTRYPOINT ["heartbeatd"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
