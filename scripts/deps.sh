# Shared set-up for scripts/run and scripts/test: installs what is missing and says what it does.
# Sourced, not run. Every ensure_* function either leaves the dependency usable or fails (returns
# non-zero with a message saying what to do); nothing is ever skipped, with or without CI=true.
#
# What the tests need on a fresh Debian machine that has only Swift:
#   libyaml-dev (+ pkg-config)      the CYaml system-library target
#   zlib1g-dev                       the CZlib system-library target (gzip request bodies)
#   golang-go                        builds Tests/GoExpvar, the real Go expvar program
#   python3-prometheus-client        the Prometheus project's parser, checks /metrics
#   openssl (+ libssl3)              makes the certificates of the https tests; libssl3 is what
#                                    expvasyml loads at run time for https
#   prometheus-node-exporter,        real exporters the Prometheus reader's integration tests scrape
#   prometheus                       (Prometheus serves its own /metrics)
#   golang-github-prometheus-client-golang-dev   client_golang for Tests/PromClientGo (built offline)
#   golang-github-prometheus-common-dev          expfmt.TextParser for the prometheus-node benchmark
#   osmem-server==$OSMEM_VERSION     OpenSearch-compatible server (PyPI), in <repo>/.venv (git-ignored)
#   chromium                         headless browser that loads the status page (Debian's chromium)
#   etcd-server (3.4)                the coordinator of a pool (cluster:); tests start `etcd` themselves

OSMEM_VERSION="0.1.6"

log() { printf 'expvastic: %s\n' "$*" >&2; }
fail() { log "error: $*"; return 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo -n "$@" || fail "sudo -n $* failed (no password-less sudo?): run it by hand, then re-run"
    else fail "need root to run: $* (install it by hand, then re-run)"
    fi
}

apt_updated=""
apt_install() {
    command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: install $* with your package manager, then re-run"
    if [ -z "$apt_updated" ]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        apt_updated=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# libyaml (headers + pkg-config file) for the CYaml system-library target.
ensure_libyaml() {
    command -v pkg-config >/dev/null 2>&1 || apt_install pkg-config
    pkg-config --exists yaml-0.1 2>/dev/null || apt_install libyaml-dev
    pkg-config --exists yaml-0.1 || fail "libyaml-dev is still missing (pkg-config cannot find yaml-0.1)"
    log "libyaml $(pkg-config --modversion yaml-0.1)"
}

# zlib (headers + pkg-config file) for the CZlib system-library target: gzip bulk bodies.
ensure_zlib() {
    command -v pkg-config >/dev/null 2>&1 || apt_install pkg-config
    pkg-config --exists zlib 2>/dev/null || apt_install zlib1g-dev
    pkg-config --exists zlib || fail "zlib1g-dev is still missing (pkg-config cannot find zlib)"
    log "zlib $(pkg-config --modversion zlib)"
}

# Debian's Go toolchain, to build the real expvar program the integration tests poll.
ensure_go() {
    command -v go >/dev/null 2>&1 || apt_install golang-go
    command -v go >/dev/null 2>&1 || fail "go is still missing after installing golang-go"
    log "$(go version)"
}

# The Prometheus project's own text-format parser, used to check /metrics (Debian's python3).
ensure_prometheus_client() {
    /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || apt_install python3-prometheus-client
    /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null \
        || fail "python3-prometheus-client is missing (/usr/bin/python3 cannot import prometheus_client)"
    log "prometheus_client $(/usr/bin/python3 -c 'import importlib.metadata as m; print(m.version("prometheus_client"))' 2>/dev/null || echo '(version unknown)')"
}

# Real Prometheus exporters for the prometheus reader's integration tests: node_exporter, the
# Prometheus server (its own /metrics) and Debian's client_golang / common Go sources (built offline
# with GO111MODULE=off GOPATH=/usr/share/gocode by the tests and the prometheus-node benchmark).
ensure_prometheus_exporters() {
    command -v prometheus-node-exporter >/dev/null 2>&1 || apt_install prometheus-node-exporter
    command -v prometheus >/dev/null 2>&1 || apt_install prometheus
    [ -d /usr/share/gocode/src/github.com/prometheus/client_golang/prometheus ] \
        || apt_install golang-github-prometheus-client-golang-dev
    [ -d /usr/share/gocode/src/github.com/prometheus/common/expfmt ] \
        || apt_install golang-github-prometheus-common-dev
    command -v prometheus-node-exporter >/dev/null 2>&1 || fail "prometheus-node-exporter is still missing"
    command -v prometheus >/dev/null 2>&1 || fail "prometheus is still missing"
    [ -d /usr/share/gocode/src/github.com/prometheus/client_golang/prometheus ] \
        || fail "golang-github-prometheus-client-golang-dev is still missing (/usr/share/gocode/src/github.com/prometheus/client_golang)"
    [ -d /usr/share/gocode/src/github.com/prometheus/common/expfmt ] \
        || fail "golang-github-prometheus-common-dev is still missing (/usr/share/gocode/src/github.com/prometheus/common)"
    log "$(prometheus-node-exporter --version 2>&1 | head -n 1); $(prometheus --version 2>&1 | head -n 1)"
}

# The openssl command (certificates for the https tests) and, as its dependency, libssl3, which
# expvasyml loads with dlopen for https endpoints.
ensure_openssl() {
    command -v openssl >/dev/null 2>&1 || apt_install openssl
    command -v openssl >/dev/null 2>&1 || fail "openssl is still missing after installing openssl"
    log "$(openssl version)"
}

# Debian's Chromium, run headless by the status page's browser test; exports CHROMIUM_BIN.
ensure_chromium() {
    command -v chromium >/dev/null 2>&1 || apt_install chromium
    CHROMIUM_BIN="$(command -v chromium || true)"
    [ -n "$CHROMIUM_BIN" ] || fail "chromium is still missing after installing chromium"
    export CHROMIUM_BIN
    log "$("$CHROMIUM_BIN" --version 2>/dev/null | head -n 1) at $CHROMIUM_BIN"
}

# osmem-server (an in-memory OpenSearch-compatible server) in a git-ignored virtual environment;
# exports OSMEM_SERVER_BIN.
# Debian's dnsmasq-base (the binary only, no service): the DNS server the discovery tests start on
# 127.0.0.1 with SRV and A records of their own.
ensure_dnsmasq() {
    command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || apt_install dnsmasq-base
    [ -x /usr/sbin/dnsmasq ] || command -v dnsmasq >/dev/null 2>&1 || fail "dnsmasq not found after installing dnsmasq-base"
}

# etcd for the pool tests: only the binary is used. The tests never talk to a system service (they
# start their own `etcd` processes on free ports in temporary data directories).
ensure_etcd() {
    command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || apt_install etcd-server
    command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || fail "etcd not found after installing etcd-server"
    log "$(etcd --version 2>&1 | head -n 1)"
}

ensure_osmem() {
    local venv="$1/.venv" python=/usr/bin/python3 bin
    [ -x "$python" ] || python="$(command -v python3 || true)"
    if [ -z "$python" ]; then apt_install python3; python=/usr/bin/python3; fi
    local installed=""
    # sed reads all of pip's output: grep -q would exit early and, under pipefail, fail the pipeline.
    [ -x "$venv/bin/python" ] \
        && installed="$("$venv/bin/python" -m pip show osmem-server 2>/dev/null | sed -n 's/^Version: //p')"
    if [ "$installed" != "$OSMEM_VERSION" ]; then
        log "installing osmem-server==$OSMEM_VERSION into $venv (found: ${installed:-none})"
        if [ ! -x "$venv/bin/pip" ]; then
            rm -rf "$venv"
            if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
                rm -rf "$venv"
                apt_install python3-venv
                "$python" -m venv "$venv" || fail "could not create $venv with $python -m venv"
            fi
        fi
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "osmem-server==$OSMEM_VERSION" \
            || fail "pip could not install osmem-server==$OSMEM_VERSION from PyPI (network?)"
    fi
    bin="$(ls "$venv"/lib/python3*/site-packages/osmem_server/bin/osmem-server 2>/dev/null | head -n 1)"
    [ -n "$bin" ] && [ -x "$bin" ] || fail "osmem-server binary not found under $venv (delete .venv and re-run)"
    OSMEM_SERVER_BIN="$bin"
    export OSMEM_SERVER_BIN
    log "osmem-server $("$OSMEM_SERVER_BIN" -version 2>&1 | head -n 1) at $OSMEM_SERVER_BIN"
}
