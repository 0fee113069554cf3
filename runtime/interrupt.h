// The process-wide interrupt request: SIGINT and SIGTERM set a flag that every long wait and
// every long loop polls (host pipes, the cross-check worker, the run loops), so an interrupted
// command unwinds normally, removes its temporary files and exits 130 without writing outputs.
// The handler only sets the flag, so a second signal during that cleanup changes nothing.
#pragma once

#include <atomic>
#include <stdexcept>

namespace cannonball {

// Thrown by a wait or loop that saw the request; main turns it into exit status 130.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

// Installs the SIGINT/SIGTERM handler (without SA_RESTART, so blocking calls return EINTR).
void install_interrupt_handlers();
bool interrupt_requested();
// The flag itself, for loops that take an atomic to poll (RunLoop::set_interrupt_flag).
const std::atomic<bool>& interrupt_flag();
void throw_if_interrupted();
// Sets or clears the flag as a signal would (for tests and for a command that starts over).
void request_interrupt();
void clear_interrupt();

// The longest a wait sleeps between looks at the flag.
inline constexpr int InterruptPollMs = 100;

}  // namespace cannonball
