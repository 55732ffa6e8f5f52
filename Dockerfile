# syntax=docker/dockerfile:1
# Palisade: one self-contained `palisade` binary with the page embedded.
# Mirrors `cargo xtask run`: the xtask builds the WASM page into dist/, then
# the server embeds dist/ at compile time.

FROM rust:1-bookworm AS build
RUN rustup target add wasm32-unknown-unknown \
 && apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The tool cache (wasm-bindgen, binaryen) lives in a cache mount between builds.
RUN --mount=type=cache,target=/root/.cache/palisade \
    --mount=type=cache,target=/usr/local/cargo/registry \
    cargo xtask build-web \
 && cargo build --release --locked -p server --bin palisade

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/palisade --shell /usr/sbin/nologin palisade \
 && mkdir -p /var/lib/palisade \
 && chown palisade:palisade /var/lib/palisade
COPY --from=build /src/target/release/palisade /usr/local/bin/palisade
USER palisade
ENV PALISADE_DATA_DIR=/var/lib/palisade
# Replicas share PostgreSQL with -e PALISADE_DATABASE_URL=postgres://…; live
# flows: append --hubble-relay HOST:PORT (and hubble's --tls flags) to serve.
VOLUME ["/var/lib/palisade"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/palisade"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
