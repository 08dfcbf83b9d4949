#!/usr/bin/env bash
# What only the tests need, installed when missing (run by `make test`):
# - Chromium (with fonts) for the dashboard's browser test, from Debian's packages;
# - the `docker compose` CLI plugin, for validating deployments/docker-compose.yml. There is no
#   Docker engine here, only the client, and Debian ships no Compose v2: it is built from its
#   Go module (pinned below) into ~/.cache/backbeat and linked as the client's plugin.
set -euo pipefail

COMPOSE_VERSION=v2.40.3
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/backbeat/docker-compose-$COMPOSE_VERSION"
PLUGINS="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing with apt-get: chromium fonts-liberation"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
  else
    echo "error: chromium is missing (Debian: sudo apt-get install chromium fonts-liberation)" >&2
    exit 1
  fi
fi

if ! docker compose version >/dev/null 2>&1; then
  if [ ! -x "$CACHE/docker-compose" ]; then
    command -v go >/dev/null 2>&1 || { echo "error: building docker compose needs Go" >&2; exit 1; }
    echo "building docker compose $COMPOSE_VERSION from its Go module (a few minutes, once)"
    source_dir=$(go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" |
      python3 -c "import json, sys; print(json.load(sys.stdin)['Dir'])")
    work=$(mktemp -d)
    cp -r "$source_dir/." "$work" && chmod -R u+w "$work"
    mkdir -p "$CACHE"
    (cd "$work" && go build -trimpath -o "$CACHE/docker-compose" \
      -ldflags "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" ./cmd)
    rm -rf "$work"
  fi
  mkdir -p "$PLUGINS"
  ln -sf "$CACHE/docker-compose" "$PLUGINS/docker-compose"
fi
