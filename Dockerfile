# syntax=docker/dockerfile:1
#
# SidecarProxy container image.
#
#   docker build -t sidecarproxy .
#
# Ports (all configurable, these are the image's defaults):
#   15443  agent-facing mTLS listener (Sidecar:Listen)
#    9090  /metrics, /healthz, /readyz, /.well-known/jwks.json (Sidecar:Metrics:Listen)
#
# Runs as the image's non-root `app` user (UID 1654) and writes nothing to its own filesystem: it works with a
# read-only root filesystem (`docker run --read-only`, Kubernetes readOnlyRootFilesystem). The audit trail goes to
# stdout unless Sidecar__Audit__Path names a file on a mounted volume.

ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Restore in its own layer: it only reruns when a project file or the central package versions change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY proxy/SidecarProxy/SidecarProxy.csproj proxy/SidecarProxy/
COPY proxy/SidecarProxy.Rego/SidecarProxy.Rego.csproj proxy/SidecarProxy.Rego/
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet restore proxy/SidecarProxy/SidecarProxy.csproj

COPY proxy/ proxy/
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish proxy/SidecarProxy/SidecarProxy.csproj -c Release -o /out /p:UseAppHost=false

# The non-chiseled runtime image on purpose: it has bash, which the HEALTHCHECK below uses to probe /healthz over
# /dev/tcp without adding curl or wget. The chiseled image (aspnet:10.0-noble-chiseled) has no shell at all; moving
# to it needs a health subcommand in the sidecar itself (HEALTHCHECK CMD ["dotnet", "SidecarProxy.dll", "health"]).
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
WORKDIR /app

COPY --from=build --chown=root:root /out/ ./
# Baked-in policies; mount a directory over /app/policies to replace them (the embedded engine reloads on change).
COPY --chown=root:root policies/ /app/policies/

ENV \
    # Listeners: all interfaces inside the container; publish only what you need.
    Sidecar__Listen=https://0.0.0.0:15443 \
    Sidecar__Metrics__Listen=http://0.0.0.0:9090 \
    Sidecar__Policy__Directory=/app/policies \
    Sidecar__Audit__Path=- \
    # The sidecar configures its own listeners; the image's default HTTP port 8080 must not open a plain listener.
    ASPNETCORE_HTTP_PORTS= \
    # No diagnostic IPC socket and no perf maps in /tmp: nothing writes to the filesystem, so --read-only works.
    # To attach dotnet-counters/dotnet-trace, set DOTNET_EnableDiagnostics=1 and mount a tmpfs at /tmp.
    DOTNET_EnableDiagnostics=0 \
    DOTNET_gcServer=1 \
    HEALTH_PORT=9090

EXPOSE 15443 9090

# APP_UID (1654) is defined by the base image; a numeric UID lets Kubernetes check runAsNonRoot.
USER $APP_UID

# Liveness from inside the container: one HTTP/1.0 request to /healthz on the metrics port, success on a 200 status.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${HEALTH_PORT} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r -t 2 _ status _ <&3 && [ \"$status\" = 200 ]"]

ENTRYPOINT ["dotnet", "/app/SidecarProxy.dll"]
