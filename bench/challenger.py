#!/usr/bin/env python3
"""What op-challenger's flags cost: the same run with and without them, side by side.

op-challenger runs the VM with
  --info-at %1e7 --snapshot-at %1e9 --snapshot-fmt DIR/%d.bin.gz
  --proof-at =N --proof-fmt DIR/%d.json.gz --stop-at =N+1 --meta "" --debug-info DIR/debug.json
For each workload this runs `cannonball run --engine jit` to the same step (N+1, N near the end
of the trace) plainly (--stop-at =N+1 --meta "" only), with each flag (and the file it names)
alone and with the whole set, alternating, ROUNDS times, and writes bench/results/challenger.{md,json}
and challenger.svg (run time with and without the flags). Figures are CPU seconds (user + system
of the VM and of the processes it waited for: snapshot writers, the pre-image host), which the
machine's other load disturbs far less than wall time; wall seconds and peak RSS are in the JSON.
Workloads: the go-ethereum guest (medium), the 1 GiB random-memory guest (bigmem), and the
op-program captures build/opprogram/<case>/case.json (their prestate and host command).

With --before REV the same runs are made, alternating, with the cannonball of another revision
too (built once under build/rev-<sha>/, as bench/compare_revisions.sh does), and the report shows
both side by side: "before" is REV, "after" this tree.

usage: bench/challenger.py [--rounds 3] [--workloads geth-medium,bigmem,op-program-tiny-valid]
                           [--kinds plain,info-at,snapshot-at,proof-at,debug-info,all,all+resumed]
                           [--out bench/results]
                           [--before REV] [--session-nice -10]

Every run writes into an empty directory of its own, and each round takes the kinds in a rotated
order. The JSON keeps, per run, the context switches (involuntary ones: the run was runnable and
waited for a core) and the load average. With --session-nice N every run is a session of its own
whose autogroup nice is N: the kernel's autogroup scheduling shares the CPUs equally between
sessions whatever their processes' nice, so on a machine running other sessions (fuzzers at "nice
10" included) a plain run gets about half a core and its wall time is about twice its CPU time.
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build")
CANNONBALL = os.path.join(B, "tools", "cannonball")
WORKLOADS = {
    "geth-medium": os.path.join(B, "geth-guest", "gethguest-medium.elf"),
    "bigmem": os.path.join(B, "guests", "bigmem.elf"),
}


def cb(*args, **kw):
    return subprocess.run([CANNONBALL, *args], capture_output=True, text=True, check=True, **kw)


def build_revision(rev):
    """The cannonball binary of revision `rev`, built once under build/rev-<sha>/ (the layout
    bench/compare_revisions.sh uses, so either tool reuses the other's build)."""
    sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", rev], capture_output=True, text=True,
                         check=True).stdout.strip()
    old = os.path.join(B, "rev-" + sha)
    binary = os.path.join(old, "build", "tools", "cannonball")
    if not os.path.exists(binary):
        src = os.path.join(old, "src")
        subprocess.run(["rm", "-rf", src], check=True)
        os.makedirs(src)
        archive = subprocess.Popen(["git", "-C", ROOT, "archive", sha], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", src], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            raise RuntimeError(f"git archive {sha} failed")
        env = dict(os.environ, CCACHE_BASEDIR=src, CCACHE_NOHASHDIR="true")
        subprocess.run(["cmake", "-S", src, "-B", os.path.join(old, "build"), "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=Release"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["ninja", "-C", os.path.join(old, "build"), "-j2", "cannonball"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    return sha, binary


def final_step(state):
    return json.loads(cb("witness", "--input", state).stdout)["step"]


def in_session(nice):
    """A preexec_fn that starts the run in a session of its own whose autogroup has `nice` (None:
    the caller's session, unchanged). With the kernel's autogroup scheduling (on by default) a nice
    value orders threads only within their session; sessions share the CPUs equally whatever their
    processes' nice, so a fuzzer "at nice 10" in its own session takes as much as the VM. Raising
    the measured session's weight takes most of that share back (root only for nice < 0)."""
    if nice is None:
        return None

    def enter():
        os.setsid()
        with open("/proc/self/autogroup", "w") as f:
            f.write(str(nice))
    return enter


def timed(cmd, session_nice=None):
    """Wall seconds, CPU seconds (user + system of the VM and the processes it waited for), peak
    RSS (KiB) and context switches (voluntary: the run waited for something; involuntary: it was
    runnable and another thread took the core) of one run."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         preexec_fn=in_session(session_nice))
    err_chunks = []
    t = threading.Thread(target=lambda: err_chunks.append(p.stderr.read()))
    t.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {''.join(err_chunks)[-2000:]}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "rss_kib": ru.ru_maxrss,
            "voluntary_switches": ru.ru_nvcsw, "involuntary_switches": ru.ru_nivcsw, "load1": os.getloadavg()[0]}


# op-challenger's flags, one at a time and all together. DIR is the run's output directory, N the
# proof step.
def flag_sets(out, proof_step):
    info = ["--info-at", "%10000000"]
    snap = ["--snapshot-at", "%1000000000", "--snapshot-fmt", out + "/%d.bin.gz"]
    proof = ["--proof-at", f"={proof_step}", "--proof-fmt", out + "/%d.json.gz"]
    debug = ["--debug-info", out + "/debug.json"]
    return {"plain": [], "info-at": info, "snapshot-at": snap, "proof-at": proof, "debug-info": debug,
            "all": info + snap + proof + debug, "resumed": []}


def measure(name, start_state, host_args, rounds, tmp, kinds, sides, session_nice=None):
    start_step = final_step(start_state)
    # The trace length: run once to the end.
    end = os.path.join(tmp, name.replace(" ", "-") + "-end.bin.gz")
    cb("run", "--engine", "jit", "--input", start_state, "--output", end, "--meta", "", *host_args)
    steps = final_step(end)
    proof_step = max(1, steps - 1000)
    stop = f"={proof_step + 1}"
    out = os.path.join(tmp, name.replace(" ", "-") + "-flags")
    args = ["run", "--engine", "jit", "--input", start_state, "--output", "", "--meta", "", "--stop-at", stop]
    rows = {side: {k: [] for k in kinds} for side in sides}
    snapshots = 0
    # Alternating, so that load on the machine hits every kind and side alike; each round starts at
    # another kind and takes the sides in the other order, so that no kind always follows the same
    # one (a periodic disturbance, such as the page cache writing back the last run's files, would
    # otherwise land on the same kind every round).
    for round_index in range(rounds):
        shift = round_index % len(kinds)
        order = list(sides.items())
        if round_index % 2:
            order.reverse()
        for kind in kinds[shift:] + kinds[:shift]:
            sets = flag_sets(out, proof_step)
            for side, binary in order:
                # Every run writes into an empty directory, as op-challenger's runs write new names;
                # replacing the last run's files would free their blocks inside the timed run.
                os.makedirs(out)
                flags = [f for part in kind.split("+") for f in sets[part]]  # "proof-at+info-at": both
                run_args = args
                if "resumed" in kind.split("+"):
                    # op-challenger's runs after the first start from a snapshot in the directory
                    # they write snapshots to: the input is DIR/<start step>.bin.gz, a copy of the
                    # start state made before the timed run.
                    resumed = os.path.join(out, f"{start_step}.bin.gz")
                    shutil.copyfile(start_state, resumed)
                    run_args = [resumed if a == start_state else a for a in args]
                rows[side][kind].append(timed([binary, *run_args] + flags + host_args, session_nice))
                snapshots = max(snapshots, len(glob.glob(out + "/*.bin.gz")))
                shutil.rmtree(out)
    results = {}
    for side in sides:
        med = {k: {m: statistics.median(r[m] for r in rows[side][k]) for m in ("wall_s", "cpu_s", "rss_kib", "voluntary_switches", "involuntary_switches")}
               for k in kinds}
        result = {"workload": name, "side": side, "steps": proof_step + 1, "proof_step": proof_step,
                  "snapshots": snapshots, "median": med, "rounds": rows[side]}
        if "plain" in kinds and "all" in kinds:
            result.update(plain_s=med["plain"]["cpu_s"], flags_s=med["all"]["cpu_s"],
                          overhead=med["all"]["cpu_s"] / med["plain"]["cpu_s"] - 1)
        results[side] = result
    return results


def svg(results):
    w, h, left, bar = 640, 60 + 50 * len(results), 140, 16
    top = max(max(r["plain_s"], r["flags_s"]) for r in results) or 1
    scale = (w - left - 80) / top
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           '<text x="10" y="20" font-size="14">CPU seconds (median): plain vs op-challenger flags</text>']
    for i, r in enumerate(results):
        y = 40 + 50 * i
        label = r["workload"] + (f' ({r["side"]})' if len({x["side"] for x in results}) > 1 else "")
        out.append(f'<text x="10" y="{y + 20}">{label}</text>')
        for j, (kind, color) in enumerate((("plain_s", "#4a7"), ("flags_s", "#c64"))):
            yy = y + j * (bar + 2)
            out.append(f'<rect x="{left}" y="{yy}" width="{r[kind] * scale:.1f}" height="{bar}" fill="{color}"/>')
            out.append(f'<text x="{left + r[kind] * scale + 4:.1f}" y="{yy + 12}">{r[kind]:.2f} s'
                       f'{" (" + format(r["overhead"] * 100, "+.1f") + " %)" if kind == "flags_s" else ""}</text>')
    out.append(f'<text x="{left}" y="{h - 8}" fill="#4a7">■ plain</text><text x="{left + 80}" y="{h - 8}" fill="#c64">■ with flags</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def opprogram_cases():
    """op-program captures (tools/opprogram): name -> (start state, host command)."""
    cases = {}
    for case in sorted(glob.glob(os.path.join(B, "opprogram", "*", "case.json"))):
        spec = json.load(open(case))
        state, host = spec.get("prestate"), spec.get("host_argv")
        if not state or not host:
            continue  # a capture without a start state and host command cannot be run here
        d = os.path.dirname(case)
        rel = lambda a: os.path.normpath(os.path.join(d, a)) if a.startswith(".") else a
        cases["op-program-" + os.path.basename(d)] = (rel(state), ["--", *map(rel, host)])
    return cases


def table(results, kinds, metric="cpu_s"):
    head = "| workload | revision | steps | snapshots | " + " | ".join(kinds) + " |"
    lines = [head, "|---|---|---|---|" + "---|" * len(kinds)]
    for r in results:
        plain = r["median"].get("plain", {}).get(metric)
        cells = []
        for k in kinds:
            m = r["median"][k]
            cell = f"{m[metric]:.2f} s"
            if plain and k != "plain":
                cell += f" ({m[metric] / plain:.2f}×)"
            cells.append(cell)
        lines.append(f"| {r['workload']} | {r.get('label', r['side'])} | {r['steps']:,} | {r['snapshots']} | "
                     + " | ".join(cells) + " |")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    cases = opprogram_cases()
    ap.add_argument("--workloads", default=",".join([*WORKLOADS, *cases]))
    ap.add_argument("--kinds", default="plain,info-at,snapshot-at,proof-at,debug-info,all",
                    help="flag sets to run: plain, info-at, snapshot-at, proof-at, debug-info, all, or several "
                         "joined by + (proof-at+debug-info); +resumed starts from a copy of the start "
                         "state in the snapshot directory (all+resumed: op-challenger's later runs)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--before", help="also run this revision's cannonball (git revision), side by side")
    ap.add_argument("--session-nice", type=int,
                    help="run each measured command in a session of its own with this autogroup nice "
                         "(e.g. -10; see in_session): less disturbed by other sessions' load")
    args = ap.parse_args()
    kinds = args.kinds.split(",")
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "this tree"
    sides, labels = {}, {}
    if args.before:
        sha, sides["before"] = build_revision(args.before)
        labels["before"] = f"before ({sha})"
    sides["after"] = CANNONBALL
    labels["after"] = f"after ({head})" if args.before else head
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.workloads.split(","):
            if name in cases:
                state, host = cases[name]
            else:
                state, host = os.path.join(tmp, name + ".bin.gz"), []
                cb("load-elf", "--type", "multithreaded64-5", "--path", WORKLOADS[name], "--out", state, "--meta", "")
            by_side = measure(name, state, host, args.rounds, tmp, kinds, sides, args.session_nice)
            for side, r in by_side.items():
                r["label"] = labels[side]
                results.append(r)
            print("\n".join(table(list(by_side.values()), kinds)[2:]), flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "challenger.json"), "w") as f:
        json.dump(results, f, indent=2)
    lines = ["CPU seconds (user + system, median of the rounds), ratio to the plain run in brackets.", ""]
    lines += table(results, kinds)
    lines += ["", "Wall seconds (median of the rounds; the machine's other load moves these far more).", ""]
    lines += table(results, kinds, "wall_s")
    if args.before and "plain" in kinds and "all" in kinds:
        lines += ["", "All flags over the plain run, before and after (CPU; wall):", "",
                  "| workload | before | after |", "|---|---|---|"]
        for name in dict.fromkeys(r["workload"] for r in results):
            pair = {r["side"]: r for r in results if r["workload"] == name}
            wall = {side: r["median"]["all"]["wall_s"] / r["median"]["plain"]["wall_s"] - 1 for side, r in pair.items()}
            lines.append(f"| {name} | {pair['before']['overhead'] * 100:+.1f} %; {wall['before'] * 100:+.1f} % | "
                         f"{pair['after']['overhead'] * 100:+.1f} %; {wall['after'] * 100:+.1f} % |")
    with open(os.path.join(args.out, "challenger.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    if all("flags_s" in r for r in results):
        with open(os.path.join(args.out, "challenger.svg"), "w") as f:
            f.write(svg(results))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
