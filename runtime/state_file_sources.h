// The byte sources the state-file parser pulls from (internal to runtime/state_file.cpp, and its
// tests): a memory buffer, a file, a gzip stream of any layout, and this writer's multi-member
// gzip files inflated on every core. The parser pulls exactly the bytes it needs, so nothing is
// inflated or allocated far ahead of the header and field checks.
//
// ParallelGzipSource can also fill pages ahead of the parser: once the parser has read the page
// count (`expect_page_records`), each member's inflating thread copies the bodies of the page
// records that lie wholly inside the member into fresh pages (or, for a read that keeps only the
// memory's root, hashes them where they lie while they are in that core's cache), and the parser
// takes them whole (`take_filled_page`) instead of copying 4 KiB at a time on one core. The parser still reads every index and checks
// it in order; the bytes of a filled body stay in the member's buffer too, so a parser that reads
// them plainly gets them unchanged.
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/memory.h"
#include "runtime/state_file.h"

namespace cannonball::state_io {

inline std::string errno_text() { return std::strerror(errno); }

// A page record's body, already in a page, or only its root (see ParallelGzipSource).
struct FilledPage {
  std::shared_ptr<Page> page;  // null when the body is all zero, or when `hashed`
  Hash32 root{};               // page_roots of the body, when `hashed`
  bool hashed = false;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `size` bytes into `out`; 0 only at the end of the data. Throws StateFileError.
  virtual size_t read_some(uint8_t* out, size_t size) = 0;
  // The header says that `count` page records (8-byte index, PageSize bytes; spec §11.1) start at
  // stream offset `first`. A source may fill pages from their bodies ahead of the parser, and
  // then read_some stops short of each body it filled. Nothing is sized by `count`.
  virtual void expect_page_records(uint64_t /*first*/, uint64_t /*count*/) {}
  // When the next bytes are a body the source filled: moves its page to `out`, consumes those
  // PageSize bytes and returns true; otherwise false, consuming nothing.
  virtual bool take_filled_page(FilledPage& /*out*/) { return false; }
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t read_some(uint8_t* out, size_t size) override {
    const size_t n = std::min(size, size_ - pos_);
    if (n == 0) return 0;  // an empty input may have no data pointer at all
    std::memcpy(out, data_ + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Buffer sizes for a file of `file_size` bytes (0: unknown): a small file gets a small buffer
// rather than the full one, which is allocated, touched and freed for every file read.
inline size_t buffer_size_for(uint64_t file_size, size_t full) {
  if (file_size == 0) return full;
  return static_cast<size_t>(std::clamp<uint64_t>(file_size + 1, 4096, full));
}

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, std::string path, uint64_t file_size = 0)
      : fd_(fd), path_(std::move(path)), buffer_size_(buffer_size_for(file_size, Buffer)) {}
  size_t read_some(uint8_t* out, size_t size) override {
    if (pos_ == end_) {
      if (size >= buffer_size_) return read_raw(out, size);  // large reads bypass the buffer
      pos_ = 0;
      end_ = read_raw(buffer_.get(), buffer_size_);
      if (end_ == 0) return 0;
    }
    const size_t n = std::min(size, end_ - pos_);
    std::memcpy(out, buffer_.get() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  static constexpr size_t Buffer = 1 << 20;
  size_t read_raw(uint8_t* out, size_t size) {
    for (;;) {
      const ssize_t n = ::read(fd_, out, size);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) throw StateFileError("cannot read " + path_ + ": " + errno_text());
    }
  }
  int fd_;
  std::string path_;
  size_t buffer_size_;
  std::unique_ptr<uint8_t[]> buffer_ = std::make_unique_for_overwrite<uint8_t[]>(buffer_size_);
  size_t pos_ = 0, end_ = 0;
};

// Streaming gzip over any source: every member of a multi-member file in turn (as gzip -d and
// Go's reader do), inflating straight into the caller's buffer.
class GzipStreamSource final : public ByteSource {
 public:
  GzipStreamSource(ByteSource& in, std::string path, uint64_t file_size = 0)
      : in_(in), path_(std::move(path)), buffer_size_(buffer_size_for(file_size, Buffer)) {
    if (inflateInit2(&zs_, 15 + 16) != Z_OK) throw StateFileError("zlib initialisation failed");
  }
  ~GzipStreamSource() override { inflateEnd(&zs_); }
  size_t read_some(uint8_t* out, size_t size) override {
    size = std::min<size_t>(size, 1u << 30);
    zs_.next_out = out;
    zs_.avail_out = static_cast<uInt>(size);
    while (zs_.avail_out == size && !done_) {
      if (zs_.avail_in == 0 && !fill()) {
        if (at_member_start_ && members_ > 0) {
          done_ = true;
          break;
        }
        throw StateFileError(path_ + ": truncated gzip data");
      }
      if (at_member_start_ && members_ > 0 && zs_.next_in[0] != 0x1f)
        throw StateFileError(path_ + ": trailing bytes after the gzip stream");
      at_member_start_ = false;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        ++members_;
        at_member_start_ = true;
        inflateReset(&zs_);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        throw StateFileError(path_ + ": corrupt gzip data" + (zs_.msg ? std::string(" (") + zs_.msg + ")" : ""));
      }
    }
    return size - zs_.avail_out;
  }

 private:
  bool fill() {
    const size_t n = in_.read_some(buffer_.get(), buffer_size_);
    zs_.next_in = buffer_.get();
    zs_.avail_in = static_cast<uInt>(n);
    return n > 0;
  }
  static constexpr size_t Buffer = 1 << 18;
  ByteSource& in_;
  std::string path_;
  size_t buffer_size_;
  std::unique_ptr<uint8_t[]> buffer_ = std::make_unique_for_overwrite<uint8_t[]>(buffer_size_);
  z_stream zs_{};
  bool at_member_start_ = true;
  bool done_ = false;
  size_t members_ = 0;
};

// A file written by this VM: every member's place is known from its header, so members are
// inflated on every core, up to Window members ahead of the parser, each by one of the loading
// threads. Member 0 is inflated alone on the parser's thread, so the state header is checked after
// at most MaxMemberInput bytes of output and before any thread starts.
class ParallelGzipSource final : public ByteSource {
 public:
  struct Member {
    uint64_t offset;
    uint64_t size;
    uint32_t isize;
  };
  // Thrown when the file is not laid out as this writer lays it out (the caller then re-reads
  // it as a plain stream, which decides).
  struct NotIndexed {};

  // With `roots_only`, the bodies taken ahead of the parser come as their merkle roots alone.
  ParallelGzipSource(int fd, std::string path, std::vector<Member> members, bool roots_only = false);
  ~ParallelGzipSource() override;  // stops the loading threads (each finishes its member) and joins them
  ParallelGzipSource(const ParallelGzipSource&) = delete;
  ParallelGzipSource& operator=(const ParallelGzipSource&) = delete;

  // The member list of an indexed file, or empty when it is not one.
  static std::vector<Member> index(int fd, uint64_t file_size);

  size_t read_some(uint8_t* out, size_t size) override;
  void expect_page_records(uint64_t first, uint64_t count) override;
  bool take_filled_page(FilledPage& out) override;

 private:
  static constexpr uint64_t RecordSize = 8 + PageSize;
  // Where the page records lie in the stream, once the parser has read their count.
  struct Records {
    bool known = false;
    uint64_t first = 0, count = 0;
  };
  // One inflated member and the pages filled from it: the bodies of records first_record,
  // first_record + 1, ... in order; `next_filled` is the first not yet taken. Member m is loaded
  // into slots_[m % slots_.size()] once the parser is done with member m - slots_.size().
  struct Loaded {
    std::vector<uint8_t> compressed;
    std::vector<uint8_t> data;
    uint64_t stream_offset = 0;  // of data[0] in the whole uncompressed stream
    uint64_t records_first = 0;  // the Records the member was filled with
    std::vector<FilledPage> filled;
    uint64_t first_record = 0;
    size_t next_filled = 0;
    bool ok = false;             // inflated and checked (else the file is not this writer's)
    std::exception_ptr error;    // what loading it threw, if anything (e.g. out of memory)
    size_t ready_member = SIZE_MAX;  // under mutex_: the member loaded here, once loaded
  };
  // Moves to a member with bytes left, waiting for it to be loaded; false at the end.
  bool at_data();
  // Reads, inflates and fills member `m` into `slot` (never throws: failures are recorded there).
  void load(size_t m, Loaded& slot, const Records& records) const;
  void loader();
  // Fills the pages (or finds the roots) of the records wholly inside the member.
  void fill_pages(Loaded& member, const Records& records) const;
  // Offset within `member` of the body of its filled page `i`.
  static uint64_t body_offset(const Loaded& member, size_t i) {
    return member.records_first + (member.first_record + i) * RecordSize + 8 - member.stream_offset;
  }
  Loaded& slot_of(size_t member) { return slots_[member % slots_.size()]; }

  int fd_;
  std::string path_;
  std::vector<Member> members_;
  std::vector<uint64_t> stream_offsets_;  // of each member's first byte
  bool roots_only_;
  std::vector<Loaded> slots_;
  // The parser's side.
  size_t current_ = 0, pos_ = 0;
  bool in_member_ = false;  // whether slot_of(current_) holds member current_ for the parser
  // Shared with the loaders, under mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  Records records_;
  size_t next_to_load_ = 1;  // member 0 is the parser's
  size_t consumed_ = 0;      // members the parser is done with
  bool stop_ = false;
  std::vector<std::thread> loaders_;
};

}  // namespace cannonball::state_io
