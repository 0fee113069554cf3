#include "runtime/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace cannonball {
namespace {

class Reader {
 public:
  explicit Reader(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  const uint8_t* take(size_t size, const char* what) {
    if (bytes_.size() - pos_ < size)
      throw StateFileError(std::string("truncated state: missing ") + what + " at byte " + std::to_string(pos_));
    const uint8_t* p = bytes_.data() + pos_;
    pos_ += size;
    return p;
  }
  uint8_t u8(const char* what) { return *take(1, what); }
  Word u64(const char* what) { return load_be64(take(8, what)); }
  uint32_t u32(const char* what) { return load_be32(take(4, what)); }
  size_t remaining() const { return bytes_.size() - pos_; }
  size_t pos() const { return pos_; }

 private:
  const std::vector<uint8_t>& bytes_;
  size_t pos_ = 0;
};

void put_u64(std::vector<uint8_t>& out, Word v) {
  uint8_t b[8];
  store_be64(b, v);
  out.insert(out.end(), b, b + 8);
}

void read_stack(Reader& in, std::vector<Thread>& stack, const char* name) {
  const Word count = in.u64(name);
  if (count > in.remaining() / ThreadSize)
    throw StateFileError(std::string("truncated state: ") + name + " count " + std::to_string(count) +
                         " exceeds the remaining data");
  stack.reserve(count);
  for (Word i = 0; i < count; ++i) stack.push_back(decode_thread(in.take(ThreadSize, "thread")));
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::vector<uint8_t> serialize_state(const State& state) {
  std::vector<uint8_t> out;
  const auto indices = state.memory.sorted_page_indices();
  out.reserve(1 + 8 + indices.size() * (8 + PageSize) + 256 + ThreadSize * state.thread_count());
  out.push_back(StateVersion);
  put_u64(out, indices.size());
  for (Word index : indices) {
    put_u64(out, index);
    const Page* page = state.memory.find_page(index);
    out.insert(out.end(), page->bytes, page->bytes + PageSize);
  }
  out.insert(out.end(), state.preimage_key.begin(), state.preimage_key.end());
  put_u64(out, state.preimage_offset);
  put_u64(out, state.heap);
  out.push_back(state.ll_reservation_status);
  put_u64(out, state.ll_address);
  put_u64(out, state.ll_owner_thread);
  out.push_back(state.exit_code);
  out.push_back(state.exited ? 1 : 0);
  put_u64(out, state.step);
  put_u64(out, state.steps_since_last_context_switch);
  out.push_back(state.traverse_right ? 1 : 0);
  put_u64(out, state.next_thread_id);
  for (const auto* stack : {&state.left_stack, &state.right_stack}) {
    put_u64(out, stack->size());
    for (const Thread& thread : *stack) {
      const ThreadBytes bytes = encode_thread(thread);
      out.insert(out.end(), bytes.begin(), bytes.end());
    }
  }
  uint8_t len[4];
  store_be32(len, static_cast<uint32_t>(state.last_hint.size()));
  out.insert(out.end(), len, len + 4);
  out.insert(out.end(), state.last_hint.begin(), state.last_hint.end());
  return out;
}

State deserialize_state(const std::vector<uint8_t>& bytes) {
  Reader in(bytes);
  if (bytes.empty()) throw StateFileError("empty state file");
  const uint8_t version = in.u8("version");
  if (version != StateVersion)
    throw StateFileError("unsupported state version " + std::to_string(version) + " (this VM reads version " +
                         std::to_string(StateVersion) + ", " + StateVersionName + ")");
  State state;
  const Word page_count = in.u64("page count");
  if (page_count > in.remaining() / (8 + PageSize))
    throw StateFileError("truncated state: page count " + std::to_string(page_count) + " exceeds the remaining data");
  bool have_previous = false;
  Word previous = 0;
  for (Word i = 0; i < page_count; ++i) {
    const Word index = in.u64("page index");
    if (index > (~Word{0} >> PageAddrBits))
      throw StateFileError("page index " + hex_word(index) + " is outside the 64-bit address space");
    if (have_previous && index <= previous)
      throw StateFileError(index == previous ? "page index " + hex_word(index) + " is repeated"
                                             : "page indices out of order: " + hex_word(index) + " after " +
                                                   hex_word(previous));
    have_previous = true;
    previous = index;
    Page& page = state.memory.allocate_page(index);
    std::memcpy(page.bytes, in.take(PageSize, "page data"), PageSize);
  }
  std::memcpy(state.preimage_key.data(), in.take(32, "preimage key"), 32);
  state.preimage_offset = in.u64("preimage offset");
  state.heap = in.u64("heap");
  state.ll_reservation_status = in.u8("LL reservation status");
  state.ll_address = in.u64("LL address");
  state.ll_owner_thread = in.u64("LL owner thread");
  state.exit_code = in.u8("exit code");
  const uint8_t exited = in.u8("exited");
  if (exited > 1) throw StateFileError("invalid exited flag " + std::to_string(exited) + " (must be 0 or 1)");
  state.exited = exited == 1;
  state.step = in.u64("step");
  state.steps_since_last_context_switch = in.u64("steps since last context switch");
  const uint8_t traverse_right = in.u8("traverseRight");
  if (traverse_right > 1)
    throw StateFileError("invalid traverseRight flag " + std::to_string(traverse_right) + " (must be 0 or 1)");
  state.traverse_right = traverse_right == 1;
  state.next_thread_id = in.u64("next thread id");
  read_stack(in, state.left_stack, "left thread stack");
  read_stack(in, state.right_stack, "right thread stack");
  const uint32_t hint_len = in.u32("last hint length");
  const uint8_t* hint = in.take(hint_len, "last hint");
  state.last_hint.assign(hint, hint + hint_len);
  if (in.remaining() != 0)
    throw StateFileError("trailing garbage: " + std::to_string(in.remaining()) + " unexpected bytes after the state");
  return state;
}

bool is_binary_state_path(const std::string& path) { return has_suffix(path, ".bin") || has_suffix(path, ".bin.gz"); }

std::vector<uint8_t> read_file_maybe_gz(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StateFileError("cannot open " + path + ": " + errno_text());
  std::vector<uint8_t> raw;
  uint8_t buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = errno_text();
      ::close(fd);
      throw StateFileError("cannot read " + path + ": " + err);
    }
    if (n == 0) break;
    raw.insert(raw.end(), buf, buf + n);
  }
  ::close(fd);
  if (!has_suffix(path, ".gz")) return raw;

  std::vector<uint8_t> out;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw StateFileError("zlib initialisation failed");
  zs.next_in = raw.data();
  zs.avail_in = static_cast<uInt>(raw.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = buf;
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw StateFileError(path + ": corrupt gzip data" + (zs.msg ? std::string(" (") + zs.msg + ")" : ""));
    }
    out.insert(out.end(), buf, buf + (sizeof buf - zs.avail_out));
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      throw StateFileError(path + ": truncated gzip data");
    }
  }
  const bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (trailing) throw StateFileError(path + ": trailing bytes after the gzip stream");
  return out;
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip) {
  std::vector<uint8_t> data;
  if (gzip) {
    z_stream zs{};
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw StateFileError("zlib initialisation failed");
    data.resize(deflateBound(&zs, bytes.size()) + 64);
    zs.next_in = const_cast<uint8_t*>(bytes.data());
    zs.avail_in = static_cast<uInt>(bytes.size());
    zs.next_out = data.data();
    zs.avail_out = static_cast<uInt>(data.size());
    const int rc = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw StateFileError("gzip compression failed");
    data.resize(zs.total_out);
  }
  const std::vector<uint8_t>& payload = gzip ? data : bytes;

  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  std::string tmp = (slash == std::string::npos ? std::string() : dir) + ".tmp-" +
                    (slash == std::string::npos ? path : path.substr(slash + 1)) + "-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw StateFileError("cannot create a temporary file for " + path + ": " + errno_text());
  size_t done = 0;
  while (done < payload.size()) {
    const ssize_t n = ::write(fd, payload.data() + done, payload.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      throw StateFileError("cannot write " + path + ": " + err);
    }
    done += static_cast<size_t>(n);
  }
  ::fchmod(fd, 0755);
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = errno_text();
    ::unlink(tmp.c_str());
    throw StateFileError("cannot write " + path + ": " + err);
  }
}

State read_state_file(const std::string& path) {
  if (!is_binary_state_path(path))
    throw StateFileError("unsupported state file " + path + ": the name must end in .bin or .bin.gz");
  try {
    return deserialize_state(read_file_maybe_gz(path));
  } catch (const StateFileError& e) {
    const std::string what = e.what();
    if (what.find(path) != std::string::npos) throw;
    throw StateFileError(path + ": " + what);
  }
}

void write_state_file(const State& state, const std::string& path) {
  if (!is_binary_state_path(path))
    throw StateFileError("unsupported state file " + path + ": the name must end in .bin or .bin.gz");
  write_file_atomic(path, serialize_state(state), has_suffix(path, ".gz"));
}

}  // namespace cannonball
