# Hourglass in one container: nginx and hourglass-fcgi started by the same
# scripts/serve as `make run`, with the same nginx.conf.
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
	build-essential libfcgi-dev libsqlite3-dev libcjson-dev nettle-dev \
	libcurl4-openssl-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY lib lib
COPY fcgi fcgi
COPY taskrunner taskrunner
COPY cli cli
COPY sql sql
COPY scripts scripts
COPY docs/openapi.json docs/openapi.json
RUN make build/hourglass-fcgi build/hourglass-runner build/hourglass

# libcurl4 sends webhooks; ca-certificates lets it verify an https
# receiver (without recommends, curl does not bring them).
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
	libfcgi0ldbl libsqlite3-0 libcjson1 libnettle8 libcurl4 ca-certificates \
	nginx-light curl \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --create-home --home-dir /var/lib/hourglass hourglass
WORKDIR /opt/hourglass
COPY --from=build /src/build/hourglass-fcgi /src/build/hourglass-runner build/
# The command line, on PATH: `docker compose exec hourglass hourglass ls`.
COPY --from=build /src/build/hourglass /usr/local/bin/hourglass
COPY scripts/serve scripts/serve
COPY nginx.conf kinds.json ./
COPY www www
# Inside the container nginx listens on every interface; compose publishes
# the port on the host's loopback only.
ENV HOURGLASS_BIND=0.0.0.0 \
	HOURGLASS_PORT=8080 \
	HOURGLASS_DATA=/var/lib/hourglass/data \
	HOURGLASS_KINDS=/opt/hourglass/kinds.json
USER hourglass
RUN mkdir -p /var/lib/hourglass/data
VOLUME /var/lib/hourglass/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s \
	CMD curl -fsS http://127.0.0.1:8080/api/health || exit 1
CMD ["scripts/serve"]
