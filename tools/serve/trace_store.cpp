#include "tools/serve/trace_store.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "interp/instruction_table.h"
#include "runtime/hex.h"
#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"
#include "tools/cannonball/proof_json.h"
#include "tools/runloop/engine_factory.h"
#include "tools/runloop/machine.h"
#include "tools/runloop/run_loop.h"

namespace cannonball {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Advances by up to `steps` steps and calls `on_read()` after every step that read the
// pre-image fd; `on_read` returns false to stop there. Vm::last_step_read_preimage() is only
// fresh after a step the interpreter ran, so the engine runs all but the last step of a chunk
// (it stops right after a read by itself) and the last one is an interpreter step.
RunResult advance_counting_reads(Engine& engine, Vm& vm, Word steps, const std::function<bool()>& on_read) {
  RunResult total;
  State& state = vm.state();
  while (total.steps < steps && !state.exited) {
    const Word remaining = steps - total.steps;
    if (remaining > 1) {
      vm.set_stop_conditions({.after_preimage_read = true});
      const RunResult r = engine.advance(remaining - 1);
      vm.set_stop_conditions({});
      total.steps += r.steps;
      if (r.exception) {
        total.exception = r.exception;
        return total;
      }
      if (r.steps < remaining - 1) {  // stopped after a read, or exited
        if (!state.exited && vm.last_step_read_preimage() && !on_read()) return total;
        continue;
      }
    }
    if (state.exited) break;
    if (auto e = vm.step()) {
      total.exception = std::move(e);
      return total;
    }
    ++total.steps;
    if (vm.last_step_read_preimage() && !on_read()) return total;
  }
  return total;
}

// Whether the next step runs an instruction of the current thread (not a pop of an exited thread
// or a forced preemption), per spec §4.
bool next_step_executes(const State& s) {
  if (s.exited || s.active_stack().empty()) return false;
  const Thread& t = s.current_thread();
  return !t.exited && s.steps_since_last_context_switch < SchedQuantum;
}

constexpr size_t Slot2CacheLimit = 256;

}  // namespace

// A private VM on a copy of a checkpoint, with the pre-images of the first pass.
class TraceStore::Cursor {
 public:
  Cursor(State from, const RecordingOracle& recording, const std::string& engine_name, Word base_clock)
      : state(std::move(from)), oracle(recording), vm(state), base_clock_step(base_clock) {
    if (recording.has_inner()) vm.set_oracle(&oracle);
    vm.set_output([](int, std::span<const uint8_t>) {});
    vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
    engine = make_engine(engine_name, vm);
  }
  void advance_to(Word target) {
    while (state.step < target && !state.exited) {
      const RunResult r = engine->advance(target - state.step);
      if (r.exception) throw QueryError(500, "internal error: replay raised " + r.exception->message());
    }
    if (state.step != target)
      throw QueryError(500, "internal error: replay ended at step " + std::to_string(state.step));
  }

  State state;
  ReplayOracle oracle;
  Vm vm;
  std::unique_ptr<Engine> engine;
  Word base_clock_step;  // the last clock_gettime before the checkpoint this cursor started from
};

TraceStore::TraceStore(TraceOptions options, PreimageOracle* source)
    : options_(std::move(options)), source_(source), recording_(source) {}

TraceStore::~TraceStore() = default;

std::string TraceStore::snapshot_path(Word step) const {
  return options_.snapshot_dir + "/" + prestate_prefix_ + "-" + std::to_string(step) + ".bin";
}

// Snapshot files are named after the prestate's hash and their step and written atomically, so
// a file that is there is a complete state of this trace.
void TraceStore::scan_existing_snapshots() {
  if (options_.snapshot_dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(options_.snapshot_dir, ec);
  if (ec) throw CliError("cannot create --snapshot-dir " + options_.snapshot_dir + ": " + ec.message());
  const std::string prefix = prestate_prefix_ + "-";
  for (const auto& entry : std::filesystem::directory_iterator(options_.snapshot_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || !has_suffix(name, ".bin")) continue;
    const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - 4);
    if (digits.empty() || digits.size() > 20 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    errno = 0;
    const unsigned long long step = std::strtoull(digits.c_str(), nullptr, 10);
    if (errno == 0) existing_snapshots_[step] = entry.path().string();
  }
  if (ec) throw CliError("cannot read --snapshot-dir " + options_.snapshot_dir + ": " + ec.message());
}

uint64_t TraceStore::account(const Checkpoint& cp, const Checkpoint* previous) const {
  const Memory& memory = cp.state->memory;
  const size_t pages = memory.page_count();
  const size_t shared = previous ? memory.pages_shared_with(previous->state->memory) : 0;
  // Private pages, a page-table entry per page, the cached merkle nodes, the threads.
  return (pages - shared) * (PageSize + 64) + pages * 64 + memory.merkle_node_count() * 96 +
         cp.state->thread_count() * sizeof(Thread) + cp.state->last_hint.size();
}

void TraceStore::add_checkpoint(State& live, const Vm& vm) {
  live.memory.merkle_root();  // shared pages must be merkle-clean
  Checkpoint cp;
  cp.step = live.step;
  cp.state = std::make_shared<const State>(live);
  cp.last_clock_step = vm.deferred_clock_step();
  cp.preimage_reads_before = preimage_reads_;
  if (auto it = existing_snapshots_.find(cp.step); it != existing_snapshots_.end()) cp.file = it->second;
  const Checkpoint* previous = nullptr;
  for (auto it = checkpoints_.rbegin(); it != checkpoints_.rend(); ++it)
    if (it->state) {
      previous = &*it;
      break;
    }
  cp.bytes = account(cp, previous);
  checkpoints_.push_back(std::move(cp));
  thin_checkpoints();
}

// Keeps the checkpoint memory within the budget: doubles the interval and drops (or spills to
// a snapshot file) the in-memory checkpoints that are not on the new grid. The first checkpoint
// (the prestate) and the newest stay.
void TraceStore::thin_checkpoints() {
  auto total = [&] {
    uint64_t sum = 0;
    for (const Checkpoint& cp : checkpoints_) sum += cp.state ? cp.bytes : 0;
    return sum;
  };
  while (total() > options_.memory_budget) {
    size_t in_memory = 0;
    for (const Checkpoint& cp : checkpoints_) in_memory += cp.state != nullptr;
    if (in_memory <= 2) return;  // nothing more to drop; the budget is below one interval's pages
    interval_ *= 2;
    std::vector<Checkpoint> kept;
    for (size_t i = 0; i < checkpoints_.size(); ++i) {
      Checkpoint& cp = checkpoints_[i];
      const bool keep = !cp.state || i == 0 || i + 1 == checkpoints_.size() || cp.step % interval_ == 0;
      if (!keep) {
        if (options_.snapshot_dir.empty()) continue;
        if (cp.file.empty()) {
          const auto start = Clock::now();
          cp.file = snapshot_path(cp.step);
          try {
            write_state_file(*cp.state, cp.file);
          } catch (const StateFileError& e) {
            throw CliError(std::string("cannot write a checkpoint to --snapshot-dir: ") + e.what());
          }
          disk_load_seconds_ = seconds_since(start);
        }
        cp.state.reset();
      }
      kept.push_back(std::move(cp));
    }
    checkpoints_ = std::move(kept);
    const Checkpoint* previous = nullptr;
    for (Checkpoint& cp : checkpoints_) {
      if (!cp.state) continue;
      cp.bytes = account(cp, previous);
      previous = &cp;
    }
  }
}

// The first pass's checkpoints: every multiple of the current interval (it only grows, by
// doubling, so the initial interval's multiples cover it) and the steps of an earlier run's
// snapshot files, which stay on disk only when they are off the grid.
class TraceStore::CheckpointListener final : public RunListener {
 public:
  CheckpointListener(TraceStore& store, Machine& machine, StepMatcher when, const std::function<void(Word)>& progress)
      : RunListener(std::move(when)), store_(store), machine_(machine), progress_(progress) {}

  void before_step(State& live) override {
    if (live.step == store_.start_step_) return;  // the start is already a checkpoint
    const bool on_grid = live.step % store_.interval_ == 0;
    auto file = store_.existing_snapshots_.find(live.step);
    if (on_grid) {
      store_.preimage_reads_ = machine_.vm().preimage_reads();
      store_.add_checkpoint(live, machine_.vm());
    } else if (file != store_.existing_snapshots_.end()) {
      Checkpoint cp;
      cp.step = live.step;
      cp.file = file->second;
      cp.last_clock_step = machine_.vm().deferred_clock_step();
      cp.preimage_reads_before = machine_.vm().preimage_reads();
      store_.checkpoints_.push_back(std::move(cp));
    } else {
      return;
    }
    if (progress_) progress_(live.step);
  }

 private:
  TraceStore& store_;
  Machine& machine_;
  const std::function<void(Word)>& progress_;
};

void TraceStore::build(const std::function<void(Word)>& progress) {
  const auto start = Clock::now();
  State live;
  try {
    live = read_state_file(options_.input_path);
  } catch (const StateFileError& e) { throw CliError(std::string("failed to load state: ") + e.what()); }
  prestate_prefix_ = to_hex(state_hash(encode_witness(live))).substr(2, 16);
  scan_existing_snapshots();
  start_step_ = live.step;
  interval_ = std::max<Word>(options_.initial_interval, 1);
  const Word last_allowed = options_.max_steps > ~Word{0} - start_step_ ? ~Word{0} : start_step_ + options_.max_steps;

  // The first pass is the run loop of `run` (no proofs, so slot #2 stays deferred throughout);
  // the trace store's own recording serves later replays.
  const std::string input_path = options_.input_path;
  Machine machine(std::move(live), MachineConfig{.engine = options_.engine,
                                                 .oracle = source_ ? &recording_ : nullptr,
                                                 .reload_start = [input_path] { return read_state_file(input_path); }});
  machine.vm().set_output([](int, std::span<const uint8_t>) {});
  add_checkpoint(machine.state(), machine.vm());
  if (progress) progress(machine.state().step);

  std::string snapshot_steps;
  for (const auto& [step, file] : existing_snapshots_)
    if (step > start_step_) snapshot_steps += (snapshot_steps.empty() ? "=" : ",=") + std::to_string(step);
  RunLoop loop(machine);
  CheckpointListener grid(*this, machine, StepMatcher::parse("%" + std::to_string(interval_)), progress);
  loop.add_listener(grid);
  std::optional<CheckpointListener> files;
  if (!snapshot_steps.empty()) {
    files.emplace(*this, machine, StepMatcher::parse(snapshot_steps), progress);
    loop.add_listener(*files);
  }
  const RunResult result = loop.run(last_allowed == ~Word{0} ? std::nullopt : std::optional<Word>(last_allowed));
  if (result.reason == StopReason::VmException) end_exception_ = result.exception;
  preimage_reads_ = machine.vm().preimage_reads();
  State& end = machine.state();
  build_seconds_ = seconds_since(start);
  const Word traced = end.step - start_step_;
  jit_rate_ = build_seconds_ > 0 ? static_cast<Word>(static_cast<double>(traced) / build_seconds_) : traced;
  if (jit_rate_ == 0) jit_rate_ = 1;

  if (end_exception_) {
    // The state that raised is unusable; the trace's last state is the pre-state of that step.
    end_step_ = end_exception_->step;
    std::unique_ptr<Cursor> cursor = cursor_at(end_step_);
    cursor->state.memory.merkle_root();
    final_ = std::make_shared<const State>(cursor->state);
  } else {
    end_step_ = end.step;
    end.memory.merkle_root();
    final_ = std::make_shared<const State>(end);
  }
}

TraceStatus TraceStore::status() const {
  TraceStatus s;
  for (const Checkpoint& cp : checkpoints_) {
    if (cp.state) {
      ++s.checkpoints_in_memory;
      s.checkpoint_bytes += cp.bytes;
    }
    if (!cp.file.empty()) ++s.checkpoints_on_disk;
  }
  s.interval = interval_;
  s.memory_budget = options_.memory_budget;
  return s;
}

const TraceStore::Checkpoint& TraceStore::checkpoint_for(Word step) const {
  const Checkpoint* in_memory = nullptr;
  const Checkpoint* on_disk = nullptr;
  for (const Checkpoint& cp : checkpoints_) {
    if (cp.step > step) break;
    if (cp.state) in_memory = &cp;
    if (!cp.file.empty()) on_disk = &cp;
  }
  if (!in_memory) throw QueryError(500, "internal error: no checkpoint before step " + std::to_string(step));
  if (!on_disk || on_disk->step <= in_memory->step) return *in_memory;
  const double rate = static_cast<double>(jit_rate_);
  const double from_memory = static_cast<double>(step - in_memory->step) / rate;
  const double from_disk = disk_load_seconds_ + static_cast<double>(step - on_disk->step) / rate;
  return from_disk < from_memory ? *on_disk : *in_memory;
}

std::unique_ptr<TraceStore::Cursor> TraceStore::cursor_at(Word step) const {
  const Checkpoint& cp = checkpoint_for(step);
  State base;
  if (cp.state) {
    base = *cp.state;
  } else {
    try {
      base = read_state_file(cp.file);
    } catch (const StateFileError& e) {
      throw QueryError(500, std::string("cannot read checkpoint file: ") + e.what());
    }
  }
  auto cursor = std::make_unique<Cursor>(std::move(base), recording_, options_.engine, cp.last_clock_step);
  cursor->advance_to(step);
  return cursor;
}

void TraceStore::check_step(Word step, bool need_executable) const {
  if (step < start_step_)
    throw QueryError(404,
                     "step " + std::to_string(step) + " is before the prestate's step " + std::to_string(start_step_));
  const std::string end = std::to_string(end_step_);
  if (end_exception_ && (step > end_step_ || (need_executable && step == end_step_)))
    throw QueryError(422, "the trace ends at step " + end + " with a VM exception: " + end_exception_->message());
  if (step > end_step_ || (need_executable && step == end_step_)) {
    const std::string what =
        final_->exited ? "the guest exits at step " + end : "the trace was cut at step " + end + " (--max-steps)";
    throw QueryError(404, "step " + std::to_string(step) +
                              (need_executable ? " has no step to prove: " : " is past the end: ") + what);
  }
}

StateAnswer TraceStore::state_at(Word step) const {
  check_step(step, false);
  std::unique_ptr<Cursor> cursor;
  State final_copy;
  if (step == end_step_)
    final_copy = *final_;
  else
    cursor = cursor_at(step);
  State& copy = cursor ? cursor->state : final_copy;
  StateAnswer answer;
  answer.step = copy.step;
  answer.witness = encode_witness(copy);
  answer.hash = state_hash(answer.witness);
  answer.exited = copy.exited;
  answer.exit_code = copy.exit_code;
  return answer;
}

MemProof TraceStore::slot2_for_clock(Word clock_step) const {
  {
    std::lock_guard<std::mutex> lock(slot2_mutex_);
    if (auto it = slot2_cache_.find(clock_step); it != slot2_cache_.end()) return it->second;
  }
  std::unique_ptr<Cursor> cursor = cursor_at(clock_step - 1);
  cursor->vm.set_slot2_mode(Vm::Slot2Mode::Eager);
  if (auto e = cursor->vm.step())
    throw QueryError(500, "internal error: replay for proof slot #2 raised " + e->message());
  if (cursor->vm.slot2_stale())
    throw QueryError(500, "internal error: step " + std::to_string(clock_step - 1) + " is not a clock_gettime");
  const MemProof proof = cursor->vm.slot2();
  std::lock_guard<std::mutex> lock(slot2_mutex_);
  if (slot2_cache_.size() >= Slot2CacheLimit) slot2_cache_.erase(slot2_cache_.begin());
  slot2_cache_[clock_step] = proof;
  return proof;
}

std::string TraceStore::proof_at(Word step) const {
  check_step(step, true);
  std::unique_ptr<Cursor> cursor = cursor_at(step);
  // Slot #2 holds the proof of the last clock_gettime before this step (spec §17.1), as in a run
  // from the prestate: one since the checkpoint, else the checkpoint's own record.
  const Word clock = cursor->vm.slot2_stale() ? cursor->vm.deferred_clock_step() : cursor->base_clock_step;
  if (clock != 0) cursor->vm.set_slot2(slot2_for_clock(clock));
  StepWitness witness;
  if (auto e = cursor->vm.step_with_proof(witness))
    throw QueryError(422, "the step raises a VM exception: " + e->message());
  return proof_json(witness);
}

Word TraceStore::preimage_read_step(Word k) const {
  if (k == 0 || k > preimage_reads_)
    throw QueryError(404, "k must be between 1 and " + std::to_string(preimage_reads_) +
                              " (the pre-image reads in the trace); got " + std::to_string(k));
  // The last checkpoint with fewer than k reads before it; the k-th read lies before the next.
  size_t index = 0;
  for (size_t i = 0; i < checkpoints_.size(); ++i)
    if (checkpoints_[i].preimage_reads_before < k && checkpoints_[i].state) index = i;
  const Checkpoint& cp = checkpoints_[index];
  auto cursor = std::make_unique<Cursor>(State(*cp.state), recording_, options_.engine, cp.last_clock_step);
  Word count = cp.preimage_reads_before;
  const RunResult r =
      advance_counting_reads(*cursor->engine, cursor->vm, end_step_ - cp.step, [&] { return ++count < k; });
  if (r.exception || count != k)
    throw QueryError(500, "internal error: replay found " + std::to_string(count) + " reads, not " + std::to_string(k));
  return cursor->state.step - 1;
}

Word TraceStore::scan(Word after, Word limit, const std::function<bool(const State&)>& match, const char* what) const {
  check_step(after, false);
  std::unique_ptr<Cursor> cursor = cursor_at(after);
  const Word stop = end_step_ - after < limit ? end_step_ : after + limit;
  State& state = cursor->state;
  while (state.step < stop) {
    if (match(state)) return state.step;
    if (auto e = cursor->vm.step()) throw QueryError(500, "internal error: replay raised " + e->message());
  }
  throw QueryError(404, std::string("no step ") + what + " in steps [" + std::to_string(after) + ", " +
                            std::to_string(stop) + ")" + (stop == end_step_ ? " (the end of the trace)" : ""));
}

Word TraceStore::first_syscall(Word number, Word after, Word limit) const {
  return scan(
      after, limit,
      [number](const State& s) {
        if (!next_step_executes(s)) return false;
        const Thread& t = s.current_thread();
        return (t.pc & 3) == 0 && is_op(s.memory.read_u32(t.pc), Op::syscall) && t.regs[2] == number;
      },
      "executes that syscall");
}

Word TraceStore::first_pc(Word pc, Word after, Word limit) const {
  return scan(
      after, limit, [pc](const State& s) { return next_step_executes(s) && s.current_thread().pc == pc; },
      "executes that pc");
}

}  // namespace cannonball
