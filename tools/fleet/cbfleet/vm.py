"""Thin wrappers around the `cannonball` binary, used by the driver and inside Ray tasks.

Every function here runs the binary as a child process and returns plain data. Children get
SIGKILL when their parent dies (PR_SET_PDEATHSIG), so a Ray worker killed mid-task leaves no
orphan VM behind and the retried task starts from scratch.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import tempfile
import threading
import time

PR_SET_PDEATHSIG = 1


class CannonballError(Exception):
    """The binary refused the input or failed (exit 1): a real failure, not retried."""


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


def call(argv: list[str], env: dict | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run(argv, capture_output=True, text=True, env=full_env, timeout=timeout,
                          preexec_fn=_die_with_parent)


def error_text(proc: subprocess.CompletedProcess) -> str:
    lines = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    text = lines[-1] if lines else (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]
    return text[len("error: "):] if text.startswith("error: ") else text


def witness(binary: str, state_path: str) -> dict:
    """stateVersion, witnessHash, step, exited, exitCode of a state file."""
    proc = call([binary, "witness", "--input", state_path])
    if proc.returncode != 0:
        raise CannonballError("witness %s: %s" % (state_path, error_text(proc)))
    return json.loads(proc.stdout)


def run_to(binary: str, state_path: str, engine: str, stop_at: int | None, output: str,
           env: dict | None = None, extra: list[str] | None = None) -> dict:
    """Run a state with one engine up to step `stop_at` (None: to the exit) and describe the end.

    Returns {"ok": True, "hash", "step", "exited", "exit_code", "seconds"} or, for a VM exception
    (exit 2), {"ok": False, "exception": message, "seconds"}. Bad input raises CannonballError.
    """
    argv = [binary, "run", "--input", state_path, "--output", output, "--meta", "", "--info-at", "never",
            "--engine", engine]
    if stop_at is not None:
        argv += ["--stop-at", "=%d" % stop_at]
    argv += extra or []
    measured = call_measured(argv, env, None)
    proc, seconds, cpu = measured["completed"], measured["seconds"], measured["cpu_seconds"]
    if proc.returncode == 2:
        return {"ok": False, "exception": error_text(proc), "seconds": seconds, "cpu_seconds": cpu}
    if proc.returncode != 0:
        raise CannonballError("run (%s) %s: %s" % (engine, os.path.basename(state_path), error_text(proc)))
    w = witness(binary, output)
    return {"ok": True, "hash": w["witnessHash"], "step": w["step"], "exited": w["exited"],
            "exit_code": w["exitCode"], "seconds": seconds, "cpu_seconds": cpu}


def outcome_key(result: dict) -> str:
    """What two runs must share to agree: the end state hash, or the VM exception."""
    return result["hash"] if result.get("ok") else "exception: " + result["exception"]


def call_measured(argv: list[str], env: dict | None, timeout: float | None, cwd: str | None = None) -> dict:
    """Run a child and report its wall time and its own peak RSS (wait4's rusage of that child)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=full_env, cwd=cwd, preexec_fn=_die_with_parent)
        timed_out = threading.Event()

        def expire():
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, expire) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if timed_out.is_set():
            raise CannonballError("run timed out after %.0f s" % timeout)
        out.seek(0)
        err.seek(0)
        completed = subprocess.CompletedProcess(argv, proc.returncode, out.read().decode(errors="replace"),
                                                err.read().decode(errors="replace"))
    return {"returncode": proc.returncode, "seconds": seconds, "max_rss_kib": usage.ru_maxrss,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "completed": completed}
