# syntax=docker/dockerfile:1
# Integrity API server image: built on Debian 12 (bookworm) with Debian's own
# libraries, the same ones `make build` uses.
#
#   docker build -t integrity-api .
#   docker run --rm -p 5000:5000 -e JWT_SECRET_KEY=... \
#     -e DATABASE_URL=mysql://app:app@db-host:3306/data_integrity_task integrity-api
#
# Or with MySQL 8.4 next to it: docker-compose up (see docs/docker.md).

# ---- build stage: compiler and -dev packages, thrown away afterwards --------
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libcivetweb-dev libmariadb-dev libmariadb-dev-compat libssl-dev libcrypt-dev \
      libcjson-dev libqrencode-dev libpng-dev libjwt-dev \
      nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Redoc's bundle for GET /docs (compiled in; the image fetches nothing at run
# time): the exact version of package-lock.json, without the test tools.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY CMakeLists.txt schema.sql ./
COPY common/ common/
COPY crypto/ crypto/
COPY db/ db/
COPY server/ server/
COPY totp/ totp/
COPY scripts/embed.cmake scripts/redoc-offline.cmake scripts/
COPY docs/openapi.yaml docs/
COPY web/ web/
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DINTEGRITY_TESTS=OFF -DINTEGRITY_BENCH=OFF -DSANITIZE=OFF \
 && cmake --build /build -j"$(nproc)" --target integrity-server \
 && /build/integrity-server --version

# ---- runtime stage: the shared libraries only, and a non-root user ----------
FROM debian:bookworm-slim
# libmariadb3 brings the client's authentication plugins, among them
# caching_sha2_password.so (MySQL 8's default) in
# /usr/lib/x86_64-linux-gnu/libmariadb3/plugin/; curl is for HEALTHCHECK.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcivetweb1 libmariadb3 libssl3 libcrypt1 libcjson1 libqrencode4 \
      libpng16-16 libjwt0 zlib1g ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 integrity \
 && useradd --system --uid 10001 --gid integrity --home-dir /nonexistent \
      --no-create-home --shell /usr/sbin/nologin integrity
# The binary finds tls-compat/ (HTTPS shims for Debian's CivetWeb) through its
# RPATH, $ORIGIN/tls-compat: keep the two side by side.
COPY --from=build /build/integrity-server /opt/integrity/integrity-server
COPY --from=build /build/tls-compat/ /opt/integrity/tls-compat/
ENV HOST=0.0.0.0 \
    PORT=5000
EXPOSE 5000
USER integrity:integrity
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS --max-time 2 "http://127.0.0.1:${PORT}/healthz" >/dev/null || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/integrity/integrity-server"]
