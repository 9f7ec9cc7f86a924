# Warden's server image: `warden serve` as a static binary on an empty base,
# running as a non-root user, its SQLite data on a volume, with a health
# check that needs no shell or curl (`warden health` probes /readyz).
#
#   docker build -t warden .
#   docker run -p 8844:8844 -p 4317:4317 -v warden-data:/var/lib/warden warden
#
# For PostgreSQL set WARDEN_DATABASE_URL; for TLS mount a certificate and set
# the server's tls_cert/tls_key (docs/deploy.md). Tokens: exec
# `warden token create` in the container, against the same data.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: modernc.org/sqlite is pure Go, so the binary runs on scratch.
RUN CGO_ENABLED=0 go build -trimpath -tags grpcnotrace -ldflags "-s -w" -o /out/warden ./cmd/warden \
	&& mkdir -p /out/data /out/tmp \
	&& cp /etc/ssl/certs/ca-certificates.crt /out/ca-certificates.crt

FROM scratch
# CA roots for outbound TLS (webhooks, a TLS PostgreSQL).
COPY --from=build /out/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build --chown=65532:65532 /out/data /var/lib/warden
COPY --from=build --chown=65532:65532 --chmod=1777 /out/tmp /tmp
COPY --from=build /out/warden /usr/local/bin/warden
USER 65532:65532
ENV HOME=/var/lib/warden \
	WARDEN_DATA_DIR=/var/lib/warden \
	WARDEN_ADDR=0.0.0.0:8844 \
	WARDEN_GRPC_ADDR=0.0.0.0:4317
VOLUME ["/var/lib/warden"]
EXPOSE 8844 4317
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
	CMD ["/usr/local/bin/warden", "health"]
ENTRYPOINT ["/usr/local/bin/warden", "serve"]
