#include "runtime/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "runtime/gzip_members.h"
#include "runtime/hex.h"
#include "runtime/parallel.h"
#include "runtime/state_file_sources.h"

namespace cannonball {

using namespace state_io;  // NOLINT(google-build-using-namespace): the parser's own sources

namespace {

// ---- the parser (spec §11.1), field by field ----

// Reads the fields through a buffer: a field is a few bytes, and asking a gzip source for a few
// bytes at a time runs zlib's slow byte-at-a-time path (its fast path needs 258 bytes of room).
// The buffer is filled only as the fields are read, so nothing is inflated far ahead of them.
class Parser {
 public:
  Parser(ByteSource& in, size_t start) : in_(in), pos_(start) {}
  void read(uint8_t* out, size_t size, const char* what) {
    size_t done = 0;
    while (done < size) {
      if (next_ == end_) {
        if (size - done >= Buffer) {  // large reads bypass the buffer
          const size_t n = in_.read_some(out + done, size - done);
          if (n == 0) truncated(what, done);
          done += n;
          continue;
        }
        next_ = 0;
        end_ = in_.read_some(buffer_.get(), Buffer);
        if (end_ == 0) truncated(what, done);
      }
      const size_t n = std::min(size - done, end_ - next_);
      std::memcpy(out + done, buffer_.get() + next_, n);
      next_ += n;
      done += n;
    }
    pos_ += size;
  }
  uint8_t u8(const char* what) {
    uint8_t b;
    read(&b, 1, what);
    return b;
  }
  Word u64(const char* what) {
    uint8_t b[8];
    read(b, 8, what);
    return load_be64(b);
  }
  uint32_t u32(const char* what) {
    uint8_t b[4];
    read(b, 4, what);
    return load_be32(b);
  }
  // The page the source filled from the next PageSize bytes (a record's body), if it did; the
  // parser's own buffer is empty there, since sources stop short of a filled body.
  bool take_filled_page(FilledPage& out) {
    if (next_ != end_ || !in_.take_filled_page(out)) return false;
    pos_ += PageSize;
    return true;
  }
  // Counts what is left (up to a bound); 0 means the data ended with the state.
  size_t trailing_bytes() {
    size_t total = end_ - next_;
    next_ = end_;
    while (total < (size_t{1} << 20)) {
      const size_t n = in_.read_some(buffer_.get(), Buffer);
      if (n == 0) break;
      total += n;
    }
    return total;
  }

 private:
  static constexpr size_t Buffer = 16 << 10;
  [[noreturn]] void truncated(const char* what, size_t done) const {
    throw StateFileError(std::string("truncated state: missing ") + what + " at byte " + std::to_string(pos_ + done));
  }
  ByteSource& in_;
  size_t pos_;
  std::unique_ptr<uint8_t[]> buffer_ = std::make_unique_for_overwrite<uint8_t[]>(Buffer);
  size_t next_ = 0, end_ = 0;
};

void read_stack(Parser& in, std::vector<Thread>& stack, const char* name, bool& canonical) {
  const Word count = in.u64(name);
  stack.reserve(std::min<Word>(count, 1024));  // the count is not trusted; the data is
  uint8_t bytes[ThreadSize];
  for (Word i = 0; i < count; ++i) {
    in.read(bytes, ThreadSize, "thread");
    stack.push_back(decode_thread(bytes));
    // decode_thread keeps every byte but the exited flag's as is; only that flag has more than
    // one encoding (any nonzero byte reads as exited, and 1 is written back).
    if (bytes[9] > 1) canonical = false;
  }
}

// For a read that keeps only the memory's root: the page roots in index order. A body that comes
// without its root (every page of a plain or foreign gzip file, and the ones the parallel reader
// did not take) is copied into a batch, which is hashed on every core when it is full.
class PageRootList {
 public:
  void add(Word index, const Hash32& root) { roots_.push_back({index, root}); }
  // Where the caller puts the next page's bytes.
  uint8_t* add_body(Word index) {
    if (pending_.size() == Batch) hash_pending();
    if (!bodies_) bodies_ = std::make_unique_for_overwrite<uint8_t[]>(Batch * PageSize);
    roots_.push_back({index, {}});
    pending_.push_back(roots_.size() - 1);
    return bodies_.get() + (pending_.size() - 1) * PageSize;
  }
  Hash32 root() {
    hash_pending();
    return memory_root(std::move(roots_));
  }

 private:
  static constexpr size_t Batch = 1024;  // 4 MiB of bodies
  void hash_pending() {
    const size_t count = pending_.size();
    std::vector<const uint8_t*> bodies(count);
    std::vector<Hash32> roots(count);
    for (size_t i = 0; i < count; ++i) bodies[i] = bodies_.get() + i * PageSize;
    page_roots_on_every_core(bodies.data(), roots.data(), count);
    for (size_t i = 0; i < count; ++i) roots_[pending_[i]].root = roots[i];
    pending_.clear();
  }
  std::vector<PageRoot> roots_;
  std::vector<size_t> pending_;  // places in roots_ of the bodies in bodies_, in order
  std::unique_ptr<uint8_t[]> bodies_;
};

// Every other field is either stored as read or rejected unless canonical (flags, page order,
// trailing bytes), so a state this accepts re-encodes to the same bytes iff `canonical` stays set.
// With `roots`, the pages are not loaded: their roots are listed there instead.
State parse_state(ByteSource& source, bool& canonical, PageRootList* roots = nullptr) {
  uint8_t version;
  if (source.read_some(&version, 1) == 0) throw StateFileError("empty state file");
  if (version != StateVersion)
    throw StateFileError("unsupported state version " + std::to_string(version) + " (this VM reads version " +
                         std::to_string(StateVersion) + ", " + StateVersionName + ")");
  Parser body(source, 1);
  State state;
  const Word page_count = body.u64("page count");
  source.expect_page_records(1 + 8, page_count);  // the version byte, the count, then the records
  bool have_previous = false;
  Word previous = 0;
  std::shared_ptr<Page> page;  // filled, then handed to the memory (kept when it is all zero)
  for (Word i = 0; i < page_count; ++i) {
    const Word index = body.u64("page index");
    if (index > (~Word{0} >> PageAddrBits))
      throw StateFileError("page index " + hex_word(index) + " is outside the 64-bit address space");
    if (have_previous && index <= previous)
      throw StateFileError(index == previous
                               ? "page index " + hex_word(index) + " is repeated"
                               : "page indices out of order: " + hex_word(index) + " after " + hex_word(previous));
    have_previous = true;
    previous = index;
    FilledPage filled;
    if (roots) {
      if (body.take_filled_page(filled))
        roots->add(index, filled.root);  // a source that fills pages for roots gives roots only
      else
        body.read(roots->add_body(index), PageSize, "page data");
      continue;
    }
    if (body.take_filled_page(filled)) {
      state.memory.load_filled_page(index, std::move(filled.page));
      continue;
    }
    if (!page) page = make_page_for_overwrite();
    body.read(page->bytes, PageSize, "page data");
    state.memory.load_page(index, page);
  }
  body.read(state.preimage_key.data(), 32, "preimage key");
  state.preimage_offset = body.u64("preimage offset");
  state.heap = body.u64("heap");
  state.ll_reservation_status = body.u8("LL reservation status");
  state.ll_address = body.u64("LL address");
  state.ll_owner_thread = body.u64("LL owner thread");
  state.exit_code = body.u8("exit code");
  const uint8_t exited = body.u8("exited");
  if (exited > 1) throw StateFileError("invalid exited flag " + std::to_string(exited) + " (must be 0 or 1)");
  state.exited = exited == 1;
  state.step = body.u64("step");
  state.steps_since_last_context_switch = body.u64("steps since last context switch");
  const uint8_t traverse_right = body.u8("traverseRight");
  if (traverse_right > 1)
    throw StateFileError("invalid traverseRight flag " + std::to_string(traverse_right) + " (must be 0 or 1)");
  state.traverse_right = traverse_right == 1;
  state.next_thread_id = body.u64("next thread id");
  read_stack(body, state.left_stack, "left thread stack", canonical);
  read_stack(body, state.right_stack, "right thread stack", canonical);
  const uint32_t hint_len = body.u32("last hint length");
  for (uint32_t done = 0; done < hint_len;) {  // grown as the bytes arrive, not from the length
    const uint32_t chunk = std::min<uint32_t>(hint_len - done, 1u << 16);
    state.last_hint.resize(done + chunk);
    body.read(state.last_hint.data() + done, chunk, "last hint");
    done += chunk;
  }
  if (const size_t extra = body.trailing_bytes())
    throw StateFileError("trailing garbage: " + std::to_string(extra) + (extra >= (size_t{1} << 20) ? " or more" : "") +
                         " unexpected bytes after the state");
  return state;
}

}  // namespace

namespace {

// The serialized state as a random-access byte sequence, without building it: the 9-byte head,
// one record (8-byte index, 4096 bytes) per page read straight from the page, then the tail.
class SerializedView {
 public:
  explicit SerializedView(const State& state) {
    indices_ = state.memory.sorted_page_indices();
    pages_.reserve(indices_.size());
    for (Word index : indices_) pages_.push_back(state.memory.find_page(index));
    index_bytes_.resize(indices_.size() * 8);
    for (size_t i = 0; i < indices_.size(); ++i) store_be64(index_bytes_.data() + 8 * i, indices_[i]);
    head_[0] = StateVersion;
    store_be64(head_ + 1, pages_.size());
    auto put_u64 = [&](Word v) {
      uint8_t b[8];
      store_be64(b, v);
      tail_.insert(tail_.end(), b, b + 8);
    };
    tail_.insert(tail_.end(), state.preimage_key.begin(), state.preimage_key.end());
    put_u64(state.preimage_offset);
    put_u64(state.heap);
    tail_.push_back(state.ll_reservation_status);
    put_u64(state.ll_address);
    put_u64(state.ll_owner_thread);
    tail_.push_back(state.exit_code);
    tail_.push_back(state.exited ? 1 : 0);
    put_u64(state.step);
    put_u64(state.steps_since_last_context_switch);
    tail_.push_back(state.traverse_right ? 1 : 0);
    put_u64(state.next_thread_id);
    for (const auto* stack : {&state.left_stack, &state.right_stack}) {
      put_u64(stack->size());
      for (const Thread& thread : *stack) {
        const ThreadBytes bytes = encode_thread(thread);
        tail_.insert(tail_.end(), bytes.begin(), bytes.end());
      }
    }
    uint8_t len[4];
    store_be32(len, static_cast<uint32_t>(state.last_hint.size()));
    tail_.insert(tail_.end(), len, len + 4);
    tail_.insert(tail_.end(), state.last_hint.begin(), state.last_hint.end());
  }

  size_t size() const { return HeadSize + pages_.size() * RecordSize + tail_.size(); }

  // The bytes [offset, offset + size) as pieces of memory in order (head, each page's index and
  // bytes, the tail), appended to `out`, for a gathering write: the pages go to the file without a
  // copy in user space. The pieces point into the state's pages and into this view.
  void pieces(size_t offset, size_t size, std::vector<iovec>& out) const {
    visit(offset, size, [&](const uint8_t* data, size_t n) { out.push_back({const_cast<uint8_t*>(data), n}); });
  }
  std::vector<iovec> pieces() const {
    std::vector<iovec> out;
    out.reserve(2 + 2 * pages_.size());
    pieces(0, size(), out);
    return out;
  }

  void copy(size_t offset, size_t size, uint8_t* out) const {
    visit(offset, size, [&](const uint8_t* data, size_t n) {
      std::memcpy(out, data, n);
      out += n;
    });
  }

 private:
  static constexpr size_t HeadSize = 9;
  static constexpr size_t RecordSize = 8 + PageSize;

  // Calls fn(data, n) for the contiguous pieces of [offset, offset + size), in order.
  template <class Fn>
  void visit(size_t offset, size_t size, Fn&& fn) const {
    const size_t pages_end = HeadSize + pages_.size() * RecordSize;
    while (size > 0) {
      size_t n;
      const uint8_t* data;
      if (offset < HeadSize) {
        n = std::min(size, HeadSize - offset);
        data = head_ + offset;
      } else if (offset < pages_end) {
        const size_t record = (offset - HeadSize) / RecordSize;
        const size_t within = (offset - HeadSize) % RecordSize;
        if (within < 8) {
          n = std::min(size, 8 - within);
          data = index_bytes_.data() + 8 * record + within;
        } else {
          n = std::min(size, RecordSize - within);
          data = pages_[record]->bytes + (within - 8);
        }
      } else {
        n = size;  // callers stay within size()
        data = tail_.data() + (offset - pages_end);
      }
      fn(data, n);
      offset += n;
      size -= n;
    }
  }

  uint8_t head_[HeadSize];
  std::vector<Word> indices_;  // not Page::index: shared zero pages stand for many indices
  std::vector<uint8_t> index_bytes_;  // indices_ big-endian, as the file holds them
  std::vector<const Page*> pages_;
  std::vector<uint8_t> tail_;
};

// An output file that appears under its name only when complete. The data goes to an unnamed
// O_TMPFILE in the target directory (nothing is left if the process dies, even by SIGKILL),
// which is then linked under a temporary name and renamed over the target. Where O_TMPFILE is
// not supported, a mkstemp file is used instead.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path) : path_(path) {
    const auto slash = path.find_last_of('/');
    dir_ = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    base_ = slash == std::string::npos ? path : path.substr(slash + 1);
    fd_ = ::open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0755);
    if (fd_ >= 0) return;
    temp_ = (slash == std::string::npos ? std::string() : dir_) + ".tmp-" + base_ + "-XXXXXX";
    fd_ = ::mkstemp(temp_.data());
    if (fd_ < 0) {
      const std::string err = errno_text();
      temp_.clear();
      throw StateFileError("cannot create a temporary file for " + path + ": " + err);
    }
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_.empty()) ::unlink(temp_.c_str());
  }

  int fd() const { return fd_; }
  // Writes the pieces in order (they may be changed: a partial write advances them).
  void write_pieces(std::vector<iovec>& pieces) {
    size_t next = 0;
    while (next < pieces.size()) {
      const int count = static_cast<int>(std::min<size_t>(pieces.size() - next, IOV_MAX));
      const ssize_t n = ::writev(fd_, pieces.data() + next, count);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw StateFileError("cannot write " + path_ + ": " + errno_text());
      }
      auto left = static_cast<size_t>(n);
      while (next < pieces.size() && left >= pieces[next].iov_len) left -= pieces[next++].iov_len;
      if (left > 0) {
        pieces[next].iov_base = static_cast<uint8_t*>(pieces[next].iov_base) + left;
        pieces[next].iov_len -= left;
      }
      while (next < pieces.size() && pieces[next].iov_len == 0) ++next;
    }
  }
  void write(const uint8_t* data, size_t size) {
    while (size > 0) {
      const ssize_t n = ::write(fd_, data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw StateFileError("cannot write " + path_ + ": " + errno_text());
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
  }

  void commit() {
    if (::fchmod(fd_, 0755) != 0) throw StateFileError("cannot write " + path_ + ": " + errno_text());
    if (temp_.empty()) {  // O_TMPFILE: give it a temporary name first (linkat cannot replace)
      const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
      const std::string prefix = (dir_ == "." && path_.find('/') == std::string::npos ? std::string() : dir_) +
                                 ".tmp-" + base_ + "-" + std::to_string(::getpid()) + "-";
      for (unsigned attempt = 0;; ++attempt) {
        std::string name = prefix + std::to_string(attempt);
        if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
          temp_ = std::move(name);
          break;
        }
        if (errno != EEXIST || attempt > 100) throw StateFileError("cannot write " + path_ + ": " + errno_text());
      }
    }
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0 || ::rename(temp_.c_str(), path_.c_str()) != 0)
      throw StateFileError("cannot write " + path_ + ": " + errno_text());
    temp_.clear();
  }

 private:
  std::string path_, dir_, base_, temp_;
  int fd_ = -1;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

constexpr size_t MemberInput = size_t{1} << 20;  // uncompressed bytes per gzip member

// One gathering write from the pages themselves: copying 80 MiB of pages through a buffer first
// cost a pass over all of them and first-touch faults on the buffer.
void write_view_raw(const SerializedView& view, AtomicFile& file) {
  std::vector<iovec> pieces = view.pieces();
  file.write_pieces(pieces);
}

// Members of MemberInput bytes, a batch at a time on every core, written in order. A member whose
// sample compresses is copied out and compressed; one that does not (random words) is stored
// straight from the pages: its CRC is the only pass over its bytes in user space, and the
// gathering write the only copy.
void write_view_gzip(const SerializedView& view, AtomicFile& file) {
  const size_t members = std::max<size_t>(1, (view.size() + MemberInput - 1) / MemberInput);
  const size_t batch = 4 * worker_count();
  std::vector<std::vector<uint8_t>> outs(batch);  // a compressed member, or a stored member's frame
  std::vector<std::vector<iovec>> stored(batch);  // a stored member's pieces (empty: compressed)
  std::vector<iovec> pieces;
  for (size_t first = 0; first < members; first += batch) {
    const size_t count = std::min(batch, members - first);
    parallel_ranges(count, 1, [&](size_t begin, size_t end) {
      thread_local std::vector<uint8_t> sample, input;
      thread_local std::vector<iovec> in_pieces;
      for (size_t i = begin; i < end; ++i) {
        const size_t offset = (first + i) * MemberInput;
        const size_t n = std::min(MemberInput, view.size() - offset);
        sample.resize(std::min(n, gzip_members::SampleSize));
        view.copy(offset, sample.size(), sample.data());
        outs[i].clear();
        stored[i].clear();
        if (gzip_members::worth_compressing(sample.data(), n)) {
          input.resize(n);
          view.copy(offset, n, input.data());
          gzip_members::append_compressed_member(input.data(), n, outs[i]);
        } else {
          in_pieces.clear();
          view.pieces(offset, n, in_pieces);
          gzip_members::stored_member(in_pieces, n, outs[i], stored[i]);
        }
      }
    });
    pieces.clear();
    for (size_t i = 0; i < count; ++i) {
      if (stored[i].empty())
        pieces.push_back({outs[i].data(), outs[i].size()});
      else
        pieces.insert(pieces.end(), stored[i].begin(), stored[i].end());
    }
    file.write_pieces(pieces);
  }
}

}  // namespace

std::vector<uint8_t> serialize_state(const State& state) {
  const SerializedView view(state);
  std::vector<uint8_t> out(view.size());
  view.copy(0, out.size(), out.data());
  return out;
}

State deserialize_state(const std::vector<uint8_t>& bytes) {
  MemorySource source(bytes.data(), bytes.size());
  bool canonical = true;
  return parse_state(source, canonical);
}

bool is_binary_state_path(const std::string& path) { return has_suffix(path, ".bin") || has_suffix(path, ".bin.gz"); }

std::vector<uint8_t> read_file_maybe_gz(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw StateFileError("cannot open " + path + ": " + errno_text());
  FileSource file(fd.get(), path);
  GzipStreamSource gz(file, path);
  ByteSource& source = has_suffix(path, ".gz") ? static_cast<ByteSource&>(gz) : file;
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  while (const size_t n = source.read_some(buf, sizeof buf)) out.insert(out.end(), buf, buf + n);
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
  AtomicFile file(path);
  file.write(payload.data(), payload.size());
  file.commit();
}

State read_state_file(const std::string& path) {
  StateFileOrigin origin;
  return read_state_file(path, origin);
}

State read_state_file(const std::string& path, StateFileOrigin& origin, const StateReadOptions& options) {
  if (!is_binary_state_path(path))
    throw StateFileError("unsupported state file " + path + ": the name must end in .bin or .bin.gz");
  try {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw StateFileError("cannot open " + path + ": " + errno_text());
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) throw StateFileError("cannot read " + path + ": " + errno_text());
    origin = StateFileOrigin{path,
                             static_cast<uint64_t>(info.st_dev),
                             static_cast<uint64_t>(info.st_ino),
                             static_cast<uint64_t>(info.st_size),
                             int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec,
                             false};
    bool canonical = true;
    const auto file_size = static_cast<uint64_t>(info.st_size);
    std::optional<PageRootList> roots;
    if (options.memory_root) roots.emplace();
    const auto parse = [&](ByteSource& source) {
      State state = parse_state(source, canonical, roots ? &*roots : nullptr);
      if (roots) *options.memory_root = roots->root();
      return state;
    };
    if (!has_suffix(path, ".gz")) {
      FileSource file(fd.get(), path, file_size);
      State state = parse(file);
      origin.reusable = canonical;
      return state;
    }
    auto members = ParallelGzipSource::index(fd.get(), static_cast<uint64_t>(info.st_size));
    if (!members.empty()) {
      try {
        ParallelGzipSource source(fd.get(), path, std::move(members), options.memory_root != nullptr);
        State state = parse(source);
        origin.reusable = canonical;  // this writer's layout: every member was indexed and read
        return state;
      } catch (const ParallelGzipSource::NotIndexed&) {
        // Laid out unlike this writer's files after all: the plain stream decides.
        canonical = true;
        if (options.memory_root) roots.emplace();
      }
      if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw StateFileError("cannot read " + path + ": " + errno_text());
    }
    FileSource file(fd.get(), path, file_size);
    GzipStreamSource gz(file, path, file_size);
    return parse(gz);  // another writer's gzip layout: not reused
  } catch (const StateFileError& e) {
    const std::string what = e.what();
    if (what.find(path) != std::string::npos) throw;
    throw StateFileError(path + ": " + what);
  }
}

bool copy_state_file(const StateFileOrigin& origin, const std::string& path) {
  if (!origin.reusable || !is_binary_state_path(path) || has_suffix(origin.path, ".gz") != has_suffix(path, ".gz"))
    return false;
  Fd in(::open(origin.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return false;
  auto unchanged = [&] {
    struct stat info {};
    return ::fstat(in.get(), &info) == 0 && static_cast<uint64_t>(info.st_dev) == origin.device &&
           static_cast<uint64_t>(info.st_ino) == origin.inode && static_cast<uint64_t>(info.st_size) == origin.size &&
           int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec == origin.mtime_ns;
  };
  if (!unchanged()) return false;
  // `path` names the very file that was read (op-challenger's runs from a snapshot: the snapshot
  // at their start step is their input): it already holds the state, so nothing is written. A
  // copy would rewrite the whole file only to replace it by the same bytes.
  struct stat target {};
  if (::stat(path.c_str(), &target) == 0 && static_cast<uint64_t>(target.st_dev) == origin.device &&
      static_cast<uint64_t>(target.st_ino) == origin.inode)
    return true;
  AtomicFile out(path);
  // In the kernel where it can (no copy through user space); by reads and writes where not.
  uint64_t done = 0;
  bool in_kernel = true;
  std::vector<uint8_t> buffer;
  while (done < origin.size) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(origin.size - done, uint64_t{1} << 30));
    if (in_kernel) {
      loff_t offset = static_cast<loff_t>(done);
      const ssize_t n = ::copy_file_range(in.get(), &offset, out.fd(), nullptr, want, 0);
      if (n > 0) {
        done += static_cast<uint64_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP && errno != EPERM)
        throw StateFileError("cannot write " + path + ": " + errno_text());
      if (n == 0) return false;  // the file ended early: it changed since it was read
      in_kernel = false;
      buffer.resize(size_t{8} << 20);
    }
    const ssize_t n = ::pread(in.get(), buffer.data(), std::min(want, buffer.size()), static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw StateFileError("cannot read " + origin.path + ": " + errno_text());
    if (n == 0) return false;
    out.write(buffer.data(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  if (!unchanged()) return false;  // changed while being copied: the temporary file is dropped
  out.commit();
  return true;
}

void write_state_file(const State& state, const std::string& path) {
  if (!is_binary_state_path(path))
    throw StateFileError("unsupported state file " + path + ": the name must end in .bin or .bin.gz");
  const SerializedView view(state);
  AtomicFile file(path);
  if (has_suffix(path, ".gz"))
    write_view_gzip(view, file);
  else
    write_view_raw(view, file);
  file.commit();
}

}  // namespace cannonball
