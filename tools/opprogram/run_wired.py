#!/usr/bin/env python3
"""Runs a captured op-program case outside any Cannon VM: the client under qemu-mips64 (or an
amd64 build of it) and the real host, wired to each other over fds 3 to 6 as a Cannon VM wires
its guest and host.

usage: run_wired.py CASE_DIR [--runner qemu|native] [--client PATH] [--timeout S] [--json]

A Cannon VM starts the host with fd 3 = hint requests in, fd 4 = hint acks out, fd 5 = pre-image
keys in, fd 6 = pre-images out (spec section 13), and its guest reads the ack on fd 3, writes
hints on fd 4, reads pre-images on fd 5 and writes keys on fd 6. qemu-user hands a guest's reads
and writes on those fds to the host kernel, so the client process gets the other ends of the same
four pipes on the same numbers and talks to the host directly. Both processes are started with
posix_spawn and dup2 file actions, as runtime/host_oracle.cpp starts the host; the host gets
NO_COLOR=1 in front of the environment, as there.

qemu: `qemu-mips64 OPPROGRAM/op-program-client64.elf`, the ELF whose load-elf state is the case's
prestate (checked: the witness hashes must match). native: the same client package built with
GOOS=linux GOARCH=amd64 (build_native_client; cached in build/opprogram/op-program-client-amd64).

The run passes only when the client exits with case.json's expected_exit and the host exits 0.
Prints one line (or a JSON object with --json): exit codes, CPU seconds of the client and of the
host (user + system from wait4, their children included), their sum, wall seconds and the peak
RSS of the larger of the two (as wait4 reports a VM process whose host is its child).
Exit status: 0 when the run passed, 1 otherwise (the end of each process's output is printed),
77 when the runner is missing (qemu-mips64 not installed).
"""
import argparse
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import run_case  # noqa: E402 (the case format's own reader)

OPT = "github.com/ethereum-optimism/optimism"
# build.sh's client ldflags and GODEBUG default, so the amd64 client is the same program.
CLIENT_LDFLAGS = (f"-X {OPT}/op-program/version.Version=v0.0.0 -X {OPT}/op-program/version.Meta= "
                  "-X=runtime.godebugDefault=decoratemappings=0,madvdontneed=0")


def mips_client(prestate):
    """The MIPS64 client ELF next to the case's prestate (build.sh writes both into one dir)."""
    return os.path.join(os.path.dirname(prestate), "op-program-client64.elf")


def check_client_matches_prestate(cannonball, elf, prestate):
    """Raises RuntimeError unless `cannonball load-elf` of elf gives the prestate's witness hash."""
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state.bin.gz")
        subprocess.run([cannonball, "load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", state,
                        "--meta", ""], check=True, stdout=subprocess.DEVNULL)
        got = run_case.witness(cannonball, state)["witnessHash"]
    want = run_case.witness(cannonball, prestate)["witnessHash"]
    if got != want:
        raise RuntimeError(f"{elf} is not the client of {prestate}: load-elf gives {got}, the prestate is {want}")


def build_native_client(out_dir):
    """Builds (when missing or older than go.mod/go.sum) the amd64 client; returns its path."""
    target = os.path.abspath(os.path.join(out_dir, "op-program-client-amd64"))
    deps = [os.path.join(HERE, f) for f in ("go.mod", "go.sum", "run_wired.py")]
    if os.path.exists(target) and all(os.path.getmtime(d) <= os.path.getmtime(target) for d in deps):
        return target
    env = {**os.environ, "GOWORK": "off", "GOFLAGS": "-mod=readonly -buildvcs=false", "CGO_ENABLED": "0",
           "GOOS": "linux", "GOARCH": "amd64"}
    if not shutil.which("go") and os.path.exists("/usr/local/go/bin/go"):
        env["PATH"] = "/usr/local/go/bin:" + env.get("PATH", "")
    tmp = f"{target}.tmp.{os.getpid()}"
    try:
        subprocess.run(["go", "build", "-trimpath", "-ldflags", CLIENT_LDFLAGS, "-o", tmp,
                        f"{OPT}/op-program/client/cmd"], check=True, cwd=HERE, env=env)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _spawn(argv, fds, env, out_path):
    """posix_spawn argv with fds[i] on fd 3+i, stdin /dev/null, stdout and stderr to out_path."""
    # High close-on-exec copies first, so placing one end never clobbers another (fds 3..6 may
    # hold some of the ends themselves).
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds]
    actions = [(os.POSIX_SPAWN_DUP2, fd, 3 + i) for i, fd in enumerate(high)]
    actions += [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
                (os.POSIX_SPAWN_DUP2, 1, 2)]
    try:
        return os.posix_spawnp(argv[0], argv, env, file_actions=actions)
    finally:
        for fd in high:
            os.close(fd)


def run_wired(client_argv, host_argv, timeout, log_dir):
    """Runs client and host wired over fds 3..6 until both end. Returns a dict: client_exit,
    host_exit (exit codes, negative for a signal), client_cpu_s, host_cpu_s, cpu_s (their sum),
    wall_s, peak_rss_kib, timed_out; the processes' output is in log_dir/{client,host}.log."""
    hint_req, hint_ack, key_req, preimage_resp = os.pipe(), os.pipe(), os.pipe(), os.pipe()
    host_ends = [hint_req[0], hint_ack[1], key_req[0], preimage_resp[1]]
    client_ends = [hint_ack[0], hint_req[1], preimage_resp[0], key_req[1]]
    host_env = {"NO_COLOR": "1", **{k: v for k, v in os.environ.items() if k != "NO_COLOR"}}
    pids = {}
    start = time.perf_counter()
    try:
        pids["host"] = _spawn(host_argv, host_ends, host_env, os.path.join(log_dir, "host.log"))
        pids["client"] = _spawn(client_argv, client_ends, dict(os.environ), os.path.join(log_dir, "client.log"))
    finally:
        for p in (hint_req, hint_ack, key_req, preimage_resp):
            for fd in p:
                os.close(fd)
    running = dict(pids)
    lock = threading.Lock()
    timed_out = []

    def kill_all():
        with lock:
            timed_out.append(True)
            for pid in running.values():
                os.kill(pid, signal.SIGKILL)
    timer = threading.Timer(timeout, kill_all)
    timer.start()
    result = {}
    try:
        for name in ("client", "host"):  # the host ends when the client closes its pipe ends
            _, status, usage = os.wait4(pids[name], 0)
            with lock:
                del running[name]
            result[f"{name}_exit"] = os.waitstatus_to_exitcode(status)
            result[f"{name}_cpu_s"] = usage.ru_utime + usage.ru_stime
            result[f"{name}_rss_kib"] = usage.ru_maxrss
    finally:
        timer.cancel()
    result["wall_s"] = time.perf_counter() - start
    result["cpu_s"] = result["client_cpu_s"] + result["host_cpu_s"]
    result["peak_rss_kib"] = max(result["client_rss_kib"], result["host_rss_kib"])
    result["timed_out"] = bool(timed_out)
    return result


def run_case_wired(case_dir, runner, timeout=1800, client=None, cannonball=None, log_dir=None):
    """Runs a case with runner 'qemu' or 'native'. Returns the run_wired dict plus expected_exit,
    passed (client exit == expected_exit, host exit 0, no timeout) and error (why not, else None)."""
    case, prestate, host = run_case.load_case(case_dir)
    if runner == "qemu":
        client = client or mips_client(prestate)
        if cannonball:
            check_client_matches_prestate(cannonball, client, prestate)
        client_argv = ["qemu-mips64", client]
    elif runner == "native":
        client_argv = [client or build_native_client(os.path.dirname(prestate))]
    else:
        raise ValueError(runner)
    with tempfile.TemporaryDirectory() as tmp:
        logs = log_dir or tmp
        r = run_wired(client_argv, host, timeout, logs)
        r["expected_exit"] = case["expected_exit"]
        errors = []
        if r["timed_out"]:
            errors.append(f"timeout after {timeout} s")
        if r["client_exit"] != case["expected_exit"]:
            errors.append(f"client exit {r['client_exit']}, want {case['expected_exit']}")
        if r["host_exit"] != 0:
            errors.append(f"host exit {r['host_exit']}")
        r["passed"] = not errors
        r["error"] = "; ".join(errors) or None
        if errors:
            for name in ("client", "host"):
                with open(os.path.join(logs, f"{name}.log"), errors="replace") as f:
                    r[f"{name}_log_tail"] = f.read()[-2000:]
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case_dir")
    ap.add_argument("--runner", choices=("qemu", "native"), default="qemu")
    ap.add_argument("--client", help="client binary (default: the ELF beside the prestate, or the amd64 build)")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.case_dir, "case.json")):
        print(f"error: {args.case_dir}/case.json not found", file=sys.stderr)
        return 1
    if args.runner == "qemu" and not shutil.which("qemu-mips64"):
        print("skip: qemu-mips64 is not installed", file=sys.stderr)
        return 77
    cannonball = os.environ.get("CANNONBALL") or os.path.join(ROOT, "build", "tools", "cannonball")
    r = run_case_wired(args.case_dir, args.runner, args.timeout, args.client,
                       cannonball if os.path.exists(cannonball) else None)
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        print(f"{args.runner}: client exit {r['client_exit']} (want {r['expected_exit']}), host exit {r['host_exit']}, "
              f"CPU {r['cpu_s']:.2f} s (client {r['client_cpu_s']:.2f}, host {r['host_cpu_s']:.2f}), "
              f"wall {r['wall_s']:.2f} s, peak RSS {r['peak_rss_kib'] / 1024:.0f} MiB")
    if not r["passed"]:
        for name in ("client", "host"):
            print(f"--- end of the {name}'s output:\n{r.get(name + '_log_tail', '')}", file=sys.stderr)
        print(f"error: {r['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
