# Shared set-up for scripts/run and scripts/test: installs what is missing, says what it does.
# Sourced, not run. Fails loudly when something cannot be installed.

OSMEM_VERSION="0.1.6"

log() { printf 'expvastic: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else log "need root to run: $* (install it by hand, then re-run)"; return 1
    fi
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        log "apt-get update"
        as_root apt-get update -qq >/dev/null
        apt_updated=1
    fi
    log "installing Debian packages: $*"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# libyaml (headers + pkg-config file) for the CYaml system-library target.
ensure_libyaml() {
    if ! pkg-config --exists yaml-0.1 2>/dev/null; then
        command -v pkg-config >/dev/null 2>&1 || apt_install pkg-config
        apt_install libyaml-dev
        pkg-config --exists yaml-0.1 || { log "libyaml-dev is still missing"; return 1; }
    fi
}

# Debian's Go toolchain, to build the real expvar program the integration tests poll.
ensure_go() {
    command -v go >/dev/null 2>&1 || apt_install golang-go
    command -v go >/dev/null 2>&1 || { log "go is still missing after installing golang-go"; return 1; }
}

# The Prometheus project's own text-format parser, used to check /metrics.
ensure_prometheus_client() {
    /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || apt_install python3-prometheus-client
    /usr/bin/python3 -c 'import prometheus_client' || { log "python3-prometheus-client is missing"; return 1; }
}

# osmem-server (an in-memory OpenSearch-compatible server) in a git-ignored virtual environment.
ensure_osmem() {
    local venv="$1/.venv"
    local bin="$venv/lib/python3*/site-packages/osmem_server/bin/osmem-server"
    # shellcheck disable=SC2086
    if ! ls $bin >/dev/null 2>&1 || ! "$venv/bin/pip" show osmem-server 2>/dev/null | grep -q "^Version: $OSMEM_VERSION$"; then
        log "installing osmem-server==$OSMEM_VERSION into .venv"
        if ! python3 -m venv "$venv" 2>/dev/null; then
            apt_install python3-venv
            python3 -m venv "$venv"
        fi
        "$venv/bin/pip" install -q --disable-pip-version-check "osmem-server==$OSMEM_VERSION"
    fi
    # shellcheck disable=SC2086
    OSMEM_SERVER_BIN="$(ls $bin | head -n 1)"
    [ -x "$OSMEM_SERVER_BIN" ] || { log "osmem-server binary not found in $venv"; return 1; }
    export OSMEM_SERVER_BIN
}
