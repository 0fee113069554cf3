"""sweep: many cases (op-program captures with case.json, or plain prestates) under chosen
engines in parallel, collected into report.md, report.json and plots.

A capture directory's case.json gives: prestate, meta, host_argv (the pre-image host command,
paths absolute or relative to the capture directory), expected_exit, l2_block, size. With
--data store the whole capture directory travels through the object store as a tar archive and
relative paths are resolved where it is unpacked; absolute paths must exist on every worker.
"""
from __future__ import annotations

import glob
import io
import json
import os
import tarfile
import time

import ray

from . import checkpoints, tasks, vm


def load_cases(args) -> list[dict]:
    cases = []
    for item in args.cases:
        paths = glob.glob(item) or [item]
        for path in paths:
            case_json = path if path.endswith(".json") else os.path.join(path, "case.json")
            try:
                with open(case_json) as f:
                    spec = json.load(f)
            except (OSError, ValueError) as e:
                raise vm.CannonballError("cannot read case %s: %s" % (case_json, e))
            for field in ("prestate", "host_argv"):
                if field not in spec:
                    raise vm.CannonballError("case %s has no %s" % (case_json, field))
            case_dir = os.path.dirname(os.path.abspath(case_json))
            cases.append({"name": os.path.basename(case_dir), "dir": case_dir, "prestate": spec["prestate"],
                          "meta": spec.get("meta"), "host_argv": list(spec["host_argv"]),
                          "expected_exit": spec.get("expected_exit"), "l2_block": spec.get("l2_block"),
                          "size": spec.get("size")})
    for path in list(args.prestate) + ([args.input] if args.input else []):
        if not os.path.exists(path):
            raise vm.CannonballError("cannot open prestate %s" % path)
        name = os.path.basename(os.path.dirname(os.path.abspath(path))) + "/" + os.path.basename(path)
        cases.append({"name": name, "dir": None, "prestate": os.path.abspath(path), "meta": None, "host_argv": [],
                      "expected_exit": None, "l2_block": None, "size": None})
    if not cases:
        raise vm.CannonballError("no cases: give --cases or --prestate")
    seen = {}
    for case in cases:  # results are matched to cases by name: make names unique
        n = seen.get(case["name"], 0)
        seen[case["name"]] = n + 1
        if n:
            case["name"] += "#%d" % (n + 1)
    return cases


def case_blob(case: dict, data: str):
    if case["dir"] is None:
        return {"file": tasks.blob_from_file(case["prestate"], data)}
    if data == "shared":
        return {"dir": {"kind": "path", "path": case["dir"]}}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        tar.add(case["dir"], arcname="case")
    return {"dir": {"kind": "store", "ref": [ray.put(buf.getvalue())], "name": "case.tar.gz"}}


def _resolve(arg: str, case_dir: str) -> str:
    """A host argument naming a file in the capture directory, made absolute for this machine."""
    if os.path.isabs(arg):
        return arg
    if arg.startswith("--") and "=" in arg:
        flag, value = arg.split("=", 1)
        return flag + "=" + _resolve(value, case_dir) if value else arg
    if not arg.startswith("-") and os.path.exists(os.path.join(case_dir, arg)):
        return os.path.join(case_dir, arg)
    return arg


@ray.remote(num_cpus=1, max_retries=tasks.RETRIES, retry_exceptions=False, scheduling_strategy="SPREAD")
def sweep_task(binary_blob, blob, case: dict, engine: str, audit: bool, env: dict, timeout: float) -> dict:
    began = time.monotonic()
    out = {"case": case["name"], "engine": "audit" if audit else engine, **tasks._where()}
    try:
        with tasks.Scratch() as scratch:
            binary = tasks.binary_to_local(binary_blob)
            if "file" in blob:
                prestate, case_dir = tasks.blob_to_local(blob["file"], scratch), scratch
            else:
                case_dir = tasks.blob_to_local(blob["dir"], scratch)
                if case_dir.endswith(".tar.gz"):
                    with tarfile.open(case_dir) as tar:
                        tar.extractall(scratch, filter="data")
                    case_dir = os.path.join(scratch, "case")
                prestate = _resolve(case["prestate"], case_dir)
            argv = [binary, "run", "--input", prestate, "--info-at", "never", "--engine", engine,
                    "--meta", _resolve(case["meta"], case_dir) if case.get("meta") else ""]
            if audit:
                argv += ["--output", "", "--debug-info", os.path.join(scratch, "debug.json")]
            else:
                argv += ["--output", os.path.join(scratch, "final.bin")]
            if case["host_argv"]:
                argv += ["--"] + [_resolve(a, case_dir) for a in case["host_argv"]]
            proc = vm.call_measured(argv, env, timeout, cwd=case_dir)
            out.update(wall_seconds=proc["seconds"], max_rss_mib=proc["max_rss_kib"] / 1024, exit=proc["returncode"])
            if proc["returncode"] == 2:
                out["exception"] = vm.error_text(proc["completed"])
            elif proc["returncode"] != 0:
                out["error"] = vm.error_text(proc["completed"])
            elif audit:
                with open(os.path.join(scratch, "debug.json")) as f:
                    info = json.load(f)
                out.update(steps=info["total_steps"], guest_memory_mib=int(info["memory_used"], 16) / 2**20,
                           preimage_requests=info["num_preimage_requests"],
                           preimage_bytes=info["total_preimage_size"],
                           hazards=[h.get("kind") for h in info.get("hazards", [])],
                           threads=len(info.get("threads", [])))
            else:
                w = vm.witness(binary, os.path.join(scratch, "final.bin"))
                out.update(steps=w["step"], hash=w["witnessHash"], exited=w["exited"], exit_code=w["exitCode"])
                if out["wall_seconds"] > 0:
                    out["msteps_per_second"] = w["step"] / out["wall_seconds"] / 1e6
    except (vm.CannonballError, OSError, tarfile.TarError, ValueError, KeyError) as e:
        out["error"] = str(e)
    except Exception as e:  # noqa: BLE001  (a timeout and the like: reported, never retried)
        out["error"] = "%s: %s" % (type(e).__name__, e)
    out["task_seconds"] = time.monotonic() - began
    return out


def run(args, workdir: str) -> tuple[int, dict, str]:
    from .cli import binary_blob, forwarded_env

    cases = load_cases(args)
    engines = [e for e in args.engines.split(",") if e]
    env = forwarded_env()
    binary = binary_blob(args)
    t0 = time.monotonic()
    refs = []
    for case in cases:
        blob = case_blob(case, args.data)
        for engine in engines:
            refs.append(sweep_task.remote(binary, blob, case, engine, False, env, args.timeout))
        if not args.no_audit:
            refs.append(sweep_task.remote(binary, blob, case, "interp", True, env, args.timeout))
    results = ray.get(refs)
    seconds = time.monotonic() - t0
    rows = []
    failed = 0
    for case in cases:
        runs = {r["engine"]: r for r in results if r["case"] == case["name"]}
        audit = runs.get("audit", {})
        hashes = {r.get("hash") for e, r in runs.items() if e != "audit" and r.get("hash")}
        for engine in engines:
            r = runs[engine]
            ok = "error" not in r and "exception" not in r
            exit_ok = None
            if ok and case["expected_exit"] is not None:
                exit_ok = r.get("exited") and r.get("exit_code") == case["expected_exit"]
            if not ok or exit_ok is False:
                failed += 1
            rows.append({"case": case["name"], "engine": engine, "l2_block": case["l2_block"], "size": case["size"],
                         "expected_exit": case["expected_exit"], "exit_code": r.get("exit_code"),
                         "exited": r.get("exited"), "exit_ok": exit_ok, "steps": r.get("steps"),
                         "wall_seconds": r.get("wall_seconds"), "msteps_per_second": r.get("msteps_per_second"),
                         "max_rss_mib": r.get("max_rss_mib"), "hash": r.get("hash"),
                         "engines_agree": len(hashes) == 1 if len(engines) > 1 and ok else None,
                         "guest_memory_mib": audit.get("guest_memory_mib"),
                         "preimage_requests": audit.get("preimage_requests"),
                         "preimage_bytes": audit.get("preimage_bytes"), "hazards": audit.get("hazards"),
                         "error": r.get("error") or r.get("exception") or audit.get("error"), "node": r.get("node")})
        if any(e != "audit" and r.get("hash") for e, r in runs.items()) and len(hashes) > 1:
            failed += 1
    report_dir = args.report or os.path.join(workdir, "report")
    os.makedirs(report_dir, exist_ok=True)
    summary = {"command": "sweep", "engines": engines, "rows": rows, "failed": failed, "seconds": seconds,
               "report_dir": report_dir, "workdir": workdir}
    write_report(summary, report_dir)
    with open(os.path.join(report_dir, "report.md")) as f:
        text = f.read()
    return (1 if failed else 0), summary, text


def _fmt(v, spec="%s"):
    return "-" if v is None else spec % v


def write_report(summary: dict, report_dir: str) -> None:
    rows = summary["rows"]
    lines = ["# fleet sweep", "",
             "%d runs of %d cases under %s in %.1f s (wall, whole cluster)." % (
                 len(rows), len({r["case"] for r in rows}), ", ".join(summary["engines"]), summary["seconds"]), "",
             "| case | engine | exit (expected) | steps | wall s | M steps/s | RSS MiB | guest MiB | pre-images "
             "(bytes) | hazards | engines agree | note |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        exit_text = "%s (%s)" % (_fmt(r["exit_code"]), _fmt(r["expected_exit"]))
        if r["exit_ok"] is False:
            exit_text += " WRONG"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s | %s |" % (
            r["case"], r["engine"], exit_text, _fmt(r["steps"], "{:,}") if r["steps"] is None else "{:,}".format(
                r["steps"]), _fmt(r["wall_seconds"], "%.2f"), _fmt(r["msteps_per_second"], "%.1f"),
            _fmt(r["max_rss_mib"], "%.0f"), _fmt(r["guest_memory_mib"], "%.1f"), _fmt(r["preimage_requests"]),
            _fmt(r["preimage_bytes"]), ", ".join(r["hazards"]) if r["hazards"] else ("none" if r["hazards"] == []
                                                                                  else "-"),
            {True: "yes", False: "NO", None: "-"}[r["engines_agree"]], (r["error"] or "").replace("|", "/")))
    plots = write_plots(rows, report_dir)
    if plots:
        lines += [""] + ["![%s](%s)" % (p, p) for p in plots]
    lines.append("")
    with open(os.path.join(report_dir, "report.md.tmp"), "w") as f:
        f.write("\n".join(lines))
    os.replace(os.path.join(report_dir, "report.md.tmp"), os.path.join(report_dir, "report.md"))
    checkpoints.write_json_atomic(os.path.join(report_dir, "report.json"), summary)


def write_plots(rows: list[dict], report_dir: str) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    done = [r for r in rows if r["wall_seconds"] and r["steps"]]
    if not done:
        return []
    names = sorted({r["case"] for r in done})
    engines = sorted({r["engine"] for r in done})
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(names) * len(engines)), 4))
    width = 0.8 / len(engines)
    for j, engine in enumerate(engines):
        xs, ys = [], []
        for i, name in enumerate(names):
            for r in done:
                if r["case"] == name and r["engine"] == engine and r["msteps_per_second"]:
                    xs.append(i + j * width)
                    ys.append(r["msteps_per_second"])
        ax.bar(xs, ys, width, label=engine)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))], names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("million steps / s")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("throughput per case and engine")
    fig.tight_layout()
    fig.savefig(os.path.join(report_dir, "throughput.png"), dpi=90)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 4))
    for engine in engines:
        pts = [(r["steps"], r["wall_seconds"]) for r in done if r["engine"] == engine]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], label=engine)
    ax.set_xlabel("steps")
    ax.set_ylabel("wall seconds")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("wall time against steps")
    fig.tight_layout()
    fig.savefig(os.path.join(report_dir, "wall.png"), dpi=90)
    plt.close(fig)
    return ["throughput.png", "wall.png"]
