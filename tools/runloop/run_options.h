// RunOptions: everything one `run` is asked to do, already parsed and checked (the command line
// builds it in tools/cannonball/run_cli.cpp; other front ends may build it themselves).
#pragma once

#include <string>
#include <vector>

#include "tools/audit/audit.h"
#include "tools/runloop/matcher.h"
#include "tools/runloop/preimage_stop.h"

namespace cannonball {

struct RunOptions {
  // Files.
  std::string input;                    // .bin or .bin.gz
  std::string output = "out.bin.gz";    // empty: not written
  std::string meta_path = "meta.json";  // empty: no symbols
  // Events (step matchers, spec §12) and the files they write.
  StepMatcher proof_at, snapshot_at, stop_at, info_at, cross_check_at;
  std::string proof_fmt = "proof-%d.json";  // "-" = stdout
  std::string snapshot_fmt = "state-%d.bin.gz";
  PreimageStop preimage_stop;
  // Execution.
  std::string engine = "interp";
  std::vector<std::string> host_args;  // pre-image host command
  std::string preimage_dir;            // or pre-images from files
  double host_timeout_seconds = 15;
  Word checkpoint_interval = 0;  // steps between the Prover's checkpoints; 0 = its default
  std::string guest_stdout, guest_stderr;  // empty: log guest output
  // Reports.
  bool debug = false;      // traceback at the end
  std::string debug_info;  // upstream's statistics JSON
  std::string audit_report, timeline;
  bool fail_on_hazard = false;
  AuditConfig audit;

  bool wants_audit() const {
    return !debug_info.empty() || !audit_report.empty() || !timeline.empty() || fail_on_hazard;
  }
};

}  // namespace cannonball
