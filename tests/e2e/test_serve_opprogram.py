#!/usr/bin/env python3
"""`cannonball serve` on the real op-program: exact against `cannonball run` with the real host.

The server traces a captured op-program case (tools/opprogram, made by tools/setup.sh) with the
op-program host in --server mode, closes the host after the first pass, and must then answer
state hashes and proofs at random positions, the trace's end and the steps of pre-image reads
exactly as `cannonball run --stop-at` / `--proof-at` does with the host.

Environment: CANNONBALL (binary), OPPROGRAM_CASE (a case directory with case.json),
SERVE_SEED (default fixed).
"""
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "opprogram"))

import test_serve  # noqa: E402  (Server and the `run` comparisons)
from run_case import load_case  # noqa: E402

CASE = os.environ.get("OPPROGRAM_CASE", "build/opprogram/tiny-valid")


class ServeOpProgramTest(unittest.TestCase):
    # The comparisons with `cannonball run`, shared with the guest tests (not their test cases).
    setUp = test_serve.ServeTest.setUp
    tearDown = test_serve.ServeTest.tearDown
    path = test_serve.ServeTest.path
    run_witness = test_serve.ServeTest.run_witness
    check_exact = test_serve.ServeTest.check_exact

    def run_proof(self, state, step, host=None):
        # The host logs to its stdout, which `run` shares (as upstream does), so the proof goes
        # to a file here rather than to `--proof-fmt -`.
        out = self.path("proof.json")
        test_serve.cb("run", "--input", state, "--output", "", "--meta", "", "--info-at", "never", "--engine", "jit",
                      "--proof-at", f"={step}", "--proof-fmt", out, "--stop-at", f"={step + 1}", "--", *host)
        with open(out) as f:
            return f.read()

    def test_op_program_states_proofs_and_reads_equal_cannonball_run(self):
        case, prestate, host = load_case(CASE)
        server = test_serve.Server(prestate, "--interval", str(1 << 26), host=host)
        try:
            trace = self.check_exact(server, prestate, hashes=3, proofs=2, host=host)
            self.assertEqual(trace["exited"], True)
            self.assertEqual(trace["final"]["exited"], True)
            self.assertEqual(trace["final"], self.run_witness(prestate, trace["end"], host))
            # The first pre-image read is where `run --stop-at-preimage-type any` stops, and
            # the last one carries the oracle fields in its proof.
            status, summary = server.get("/v1/trace")
            self.assertGreater(summary["preimageReads"], case["preimage_count"])
            r = test_serve.cb("run", "--input", prestate, "--output", "", "--meta", "", "--info-at", "never",
                              "--engine", "jit", "--stop-at-preimage-type", "any", "--", *host)
            first = int(re.search(r"Stopping at preimage read.*step=(\d+)", r.stderr).group(1))
            status, got = server.get("/v1/position/preimage?k=1")
            self.assertEqual((status, got["step"]), (200, first))
            status, got = server.get(f"/v1/position/preimage?k={summary['preimageReads']}")
            self.assertEqual(status, 200, got)
            status, proof = server.get(f"/v1/proof?step={got['step']}")
            self.assertIn("oracle-key", proof)
            self.assertEqual(test_serve.json.dumps(proof),
                             test_serve.json.dumps(test_serve.json.loads(self.run_proof(prestate, got["step"], host))))
        finally:
            code, log = server.stop()
        self.assertEqual(code, 0, log)


if __name__ == "__main__":
    unittest.main()
