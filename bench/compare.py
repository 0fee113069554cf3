#!/usr/bin/env python3
"""Side-by-side comparison of engines on the same guest ELFs.

For each workload it runs, in one session and one after the other:
  upstream   the upstream Go cannon (tools/refvm, build/refvm/cannon)
  interp     cannonball --engine interp
  jit        cannonball --engine jit
  qemu       qemu-mips64 on the same ELF (no step counting, no merkle tree)
  native     the same Go program built for linux/amd64
The op-program workloads run the real op-program from the captured tiny and medium cases (prestate
and pre-image host from build/opprogram/SIZE-valid/case.json; a case not captured is skipped). For
them qemu runs the client ELF of the prestate, and native an amd64 build of the same client, each
wired to the real host over fds 3 to 6 as a Cannon VM wires them (tools/opprogram/run_wired.py);
their CPU seconds are the client's plus the host's, and a run counts only when the client exits
with the case's expected exit code and the host with 0. The tool writes bench/results/report.{md,json} and bench/results/steps_per_s.svg with steps/s, wall
time, CPU seconds (user + system, the pre-image host included), peak RSS and every ratio; the
ratios are of CPU seconds, which a shared machine disturbs less than wall time. Steps come from cannonball's final state (the same program makes
the same number of steps under every engine); qemu and native get "equivalent steps/s" = those
steps / their wall time. It also measures the time to a proof deep in the op-program-like trace.

usage: bench/compare.py [--engines upstream,interp,jit,qemu,native] [--workloads a,b]
                        [--proof-workload NAME|none]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build")
CANNONBALL = os.path.join(B, "tools", "cannonball")
UPSTREAM = os.path.join(B, "refvm", "cannon")

# name -> (mips ELF, native binary, description)
WORKLOADS = {
    "compute": ("guests/compute.elf", "native/compute", "compute-bound integer kernels"),
    "alloc": ("guests/alloc.elf", "native/alloc", "allocation and GC stress"),
    "goroutines": ("guests/goroutines.elf", "native/goroutines", "goroutines, channels, WaitGroup"),
    "geth-small": ("geth-guest/gethguest-small.elf", "geth-guest/gethguest-native", "op-program-like EVM blocks, 5 x 12 txs"),
    "geth-medium": ("geth-guest/gethguest-medium.elf", "geth-guest/gethguest-native-medium",
                    "op-program-like EVM blocks, signed, 6 x 24 txs"),
}
# Workloads that run a captured op-program case (the real program and its pre-image host).
OPPROGRAM = {
    "op-program-tiny": ("opprogram/tiny-valid", "op-program, tiny capture (L2 block 3, 14 txs)"),
    "op-program-medium": ("opprogram/medium-valid", "op-program, medium capture (L2 block 6, 121 txs; "
                          "tools/opprogram/capture medium)"),
}


def opprogram_case(case_rel):
    """(prestate path, host argv, case dir) of a captured case, or None when it was not captured."""
    case_dir = os.path.join(B, case_rel)
    if not os.path.exists(os.path.join(case_dir, "case.json")):
        return None
    sys.path.insert(0, os.path.join(ROOT, "tools", "opprogram"))
    import run_case  # noqa: E402 (the case format's own reader)
    _, prestate, host = run_case.load_case(case_dir)
    return prestate, host, case_dir


def time_with_rss(cmd, timeout):
    """Runs cmd; returns (wall s, peak RSS KiB, exit status, CPU s = user + system of it and the
    children it waited for)."""
    tf = tempfile.NamedTemporaryFile(delete=False)
    tf.close()
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "cpu %M %U %S", "-o", tf.name, *cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeout)
    wall = time.perf_counter() - start
    rss, cpu = 0, None
    with open(tf.name) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 4 and fields[0] == "cpu":
                rss, cpu = int(fields[1]), float(fields[2]) + float(fields[3])
    os.unlink(tf.name)
    return wall, rss, p.returncode, cpu


def load(elf, tmp):
    state = os.path.join(tmp, "state.bin.gz")
    subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", state,
                    "--meta", ""], check=True)
    return state


def final_steps(out):
    w = json.loads(subprocess.run([CANNONBALL, "witness", "--input", out], capture_output=True, text=True,
                                  check=True).stdout)
    return w["step"], w["exited"], w["exitCode"]


def run_engine(engine, workload, elf, native, tmp, timeout, steps_hint, opprogram=None):
    """One engine on one workload. `opprogram` = (prestate, host argv, case dir) for an op-program
    case, which starts from its prestate and serves pre-images from its host instead of an ELF."""
    if engine in ("interp", "jit", "upstream"):
        state = opprogram[0] if opprogram else load(elf, tmp)
        host = ["--", *opprogram[1]] if opprogram else []
        out = os.path.join(tmp, f"out-{engine}.bin")
        if engine == "upstream":
            cmd = [UPSTREAM, "run", "--input", state, "--output", out, "--meta", "", "--info-at", "never", *host]
        else:
            cmd = [CANNONBALL, "run", "--input", state, "--output", out, "--meta", "", "--info-at", "never",
                   "--engine", engine, "--guest-stdout", os.devnull, "--guest-stderr", os.devnull, *host]
        wall, rss, rc, cpu = time_with_rss(cmd, timeout)
        if rc != 0:
            return {"error": f"exit status {rc}"}
        steps, exited, code = final_steps(out)
        if not exited or code != 0:
            # A guest that died (or never ended) did less work than its native and qemu builds:
            # its figures would compare unlike runs.
            return {"error": f"guest exit code {code}" if exited else "guest did not exit"}
        return {"wall_s": wall, "cpu_s": cpu, "peak_rss_kib": rss, "steps": steps, "exit_code": code, "exited": exited}
    if opprogram:
        # The client under qemu (or built for amd64) and the host, wired as a Cannon VM wires them.
        if engine == "qemu" and not shutil.which("qemu-mips64"):
            return {"error": "qemu-mips64 missing"}
        sys.path.insert(0, os.path.join(ROOT, "tools", "opprogram"))
        import run_wired  # noqa: E402
        try:
            r = run_wired.run_case_wired(opprogram[2], engine, timeout, cannonball=CANNONBALL)
        except (RuntimeError, subprocess.CalledProcessError) as e:  # no client build, or not the prestate's ELF
            return {"error": str(e)}
        if not r["passed"]:
            return {"error": r["error"]}
        return {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "peak_rss_kib": r["peak_rss_kib"],
                "returncode": r["client_exit"], "client_cpu_s": r["client_cpu_s"], "host_cpu_s": r["host_cpu_s"]}
    if engine == "qemu":
        wall, rss, rc, cpu = time_with_rss(["qemu-mips64", elf], timeout)
        return {"wall_s": wall, "cpu_s": cpu, "peak_rss_kib": rss, "returncode": rc} if rc == 0 else {"error": f"exit status {rc}"}
    if engine == "native":
        if not os.path.exists(native):
            return {"error": "native build missing"}
        wall, rss, rc, cpu = time_with_rss([native], timeout)
        return {"wall_s": wall, "cpu_s": cpu, "peak_rss_kib": rss, "returncode": rc} if rc == 0 else {"error": f"exit status {rc}"}
    raise ValueError(engine)


def build_natives():
    out = os.path.join(B, "native")
    os.makedirs(out, exist_ok=True)
    for name in ("compute", "alloc", "goroutines"):
        target = os.path.join(out, name)
        if not os.path.exists(target):
            subprocess.run(["go", "build", "-trimpath", "-o", target, f"./{name}"], check=True,
                           cwd=os.path.join(ROOT, "tests", "guests"), env={**os.environ, "CGO_ENABLED": "0"})


def time_to_proof(elf, step, tmp, engines, timeout):
    """Fast-forward to `step` and write the proof of that step; returns seconds per engine."""
    results = {}
    state = load(elf, tmp)
    for engine in engines:
        if engine not in ("upstream", "interp", "jit"):
            continue
        proof = os.path.join(tmp, f"proof-{engine}-%d.json")
        if engine == "upstream":
            cmd = [UPSTREAM, "run", "--input", state, "--output", "", "--meta", "", "--info-at", "never",
                   "--proof-at", f"={step}", "--proof-fmt", proof, "--stop-at", f"={step + 1}"]
        else:
            cmd = [CANNONBALL, "run", "--input", state, "--output", "", "--meta", "", "--info-at", "never",
                   "--engine", engine, "--proof-at", f"={step}", "--proof-fmt", proof, "--stop-at", f"={step + 1}",
                   "--guest-stdout", os.devnull, "--guest-stderr", os.devnull]
        try:
            wall, rss, rc, _ = time_with_rss(cmd, timeout)
        except subprocess.TimeoutExpired:
            results[engine] = {"error": f"timeout after {timeout} s"}
            continue
        if rc != 0:
            results[engine] = {"error": f"exit status {rc}"}
            continue
        with open(proof % step) as f:
            results[engine] = {"wall_s": wall, "peak_rss_kib": rss, "proof": json.load(f)["post"]}
    proofs = {r["proof"] for r in results.values() if "proof" in r}
    return results, len(proofs) <= 1


def svg_chart(report):
    engines = report["engines"]
    workloads = [w for w in report["workloads"] if report["results"].get(w)]
    colors = {"upstream": "#868e96", "interp": "#4dabf7", "jit": "#2b8a3e", "qemu": "#f08c00", "native": "#c92a2a"}
    import math
    values = [r.get("steps_per_s") for w in workloads for r in report["results"][w].values() if r.get("steps_per_s")]
    if not values:
        return "<svg xmlns='http://www.w3.org/2000/svg'/>"
    top = math.ceil(math.log10(max(values)))
    bottom = math.floor(math.log10(min(values)))
    width, height, left, bar = 900, 380, 70, 14
    group = bar * len(engines) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="18" font-size="14">steps/s per engine and workload (log scale)</text>']
    plot_h = height - 90

    def y(v):
        return 30 + plot_h * (1 - (math.log10(v) - bottom) / max(1, top - bottom))
    for e in range(bottom, top + 1):
        yy = y(10 ** e)
        out.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{width - 10}" y2="{yy:.1f}" stroke="#dee2e6"/>')
        out.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">1e{e}</text>')
    for i, w in enumerate(workloads):
        x0 = left + 10 + i * group
        for j, engine in enumerate(engines):
            r = report["results"][w].get(engine, {})
            v = r.get("steps_per_s")
            if not v:
                continue
            x = x0 + j * bar
            out.append(f'<rect x="{x}" y="{y(v):.1f}" width="{bar - 2}" height="{30 + plot_h - y(v):.1f}" '
                       f'fill="{colors.get(engine, "#000")}"><title>{w} {engine}: {v:.3g} steps/s</title></rect>')
        out.append(f'<text x="{x0 + bar * len(engines) / 2:.0f}" y="{height - 45}" text-anchor="middle">{w}</text>')
    for j, engine in enumerate(engines):
        out.append(f'<rect x="{left + j * 110}" y="{height - 28}" width="10" height="10" fill="{colors.get(engine, "#000")}"/>'
                   f'<text x="{left + j * 110 + 14}" y="{height - 19}">{engine}</text>')
    out.append("</svg>")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="upstream,interp,jit,qemu,native")
    ap.add_argument("--workloads", default=",".join([*WORKLOADS, *OPPROGRAM]))
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--proof-workload", default="geth-medium", help="'none' skips the time to a proof")
    args = ap.parse_args()
    engines = args.engines.split(",")
    workloads = [w for w in args.workloads.split(",") if w]
    if "native" in engines:
        build_natives()
    report = {"engines": engines, "workloads": workloads, "results": {}, "machine": os.uname().nodename,
              "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    with tempfile.TemporaryDirectory() as tmp:
        for w in workloads:
            opprogram = None
            if w in OPPROGRAM:
                case_rel, desc = OPPROGRAM[w]
                elf = native = None
                opprogram = opprogram_case(case_rel)
                if opprogram is None:
                    print(f"skip {w}: {case_rel} not captured", file=sys.stderr)
                    continue
            else:
                elf_rel, native_rel, desc = WORKLOADS[w]
                elf, native = os.path.join(B, elf_rel), os.path.join(B, native_rel)
                if not os.path.exists(elf):
                    print(f"skip {w}: {elf} not built", file=sys.stderr)
                    continue
            results = {}
            steps = None
            for engine in engines:
                try:
                    r = run_engine(engine, w, elf, native, tmp, args.timeout, steps, opprogram)
                except subprocess.TimeoutExpired:
                    r = {"error": f"timeout after {args.timeout} s"}
                if "steps" in r:
                    steps = steps or r["steps"]
                results[engine] = r
                print(f"{w:12s} {engine:9s} {r}", file=sys.stderr)
            for engine, r in results.items():
                if "wall_s" in r and steps:
                    r["steps_per_s"] = steps / (r.get("cpu_s") or r["wall_s"])
            report["results"][w] = {"description": desc, "steps": steps, **results}
        # Ratios of CPU seconds: every engine against every other, per workload.
        for w, res in report["results"].items():
            ratios = {}
            for a in engines:
                for b in engines:
                    ra, rb = res.get(a, {}), res.get(b, {})
                    if a != b and ra.get("cpu_s") and rb.get("cpu_s"):
                        ratios[f"{a}/{b}"] = rb["cpu_s"] / ra["cpu_s"]  # how many times faster a is than b
            res["speedup"] = ratios
        proof_elf = os.path.join(B, WORKLOADS[args.proof_workload][0]) if args.proof_workload in WORKLOADS else ""
        if proof_elf and os.path.exists(proof_elf) and report["results"].get(args.proof_workload, {}).get("steps"):
            deep = int(report["results"][args.proof_workload]["steps"] * 0.9)
            results, agree = time_to_proof(proof_elf, deep, tmp, engines, args.timeout)
            report["time_to_proof"] = {"workload": args.proof_workload, "step": deep, "results": results,
                                       "proofs_agree": agree}
    # The results dict holds the description and step count next to the engines: keep them apart.
    for w, res in report["results"].items():
        for engine in engines:
            res.setdefault(engine, {})
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(args.out, "steps_per_s.svg"), "w") as f:
        f.write(svg_chart({**report, "results": {w: {e: r for e, r in res.items() if e in engines}
                                                  for w, res in report["results"].items()}}))
    md = ["# cannonball: side-by-side comparison", "",
          f"Machine: {report['machine']}, {report['date']}, all figures from this one run. Each cell: steps/s "
          "over CPU seconds (CPU s, wall s, peak RSS); CPU s = user + system, the pre-image host included. "
          "qemu and native count no steps: their figure is the VM's step count of the same program divided "
          "by their CPU time. In the op-program rows qemu runs the client ELF and native its amd64 build, each "
          "wired to the real host over fds 3 to 6 as a Cannon VM wires them (tools/opprogram/run_wired.py); "
          "their CPU s include the host's, their peak RSS is the larger of the two processes'.", "",
          "| workload | steps | " + " | ".join(engines) + " |", "|---|---|" + "---|" * len(engines)]
    for w, res in report["results"].items():
        cells = []
        for e in engines:
            r = res.get(e, {})
            if "steps_per_s" in r:
                cells.append(f"{r['steps_per_s'] / 1e6:,.1f} M/s ({r['cpu_s']:.2f} CPU s, {r['wall_s']:.2f} s, "
                             f"{r['peak_rss_kib'] / 1024:.0f} MiB)")
            else:
                cells.append(r.get("error", "—"))
        md.append(f"| {w} | {res.get('steps') or '—':,} | " + " | ".join(cells) + " |")
    focus = [(a, b) for a, b in (("jit", "qemu"), ("jit", "upstream"), ("jit", "interp"), ("interp", "upstream"))
             if a in engines and b in engines]
    if focus:
        md += ["", "The JIT's ratios (CPU seconds; the issue's targets: jit/qemu >= 1.0, jit/upstream >= 50):", "",
               "| workload | " + " | ".join(f"{a}/{b}" for a, b in focus) + " |", "|---|" + "---|" * len(focus)]
        for w, res in report["results"].items():
            md.append(f"| {w} | " + " | ".join(
                f"{res['speedup'][f'{a}/{b}']:.2f}" if f"{a}/{b}" in res["speedup"] else "—" for a, b in focus) + " |")
    md += ["", "Speed-ups in CPU seconds (how many times faster the first engine is than the second):", "",
           "| workload | " + " | ".join(f"{a}/{b}" for a in engines for b in engines if a != b) + " |",
           "|---|" + "---|" * (len(engines) * (len(engines) - 1))]
    for w, res in report["results"].items():
        md.append(f"| {w} | " + " | ".join(
            f"{res['speedup'][f'{a}/{b}']:.2f}" if f"{a}/{b}" in res["speedup"] else "—"
            for a in engines for b in engines if a != b) + " |")
    if "time_to_proof" in report:
        t = report["time_to_proof"]
        md += ["", f"Time to a proof at step {t['step']:,} of {t['workload']} (fast-forward + proof), proofs "
                   f"{'identical' if t['proofs_agree'] else 'DIFFER'}:", "",
               "| engine | time | peak RSS |", "|---|---|---|"]
        for e, r in t["results"].items():
            md.append(f"| {e} | {r['wall_s']:.2f} s | {r['peak_rss_kib'] / 1024:.0f} MiB |" if "wall_s" in r
                      else f"| {e} | {r.get('error')} | |")
    md += ["", "![steps/s](steps_per_s.svg)", ""]
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
