"""Connecting to Ray: an existing cluster (--address) or a small local one started and stopped
here. Everything stays on loopback, without the dashboard and with a small object store, so the
footprint on a shared machine is a few processes and a bounded amount of memory.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# `ray start --head` turns token authentication on; every node and driver must then use it too
# (the token lives in ~/.ray/auth_token, or set RAY_AUTH_TOKEN_PATH). Override with the variable.
os.environ.setdefault("RAY_AUTH_MODE", "token")

# Ray rewrites 127.0.0.1 and "localhost" into the address of an outside interface; 127.0.0.2 is
# loopback too (Linux answers all of 127/8 on lo) and is left alone, so nothing leaves the machine.
LOOPBACK = "127.0.0.2"


def connect(address: str | None, workers: int, object_store_mb: int) -> None:
    """ray.init against `address`, or a local single-node cluster of `workers` CPUs."""
    import ray
    import ray.cloudpickle

    from . import tasks, vm  # noqa: F401  (registered below)

    # Ship the task code by value: workers need Ray and the binary, not this package.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__package__])
    runtime_env = {"env_vars": {"RAY_USAGE_STATS_ENABLED": "0"}}
    if address:
        ray.init(address=address, log_to_driver=False, runtime_env=runtime_env)
    else:
        global _local_temp_dir
        _local_temp_dir = tempfile.mkdtemp(prefix="cbray-")
        ray.init(num_cpus=workers, object_store_memory=object_store_mb * 1024 * 1024, include_dashboard=False,
                 _node_ip_address=LOOPBACK, log_to_driver=False, runtime_env=runtime_env, _temp_dir=_local_temp_dir)


_local_temp_dir = None


def disconnect() -> None:
    import ray

    global _local_temp_dir
    ray.shutdown()
    if _local_temp_dir:
        shutil.rmtree(_local_temp_dir, ignore_errors=True)
        _local_temp_dir = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _ray_cli() -> str:
    return os.path.join(os.path.dirname(sys.executable), "ray")


def _ensure_token() -> None:
    """With token authentication on, `ray start --head` refuses to start without a token, while
    `ray.init()` makes one for a new local cluster; do what ray.init does before starting nodes
    (a no-op when a token is already set in the environment or saved in ~/.ray/auth_token)."""
    if os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
        return
    proc = subprocess.run([_ray_cli(), "get-auth-token", "--generate"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError("could not make a Ray authentication token: " + proc.stderr.strip()[-500:])


class LocalCluster:
    """A head and extra worker nodes started with `ray start --block` on loopback (as on many
    machines, but all here). Each node is our own child process group, stopped by its id."""

    def __init__(self, nodes: int = 2, cpus_per_node: int = 1, object_store_mb: int = 100):
        self.procs: list[subprocess.Popen] = []
        self.temp_dir = tempfile.mkdtemp(prefix="cbray-")
        self.port = free_port()
        self.address = "%s:%d" % (LOOPBACK, self.port)
        env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
        _ensure_token()
        for i in range(nodes):
            argv = [_ray_cli(), "start", "--block", "--node-ip-address", LOOPBACK, "--num-cpus", str(cpus_per_node),
                    "--object-store-memory", str(object_store_mb * 1024 * 1024), "--disable-usage-stats",
                    "--node-manager-port", str(free_port()), "--object-manager-port", str(free_port()),
                    "--metrics-export-port", str(free_port()), "--runtime-env-agent-port", str(free_port()),
                    "--dashboard-agent-listen-port", str(free_port()), "--dashboard-agent-grpc-port", str(free_port())]
            if i == 0:
                argv += ["--head", "--port", str(self.port), "--include-dashboard", "false",
                         "--temp-dir", self.temp_dir]
            else:
                argv += ["--address", self.address]
            log = open(os.path.join(self.temp_dir, "node-%d.log" % i), "wb")
            self.procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                               start_new_session=True))
            if i == 0:
                self._wait_for_head()
            log.close()
        self._wait_for_nodes(nodes)

    def _wait_for_head(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.procs[0].poll() is not None:
                raise RuntimeError("ray head exited: see " + self.temp_dir)
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("ray head did not start within 90 s")

    def _wait_for_nodes(self, count: int) -> None:
        probe = ("import ray,sys; ray.init(address=sys.argv[1], log_to_driver=False); "
                 "print(sum(1 for n in ray.nodes() if n['Alive']))")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            proc = subprocess.run([sys.executable, "-c", probe, self.address], capture_output=True, text=True)
            if proc.returncode == 0 and proc.stdout.strip().isdigit() and int(proc.stdout.strip()) >= count:
                return
            time.sleep(1)
        raise RuntimeError("ray nodes did not join within 120 s")

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            try:  # anything the node left in its own process group
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.procs.clear()

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]
