# shellcheck shell=bash
# scripts/services.sh -- throwaway test services for ConsumerDesk. Source it, don't run it:
#
#   source scripts/services.sh
#   ci_install    # idempotent: apt packages (skipped when present) + pinned Python tools venv
#   ci_start      # PostgreSQL 15 + SMTP sink on 127.0.0.1, exports the variables below
#   ci_stop       # stops both, removes the temp dir; safe to call twice
#
# Exports after ci_start:
#   TEST_DATABASE_URL  postgres://app:app_pw@127.0.0.1:$PGPORT/consumerdesk_test
#                      (deliberately NOT DATABASE_URL: scripts/test decides per run which DB to use)
#   MAIL_DIR           Maildir root of the SMTP sink; each message is one file in $MAIL_DIR/new
#   SMTP_SINK_PORT     port of the SMTP sink on 127.0.0.1
#   CHROME_BIN CHROMEDRIVER SE_OFFLINE SE_AVOID_STATS   for the Selenium tests
#   CI_TMP             the run's temp dir (PostgreSQL data + logs, sink log, mail)
#   VENV               the Python tools venv (also set as soon as this file is sourced)
#
# Knobs: PGPORT (default 55432), SMTP_SINK_PORT (default 2525),
#        CD_TOOLS (default ~/.cache/consumerdesk-tools; the venv lives in $CD_TOOLS/venv).
#
# This file leaves the caller's shell options alone (it works with and without `set -euo pipefail`):
# every function reports its own errors and returns non-zero.

CD_PG_BIN=/usr/lib/postgresql/15/bin
CD_TOOLS=${CD_TOOLS:-${HOME:-/root}/.cache/consumerdesk-tools}
VENV=$CD_TOOLS/venv
export VENV
CD_PY_PINS=(selenium==4.51.0 aiosmtpd==1.4.6 pytest==9.0.3 holidays==0.108 snowballstemmer==3.1.1 python-docx==1.2.0 axe-selenium-python==2.1.6 websockets==17.4 openpyxl==3.1.5 georeport==0.3.1 schemathesis==4.32.5 oidc-provider-mock==0.3.4 feedparser==6.0.14 icalendar==7.3.0)
CD_APT_FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

_ci_say() { printf '[services] %s\n' "$*" >&2; }
_ci_err() { printf '[services] ERROR: %s\n' "$*" >&2; return 1; }

# Run a command as root (directly, or through sudo for a non-root developer).
_ci_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        _ci_err "need root (or sudo) for: $*"
    fi
}

# Run a PostgreSQL binary: as user postgres when we are root (postgres refuses to run as root),
# otherwise as the current user.
_ci_pg() {
    local tool=$1
    shift
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$CD_PG_BIN/$tool" "$@"
    else
        "$CD_PG_BIN/$tool" "$@"
    fi
}

# True when nothing listens on 127.0.0.1:$1 (SO_REUSEADDR, so TIME_WAIT leftovers don't count).
_ci_port_free() {
    python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# True when the venv exists, its Python runs, and every pinned package is at its pinned version.
_ci_venv_ok() {
    [[ -x $VENV/bin/python && -x $VENV/bin/pytest ]] || return 1
    "$VENV/bin/python" - "${CD_PY_PINS[@]}" >/dev/null 2>&1 <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
}

ci_install() {
    local t0=$SECONDS
    local -a missing=()
    [[ -x $CD_PG_BIN/postgres && -x $CD_PG_BIN/initdb && -x $CD_PG_BIN/pg_ctl && -x $CD_PG_BIN/psql ]] \
        || missing+=(postgresql-15)
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    [[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
    [[ -e $CD_APT_FONT ]] || missing+=(fonts-dejavu-core)
    if ! command -v python3 >/dev/null 2>&1; then
        missing+=(python3 python3-venv)
    elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi

    if ((${#missing[@]})); then
        _ci_say "apt-get install ${missing[*]}"
        _ci_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            || { _ci_err "apt-get update failed"; return 1; }
        _ci_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
            || { _ci_err "apt-get install ${missing[*]} failed"; return 1; }
    else
        _ci_say "apt packages already present (postgresql-15, chromium, chromium-driver, fonts-dejavu-core)"
    fi

    if _ci_venv_ok; then
        _ci_say "Python tools already installed in $VENV"
    else
        # A venv whose interpreter no longer runs (e.g. its base Python was removed) is rebuilt.
        if [[ -e $VENV ]] && ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
            _ci_say "removing broken venv $VENV"
            rm -rf -- "$VENV"
        fi
        if [[ ! -x $VENV/bin/python ]]; then
            mkdir -p -- "$CD_TOOLS" && python3 -m venv "$VENV" \
                || { _ci_err "python3 -m venv $VENV failed"; return 1; }
        fi
        _ci_say "pip install ${CD_PY_PINS[*]} into $VENV"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${CD_PY_PINS[@]}" \
            || { _ci_err "pip install failed"; return 1; }
        _ci_venv_ok || { _ci_err "venv $VENV still lacks ${CD_PY_PINS[*]}"; return 1; }
    fi
    _ci_say "install done in $((SECONDS - t0)) s"
}

ci_start() {
    local pgport=${PGPORT:-55432} smtpport=${SMTP_SINK_PORT:-2525}

    if [[ -n ${CI_TMP:-} && -d ${CI_TMP:-} ]]; then
        _ci_err "services already started (CI_TMP=$CI_TMP); call ci_stop first"
        return 1
    fi
    [[ -x $CD_PG_BIN/initdb ]] || { _ci_err "PostgreSQL 15 not installed: run ci_install first"; return 1; }
    _ci_venv_ok || { _ci_err "Python tools venv missing or stale: run ci_install first"; return 1; }

    if ! _ci_port_free "$pgport"; then
        _ci_err "port 127.0.0.1:$pgport is busy, cannot start the test PostgreSQL there." \
            "Stop whatever listens on it (ss -ltnp | grep :$pgport) or pick another: PGPORT=<port>"
        return 1
    fi
    if ! _ci_port_free "$smtpport"; then
        _ci_err "port 127.0.0.1:$smtpport is busy, cannot start the SMTP sink there." \
            "Stop whatever listens on it (ss -ltnp | grep :$smtpport) or pick another: SMTP_SINK_PORT=<port>"
        return 1
    fi

    # /tmp, not $TMPDIR or $HOME: user postgres must be able to reach the data directory.
    CI_TMP=$(mktemp -d /tmp/consumerdesk-ci.XXXXXX) || { _ci_err "mktemp failed"; return 1; }
    export CI_TMP
    chmod 755 "$CI_TMP"
    mkdir "$CI_TMP/pg"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$CI_TMP/pg"; fi

    # --- PostgreSQL 15: superuser over the Unix socket in $CI_TMP/pg (trust), app over TCP (scram).
    if ! _ci_pg initdb -D "$CI_TMP/pg/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$CI_TMP/initdb.log" 2>&1; then
        cat "$CI_TMP/initdb.log" >&2
        _ci_err "initdb failed"
        ci_stop
        return 1
    fi
    if ! _ci_pg pg_ctl -D "$CI_TMP/pg/data" -l "$CI_TMP/pg/postgres.log" -w -t 30 start -o \
        "-c listen_addresses=127.0.0.1 -p $pgport -k $CI_TMP/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500" \
        >/dev/null; then
        tail -n 30 "$CI_TMP/pg/postgres.log" >&2 2>/dev/null
        _ci_err "PostgreSQL did not start on 127.0.0.1:$pgport (log above)"
        ci_stop
        return 1
    fi
    if ! _ci_pg psql -h "$CI_TMP/pg" -p "$pgport" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE app LOGIN PASSWORD 'app_pw'" \
        -c "CREATE DATABASE consumerdesk_test OWNER app" >/dev/null; then
        _ci_err "could not create role app / database consumerdesk_test"
        ci_stop
        return 1
    fi
    export TEST_DATABASE_URL="postgres://app:app_pw@127.0.0.1:$pgport/consumerdesk_test"

    # --- SMTP sink: aiosmtpd writing Maildir (-n: no setuid to nobody, -u: SMTPUTF8).
    export MAIL_DIR="$CI_TMP/mail" SMTP_SINK_PORT=$smtpport
    "$VENV/bin/python" -m aiosmtpd -n -u -l "127.0.0.1:$smtpport" \
        -c aiosmtpd.handlers.Mailbox "$MAIL_DIR" </dev/null >"$CI_TMP/smtp.log" 2>&1 &
    local smtp_pid=$!
    disown "$smtp_pid" 2>/dev/null || true # no "Terminated" job notice when ci_stop kills it
    echo "$smtp_pid" >"$CI_TMP/smtp.pid"
    local i ready=0
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$smtp_pid" 2>/dev/null; then break; fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$smtpport") 2>/dev/null; then
            ready=1
            break
        fi
        sleep 0.1
    done
    if ((!ready)); then
        cat "$CI_TMP/smtp.log" >&2
        _ci_err "SMTP sink did not start on 127.0.0.1:$smtpport (log above)"
        ci_stop
        return 1
    fi
    mkdir -p "$MAIL_DIR/new" "$MAIL_DIR/cur" "$MAIL_DIR/tmp"

    # --- Browser: Debian's chromium + chromedriver; keep Selenium Manager off the network.
    export CHROME_BIN=/usr/bin/chromium CHROMEDRIVER=/usr/bin/chromedriver
    export SE_OFFLINE=true SE_AVOID_STATS=true

    _ci_say "PostgreSQL 15 on 127.0.0.1:$pgport (TEST_DATABASE_URL), SMTP sink on 127.0.0.1:$smtpport -> $MAIL_DIR/new"
}

ci_stop() {
    local dir=${CI_TMP:-}
    [[ -n $dir ]] || return 0 # never started, or already stopped

    if [[ -f $dir/smtp.pid ]]; then
        local pid i
        pid=$(<"$dir/smtp.pid")
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            for ((i = 0; i < 50; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        fi
    fi

    if [[ -f $dir/pg/data/postmaster.pid ]]; then
        _ci_pg pg_ctl -D "$dir/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
            || _ci_pg pg_ctl -D "$dir/pg/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
            || _ci_say "warning: could not stop PostgreSQL in $dir/pg/data"
    fi

    # Only ever remove a directory that ci_start made.
    case $dir in
    /tmp/consumerdesk-ci.*) rm -rf -- "$dir" ;;
    *) _ci_say "warning: not removing unexpected CI_TMP=$dir" ;;
    esac
    unset CI_TMP TEST_DATABASE_URL MAIL_DIR
    return 0
}
