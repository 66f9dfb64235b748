# Shared by the benchmark scripts: a rootless lab built with unshare/nsenter.
# Source it, check prerequisites, then call `lab_enter "$@"`: the script runs
# again inside a fresh user + network + mount + PID namespace with
# "--in-lab WORKDIR" as its first arguments and every capability. Only the
# lab's own namespaces are ever configured, so no packet can leave the machine.
#
# Inside: new_host (a network namespace, HOST_PID), in_ns PID CMD…,
# wait_until SECONDS WHAT CMD… (readiness polling, never fixed sleeps),
# stop PID, and `pids` (stopped at exit; the PID namespace is the backstop).

# Prints the message and exits 2 (a missing program, a lab that will not come up).
die() { echo "${LAB_NAME:-lab}: $*" >&2; exit 2; }

# $NETWALK, or the release binary of the checkout at $1, built if stale: for
# the host's own target, or for $NETWALK_TARGET (the static musl build:
# NETWALK_TARGET=x86_64-unknown-linux-musl). Its path is cargo's own answer.
netwalk_release() {
    if [[ -n "${NETWALK:-}" ]]; then echo "$NETWALK"; return; fi
    (cd "$1" && cargo build --release --quiet ${NETWALK_TARGET:+--target "$NETWALK_TARGET"} \
        --message-format=json-render-diagnostics) |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1
}

# Dies unless each program:apt-package pair is installed.
need() {
    local pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null ||
            die "${pair%%:*} is missing: install it with 'apt-get install ${pair#*:}'"
    done
}

# Re-runs the calling script inside the lab and exits with its status.
# The work directory is removed on success unless KEEP=1.
lab_enter() {
    need unshare:util-linux nsenter:util-linux ip:iproute2
    local work rc=0 lab
    work=$(mktemp -d "${TMPDIR:-/tmp}/${LAB_NAME:-lab}.XXXXXX")
    # `unshare -Urn` with two changes:
    # * uid 1000 holding every capability (ambient, --keep-caps) rather than
    #   uid 0: as uid 0, tcpdump insists on switching user and initgroups()
    #   always fails in a user namespace whose setgroups is denied.
    # * --pid --fork --kill-child: the lab's first process is PID 1 of its own
    #   PID namespace, so when it ends (even by SIGKILL) the kernel kills every
    #   host, server and capture left inside, and the namespaces die with them.
    unshare --user --map-user=1000 --map-group=1000 --keep-caps \
        --net --mount --pid --fork --kill-child --mount-proc \
        bash "$0" --in-lab "$work" "$@" &
    lab=$!
    # unshare ignores INT and TERM while it waits; killing it makes --kill-child
    # kill the lab's PID 1, and with it everything in the lab.
    trap 'kill -KILL "$lab" 2>/dev/null || true' INT TERM
    wait "$lab" || rc=$?
    # A trap interrupts `wait`: wait again for the lab's real exit status.
    while kill -0 "$lab" 2>/dev/null; do rc=0; wait "$lab" || rc=$?; done
    if [[ $rc -eq 0 && "${KEEP:-0}" != 1 ]]; then
        rm -rf "$work"
    else
        echo "work directory kept: $work" >&2
    fi
    exit "$rc"
}

pids=()

lab_teardown() {
    local pid
    for pid in "${pids[@]}"; do stop "$pid"; done
}

# Call first thing inside the lab.
lab_inside() {
    trap lab_teardown EXIT
    trap 'exit 130' INT TERM
}

# Polls a condition (a command) every 10 ms for up to $1 seconds.
wait_until() {
    local limit=$1 what=$2; shift 2
    local deadline=$((SECONDS + limit))
    until "$@"; do
        ((SECONDS < deadline)) || die "timed out after ${limit}s waiting for $what"
        sleep 0.01
    done
}

# Runs a command in a host's network namespace. Background programs are
# started with nsenter itself (not through a function) so that $! is the
# program: nsenter execs it.
in_ns() { local pid=$1; shift; nsenter --net="/proc/$pid/ns/net" -- "$@"; }

# Stops a background program: TERM (background jobs ignore INT), KILL after 2 s.
stop() {
    local pid=$1 deadline=$((SECONDS + 2))
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.01; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

ns_differs() { [[ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]]; }

# A host is a sleeping process in its own network namespace; sets HOST_PID.
new_host() {
    unshare --net sleep infinity </dev/null >/dev/null 2>&1 &
    HOST_PID=$!
    pids+=("$HOST_PID")
    # unshare(2) happens after fork: wait until the child really is elsewhere.
    wait_until 5 "a network namespace" ns_differs "$HOST_PID"
    in_ns "$HOST_PID" ip link set lo up
}
