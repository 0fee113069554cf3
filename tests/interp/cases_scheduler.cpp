// Single-step scheduler cases (spec §4): quantum edges, popping exited threads, traversal flips,
// the exited no-op and the empty-stack exceptions. Base layout: left = [1, 4 (active)],
// right = [2, 3].
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

const uint32_t AddOne = i_type(Op::addiu, T1, R0, 1);

std::function<void(State&)> steps_since(Word count, std::function<void(State&)> more = nullptr) {
  return [count, more](State& s) {
    s.steps_since_last_context_switch = count;
    if (more) more(s);
  };
}

void only_active_thread(State& s) {
  s.left_stack = {s.current_thread()};
  s.right_stack.clear();
}

void active_exited(State& s) {
  s.current_thread().exited = true;
  s.current_thread().exit_code = 9;
}

// Moves the active thread to the top of the right stack and traverses right.
void traverse_right_with_active(State& s) {
  s.right_stack.push_back(s.left_stack.back());
  s.left_stack.pop_back();
  s.traverse_right = true;
}

}  // namespace

std::vector<StepCase> scheduler_cases() {
  return {
      {.name = "QuantumEdgeRunsTheInstruction",
       .program = {AddOne},
       .setup = steps_since(99'999),
       .expect_regs = {{T1, 1}}},  // the counter goes 99_999 -> 100_000 by the default rule
      {.name = "QuantumReachedPreemptsWithoutRunning",
       .program = {AddOne},
       .setup = steps_since(100'000),
       .runs_instruction = false,
       .expect =
           [](State& s) {
             // left [1, 4] -> [1]; right [2, 3] -> [2, 3, 4]; counter reset, no flip.
             s.right_stack.push_back(s.left_stack.back());
             s.left_stack.pop_back();
             s.steps_since_last_context_switch = 0;
           }},
      {.name = "QuantumExceededPreemptsWithoutRunning",
       .program = {AddOne},
       .setup = steps_since(100'001),
       .runs_instruction = false,
       .expect =
           [](State& s) {
             s.right_stack.push_back(s.left_stack.back());
             s.left_stack.pop_back();
             s.steps_since_last_context_switch = 0;
           }},
      {.name = "ForcedPreemptionOfLastThreadOnStackFlipsTraversal",
       .program = {AddOne},
       .setup = steps_since(100'000, only_active_thread),
       .runs_instruction = false,
       .expect =
           [](State& s) {
             s.right_stack = {s.left_stack.back()};
             s.left_stack.clear();
             s.traverse_right = true;
             s.steps_since_last_context_switch = 0;
           }},
      {.name = "ForcedPreemptionWhileTraversingRightMovesToLeft",
       .program = {AddOne},
       .setup = steps_since(100'000, traverse_right_with_active),
       .runs_instruction = false,
       .expect =
           [](State& s) {
             // right [2, 3, 4] -> [2, 3]; left [1] -> [1, 4].
             s.left_stack.push_back(s.right_stack.back());
             s.right_stack.pop_back();
             s.steps_since_last_context_switch = 0;
           }},
      {.name = "RunsTopOfRightStackWhenTraversingRight",
       .program = {AddOne},
       .setup = traverse_right_with_active,
       .expect_regs = {{T1, 1}}},
      {.name = "PopsExitedThread",
       .program = {AddOne},
       .setup = active_exited,
       .runs_instruction = false,
       .expect =
           [](State& s) {
             s.left_stack.pop_back();
             s.steps_since_last_context_switch = 0;
           }},
      {.name = "PopsExitedThreadEvenWhenQuantumIsUsedUp",
       .program = {AddOne},
       .setup = steps_since(100'000, active_exited),
       .runs_instruction = false,
       .expect =
           [](State& s) {
             s.left_stack.pop_back();
             s.steps_since_last_context_switch = 0;
           }},
      {.name = "PoppingLastThreadOfStackFlipsTraversal",
       .program = {AddOne},
       .setup =
           [](State& s) {
             active_exited(s);
             s.left_stack = {s.current_thread()};
           },
       .runs_instruction = false,
       .expect =
           [](State& s) {
             s.left_stack.clear();
             s.traverse_right = true;
             s.steps_since_last_context_switch = 0;
           }},
      {.name = "ExitedStateStepIsNoop",
       .program = {AddOne},
       .setup =
           [](State& s) {
             s.exited = true;
             s.exit_code = 1;
           }},
      {.name = "EmptyActiveStackBeforeStepRaises",
       .program = {AddOne},
       .setup = [](State& s) { s.left_stack.clear(); },
       .exception = ExceptionKind::EmptyThreadStack},
      {.name = "ExitedStateWithEmptyActiveStackRaises",
       .program = {AddOne},
       .setup =
           [](State& s) {
             s.left_stack.clear();
             s.exited = true;
           },
       .exception = ExceptionKind::EmptyThreadStack},
      // Popping the last thread of both stacks leaves no active thread: the post-check raises.
      {.name = "PoppingLastThreadOfBothStacksRaises",
       .program = {AddOne},
       .setup =
           [](State& s) {
             active_exited(s);
             only_active_thread(s);
           },
       .exception = ExceptionKind::EmptyThreadStack},
  };
}

std::vector<StepCase> all_step_cases() {
  std::vector<StepCase> all;
  for (auto* group : {alu_cases, shift_cases, hilo_cases, branch_cases, load_cases, store_cases, rmw_cases, fault_cases,
                      syscall_cases, io_cases, scheduler_cases}) {
    std::vector<StepCase> cases = group();
    all.insert(all.end(), std::make_move_iterator(cases.begin()), std::make_move_iterator(cases.end()));
  }
  return all;
}

}  // namespace cannonball::test
