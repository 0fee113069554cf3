// File-name patterns (Go's fmt on one uint64), the --host-timeout rule, and the pre-image host
// and directory oracles under hostile conditions: huge declared lengths, hosts that never answer,
// signals during a wait, a directory in place of a pre-image file.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include "runtime/hex.h"
#include "runtime/host_oracle.h"
#include "runtime/interrupt.h"
#include "tools/runloop/matcher.h"

namespace cannonball {
namespace {

using Clock = std::chrono::steady_clock;

struct PatternCase {
  const char* pattern;
  Word step;
  const char* expected;
};

// Expected values printed by Go 1.26's fmt.Sprintf(pattern, uint64(step)).
const PatternCase GoPatternCases[] = {
    {"p-%0100d.json", 0,
     "p-0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.json"},
    {"%d", 0, "0"},
    {"%08d", 0, "00000000"},
    {"%-8d|", 0, "0       |"},
    {"%+d", 0, "+0"},
    {"% d", 0, " 0"},
    {"%+08d", 0, "+0000000"},
    {"%#x", 0, "0x0"},
    {"%#08x", 0, "0x00000000"},
    {"%#X", 0, "0X0"},
    {"%x", 0, "0"},
    {"%X", 0, "0"},
    {"%o", 0, "0"},
    {"%#o", 0, "0"},
    {"%v", 0, "0"},
    {"%#v", 0, "0x0"},
    {"%+v", 0, "0"},
    {"%08v", 0, "00000000"},
    {"%-08d|", 0, "0       |"},
    {"%0-8d|", 0, "0       |"},
    {"%5x", 0, "    0"},
    {"%#5o", 0, "    0"},
    {"%#08X", 0, "0X00000000"},
    {"p-%0100d.json", 5,
     "p-0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005.json"},
    {"%d", 5, "5"},
    {"%08d", 5, "00000005"},
    {"%-8d|", 5, "5       |"},
    {"%+d", 5, "+5"},
    {"% d", 5, " 5"},
    {"%+08d", 5, "+0000005"},
    {"%#x", 5, "0x5"},
    {"%#08x", 5, "0x00000005"},
    {"%#X", 5, "0X5"},
    {"%x", 5, "5"},
    {"%X", 5, "5"},
    {"%o", 5, "5"},
    {"%#o", 5, "05"},
    {"%v", 5, "5"},
    {"%#v", 5, "0x5"},
    {"%+v", 5, "5"},
    {"%08v", 5, "00000005"},
    {"%-08d|", 5, "5       |"},
    {"%0-8d|", 5, "5       |"},
    {"%5x", 5, "    5"},
    {"%#5o", 5, "   05"},
    {"%#08X", 5, "0X00000005"},
    {"p-%0100d.json", 255,
     "p-0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000255.json"},
    {"%d", 255, "255"},
    {"%08d", 255, "00000255"},
    {"%-8d|", 255, "255     |"},
    {"%+d", 255, "+255"},
    {"% d", 255, " 255"},
    {"%+08d", 255, "+0000255"},
    {"%#x", 255, "0xff"},
    {"%#08x", 255, "0x000000ff"},
    {"%#X", 255, "0XFF"},
    {"%x", 255, "ff"},
    {"%X", 255, "FF"},
    {"%o", 255, "377"},
    {"%#o", 255, "0377"},
    {"%v", 255, "255"},
    {"%#v", 255, "0xff"},
    {"%+v", 255, "255"},
    {"%08v", 255, "00000255"},
    {"%-08d|", 255, "255     |"},
    {"%0-8d|", 255, "255     |"},
    {"%5x", 255, "   ff"},
    {"%#5o", 255, " 0377"},
    {"%#08X", 255, "0X000000FF"},
    {"p-%0100d.json", 18446744073709551615ull,
     "p-0000000000000000000000000000000000000000000000000000000000000000000000000000000018446744073709551615.json"},
    {"%d", 18446744073709551615ull, "18446744073709551615"},
    {"%08d", 18446744073709551615ull, "18446744073709551615"},
    {"%-8d|", 18446744073709551615ull, "18446744073709551615|"},
    {"%+d", 18446744073709551615ull, "+18446744073709551615"},
    {"% d", 18446744073709551615ull, " 18446744073709551615"},
    {"%+08d", 18446744073709551615ull, "+18446744073709551615"},
    {"%#x", 18446744073709551615ull, "0xffffffffffffffff"},
    {"%#08x", 18446744073709551615ull, "0xffffffffffffffff"},
    {"%#X", 18446744073709551615ull, "0XFFFFFFFFFFFFFFFF"},
    {"%x", 18446744073709551615ull, "ffffffffffffffff"},
    {"%X", 18446744073709551615ull, "FFFFFFFFFFFFFFFF"},
    {"%o", 18446744073709551615ull, "1777777777777777777777"},
    {"%#o", 18446744073709551615ull, "01777777777777777777777"},
    {"%v", 18446744073709551615ull, "18446744073709551615"},
    {"%#v", 18446744073709551615ull, "0xffffffffffffffff"},
    {"%+v", 18446744073709551615ull, "18446744073709551615"},
    {"%08v", 18446744073709551615ull, "18446744073709551615"},
    {"%-08d|", 18446744073709551615ull, "18446744073709551615|"},
    {"%0-8d|", 18446744073709551615ull, "18446744073709551615|"},
    {"%5x", 18446744073709551615ull, "ffffffffffffffff"},
    {"%#5o", 18446744073709551615ull, "01777777777777777777777"},
    {"%#08X", 18446744073709551615ull, "0XFFFFFFFFFFFFFFFF"},
};

TEST(FilePattern, FormatsLikeGo) {
  for (const PatternCase& c : GoPatternCases)
    EXPECT_EQ(format_step_pattern(c.pattern, c.step), c.expected) << c.pattern << " " << c.step;
}

TEST(FilePattern, WideFieldKeepsTheStep) {
  // Through a fixed 64-byte buffer this lost the step: every proof went to one file.
  const std::string a = format_step_pattern("p-%0100d.json", 7), b = format_step_pattern("p-%0100d.json", 8);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 2 + 100 + 5);
  EXPECT_EQ(a, "p-" + std::string(99, '0') + "7.json");
  EXPECT_EQ(format_step_pattern("%4096d", 1).size(), 4096u);
}

TEST(FilePattern, WidthOverTheLimitIsAnError) {
  for (const char* pattern : {"p-%4097d.json", "p-%99999999999999999999999d.json", "%0184467440737095516160x"}) {
    try {
      format_step_pattern(pattern, 3);
      ADD_FAILURE() << "accepted " << pattern;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("over the limit of 4096"), std::string::npos) << e.what();
    }
  }
}

TEST(HostTimeout, AcceptsZeroToADayAndNothingElse) {
  EXPECT_EQ(host_timeout_from_seconds(0).count(), 0);
  EXPECT_EQ(host_timeout_from_seconds(15).count(), 15000);
  EXPECT_EQ(host_timeout_from_seconds(0.0001).count(), 1);
  EXPECT_EQ(host_timeout_from_seconds(86400).count(), 86'400'000);
  for (double bad : {-1.0, -0.5, 86400.5, 1e300, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    try {
      host_timeout_from_seconds(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--host-timeout"), std::string::npos);
    }
  }
}

// A HostOracle over fresh pipes; the test plays the host through the other ends.
struct PipeHost {
  int key_in = -1, preimage_out = -1, hint_in = -1, hint_ack_out = -1;
  std::unique_ptr<HostOracle> oracle;

  explicit PipeHost(std::chrono::milliseconds timeout) {
    int hint[2], ack[2], key[2], resp[2];
    EXPECT_EQ(::pipe2(hint, O_CLOEXEC) | ::pipe2(ack, O_CLOEXEC) | ::pipe2(key, O_CLOEXEC) | ::pipe2(resp, O_CLOEXEC),
              0);
    hint_in = hint[0], hint_ack_out = ack[1], key_in = key[0], preimage_out = resp[1];
    oracle = std::make_unique<HostOracle>(HostFds{hint[1], ack[0], key[1], resp[0]}, timeout, "test-host");
  }
  ~PipeHost() {
    oracle.reset();
    for (int fd : {key_in, preimage_out, hint_in, hint_ack_out})
      if (fd >= 0) ::close(fd);
  }
  void send(const std::vector<uint8_t>& bytes) {
    ASSERT_EQ(::write(preimage_out, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  void close_responses() {
    ::close(preimage_out);
    preimage_out = -1;
  }
};

std::vector<uint8_t> length_prefix(uint64_t n) {
  std::vector<uint8_t> out(8);
  store_be64(out.data(), n);
  return out;
}

template <typename E, typename Body>
std::string expect_throw(Body body) {
  try {
    body();
  } catch (const E& e) { return e.what(); } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no exception";
  return "";
}

// The host process as HostOracle starts it (posix_spawn): its stdin is /dev/null, its stdout is
// its stderr when asked, and fds 3..6 are the four pipes in their directions (hints in, hint acks
// out, keys in, pre-images out), wherever the pipe ends were in this process.
TEST(HostOracle, StartsTheHostWithItsPipesOnFdsThreeToSix) {
  const auto dir = std::filesystem::temp_directory_path() / ("cannonball-spawn-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "fds.txt").string();
  const char* script =
      "import fcntl, os, stat, sys\n"
      "def kind(fd):\n"
      "    st = os.fstat(fd)\n"
      "    acc = {os.O_RDONLY: 'r', os.O_WRONLY: 'w'}.get(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE, '?')\n"
      "    return ('fifo' if stat.S_ISFIFO(st.st_mode) else 'other') + ',' + acc\n"
      "lines = []\n"
      "st0, null = os.fstat(0), os.stat('/dev/null')\n"
      "lines.append('stdin=' + ('null' if stat.S_ISCHR(st0.st_mode) and st0.st_rdev == null.st_rdev else 'other'))\n"
      "s1, s2 = os.fstat(1), os.fstat(2)\n"
      "lines.append('stdout=' + ('stderr' if (s1.st_dev, s1.st_ino) == (s2.st_dev, s2.st_ino) else 'other'))\n"
      "lines += ['%d=%s' % (fd, kind(fd)) for fd in (3, 4, 5, 6)]\n"
      "open(sys.argv[1] + '.tmp', 'w').write('\\n'.join(lines) + '\\n')\n"
      "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n";
  // In one run the pipes take the lowest free fds (3..6 among them when free); in the other,
  // eight fds are held first, so the pipes land above them.
  for (bool low_fds_taken : {false, true}) {
    std::vector<int> taken;
    if (low_fds_taken)
      for (int i = 0; i < 8; ++i) taken.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    std::filesystem::remove(out);
    {
      HostOracle oracle({"python3", "-c", script, out}, std::chrono::milliseconds(1000), HostOracle::Stdout::ToStderr);
      for (int i = 0; i < 500 && !std::filesystem::exists(out); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (int fd : taken) ::close(fd);
    std::ifstream in(out);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "stdin=null\nstdout=stderr\n3=fifo,r\n4=fifo,w\n5=fifo,r\n6=fifo,w\n") << low_fds_taken;
  }
  std::filesystem::remove_all(dir);
}

TEST(HostOracle, ServesAPreimageInChunks) {
  PipeHost host(std::chrono::milliseconds(5000));
  std::vector<uint8_t> payload(3 << 20);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
  std::thread writer([&] {
    std::vector<uint8_t> message = length_prefix(payload.size());
    message.insert(message.end(), payload.begin(), payload.end());
    size_t done = 0;
    while (done < message.size()) {
      const ssize_t n = ::write(host.preimage_out, message.data() + done, message.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
  });
  const auto value = host.oracle->get_preimage(Hash32{});
  writer.join();
  EXPECT_EQ(value, payload);
}

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

TEST(HostOracle, DeclaredLengthCostsNothingUntilThePayloadArrives) {
  // Reset the peak-RSS mark ("5" in clear_refs, Linux 4.0+) so it measures this call alone.
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.close();
    if (!clear) GTEST_SKIP() << "cannot reset the peak RSS of this process (/proc/self/clear_refs)";
  }
  const long before = peak_rss_kib();
  PipeHost host(std::chrono::milliseconds(5000));
  std::vector<uint8_t> message = length_prefix(uint64_t{1} << 30);  // declares 1 GiB, sends 10 bytes
  message.resize(message.size() + 10, 0xAB);
  host.send(message);
  host.close_responses();
  const std::string what = expect_throw<OracleError>([&] { host.oracle->get_preimage(Hash32{}); });
  EXPECT_NE(what.find("closed the pipe after 10 of 1073741824 bytes of a pre-image"), std::string::npos) << what;
  const long grown_mib = (peak_rss_kib() - before) / 1024;
  EXPECT_LT(grown_mib, 64) << "the peak RSS grew by " << grown_mib << " MiB";
}

TEST(HostOracle, RejectsALengthOverTheLimitBeforeReading) {
  PipeHost host(std::chrono::milliseconds(5000));
  host.send(length_prefix(MaxPreimageSize + 1));
  const std::string what = expect_throw<OracleError>([&] { host.oracle->get_preimage(Hash32{}); });
  EXPECT_NE(what.find("over the limit of 4294967296 bytes"), std::string::npos) << what;
}

volatile sig_atomic_t g_usr1_count = 0;
void count_usr1(int) { g_usr1_count = g_usr1_count + 1; }

TEST(HostOracle, OtherSignalsDoNotRestartTheTimeout) {
  // A handler without SA_RESTART makes poll return EINTR; the wait must keep its deadline.
  struct sigaction action {
  }, old{};
  action.sa_handler = count_usr1;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &old), 0);
  clear_interrupt();
  PipeHost host(std::chrono::milliseconds(1000));
  std::atomic<bool> done{false};
  const pthread_t waiter = ::pthread_self();
  std::thread pinger([&] {
    const auto stop = Clock::now() + std::chrono::seconds(4);
    while (!done && Clock::now() < stop) {
      ::pthread_kill(waiter, SIGUSR1);
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
  });
  const auto start = Clock::now();
  const std::string what = expect_throw<OracleError>([&] { host.oracle->get_preimage(Hash32{}); });
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  pinger.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  EXPECT_NE(what.find("no answer within 1000 ms"), std::string::npos) << what;
  EXPECT_LT(seconds, 2.0);
  EXPECT_GT(g_usr1_count, 2);
}

TEST(HostOracle, InterruptEndsAWaitWithoutLimitWithinASecond) {
  install_interrupt_handlers();
  clear_interrupt();
  PipeHost host(std::chrono::milliseconds(0));  // no limit: only an interrupt ends it
  std::thread interrupter([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::kill(::getpid(), SIGINT);
  });
  const auto start = Clock::now();
  expect_throw<Interrupted>([&] { host.oracle->get_preimage(Hash32{}); });
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  interrupter.join();
  clear_interrupt();
  EXPECT_LT(seconds, 1.2);
  EXPECT_GE(seconds, 0.15);
}

TEST(HostOracle, InterruptEndsAHintWait) {
  clear_interrupt();
  PipeHost host(std::chrono::milliseconds(60000));
  std::thread interrupter([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    request_interrupt();
  });
  const auto start = Clock::now();
  expect_throw<Interrupted>([&] { host.oracle->hint({1, 2, 3}); });
  interrupter.join();
  clear_interrupt();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 1.0);
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/cannonball-hostile-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(DirectoryOracle, NamesTheKeyWhenADirectoryStandsInForAPreimage) {
  TempDir dir;
  Hash32 key{};
  key[0] = 2, key[31] = 0x5A;
  const std::string hex = to_hex(key).substr(2);
  std::filesystem::create_directory(dir.path / hex);
  DirectoryOracle oracle(dir.path.string());
  const std::string what = expect_throw<OracleError>([&] { oracle.get_preimage(key); });
  EXPECT_NE(what.find(to_hex(key)), std::string::npos) << what;
  EXPECT_NE(what.find("is a directory"), std::string::npos) << what;
}

TEST(DirectoryOracle, ServesFilesAndNamesMissingOnes) {
  TempDir dir;
  Hash32 key{};
  key[0] = 1;
  std::ofstream(dir.path / to_hex(key).substr(2), std::ios::binary) << "payload";
  DirectoryOracle oracle(dir.path.string());
  const auto value = oracle.get_preimage(key);
  EXPECT_EQ(std::string(value.begin(), value.end()), "payload");
  key[1] = 1;
  const std::string what = expect_throw<OracleError>([&] { oracle.get_preimage(key); });
  EXPECT_NE(what.find("no pre-image for key " + to_hex(key)), std::string::npos) << what;
}

}  // namespace
}  // namespace cannonball
