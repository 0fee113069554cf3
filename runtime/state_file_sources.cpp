#include "runtime/state_file_sources.h"

#include "runtime/gzip_members.h"
#include "runtime/parallel.h"

namespace cannonball::state_io {
namespace {

bool pread_all(int fd, uint8_t* out, size_t size, uint64_t offset) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

// Copies one page body and says whether it was all zero, in one pass (the compiler vectorises it).
bool copy_page_is_zero(uint8_t* __restrict out, const uint8_t* __restrict in) {
  uint64_t any = 0;
  for (size_t i = 0; i < PageSize; i += 8) {
    uint64_t word;
    std::memcpy(&word, in + i, 8);
    std::memcpy(out + i, &word, 8);
    any |= word;
  }
  return any == 0;
}

}  // namespace

std::vector<ParallelGzipSource::Member> ParallelGzipSource::index(int fd, uint64_t file_size) {
  std::vector<Member> members;
  uint64_t offset = 0;
  uint8_t header[gzip_members::HeaderSize];
  uint8_t trailer[gzip_members::TrailerSize];
  while (offset < file_size) {
    if (file_size - offset < gzip_members::HeaderSize + gzip_members::TrailerSize) return {};
    if (!pread_all(fd, header, sizeof header, offset)) return {};
    const uint64_t size = gzip_members::member_size_from_header(header);
    if (size == 0 || size > file_size - offset) return {};
    if (!pread_all(fd, trailer, sizeof trailer, offset + size - sizeof trailer)) return {};
    const uint32_t isize = gzip_members::member_isize(trailer, sizeof trailer);
    // Deflate expands at most 1032:1, so a member claiming more output is not honest; this
    // also bounds what a batch allocates by what its compressed bytes can really hold.
    if (isize == 0 || isize > gzip_members::MaxMemberInput || isize > 1032 * size) return {};
    members.push_back({offset, size, isize});
    offset += size;
  }
  return members;
}

void ParallelGzipSource::expect_page_records(uint64_t first, uint64_t count) {
  records_known_ = true;
  records_first_ = first;
  records_count_ = count;
}

bool ParallelGzipSource::at_data() {
  while (current_ == batch_.size() || pos_ == batch_[current_].data.size()) {
    if (current_ < batch_.size()) {
      ++current_;
      pos_ = 0;
      if (current_ < batch_.size()) continue;
    }
    if (next_member_ == members_.size()) return false;
    load_batch();
  }
  return true;
}

size_t ParallelGzipSource::read_some(uint8_t* out, size_t size) {
  if (!at_data()) return 0;
  Loaded& member = batch_[current_];
  // Up to the next filled body after pos_; a body that starts here is read as plain bytes (its
  // page is dropped), which only a parser off the records' layout would ask for.
  while (member.next_filled < member.filled.size() && body_offset(member, member.next_filled) <= pos_)
    ++member.next_filled;
  const size_t end =
      member.next_filled < member.filled.size() ? body_offset(member, member.next_filled) : member.data.size();
  const size_t n = std::min(size, end - pos_);
  std::memcpy(out, member.data.data() + pos_, n);
  pos_ += n;
  return n;
}

bool ParallelGzipSource::take_filled_page(FilledPage& out) {
  if (!at_data()) return false;
  Loaded& member = batch_[current_];
  while (member.next_filled < member.filled.size() && body_offset(member, member.next_filled) < pos_)
    ++member.next_filled;
  if (member.next_filled == member.filled.size() || body_offset(member, member.next_filled) != pos_) return false;
  out = std::move(member.filled[member.next_filled++]);
  pos_ += PageSize;
  return true;
}

void ParallelGzipSource::fill_pages(Loaded& member) const {
  member.filled.clear();
  member.next_filled = 0;
  if (!records_known_) return;
  // Records r with first + r*R + 8 >= start (body begins in this member) and
  // first + (r+1)*R <= end (body ends in it), below the claimed count.
  const uint64_t start = member.stream_offset, end = start + member.data.size();
  const uint64_t first_body = records_first_ + 8;
  const uint64_t begin = start <= first_body ? 0 : (start - first_body + RecordSize - 1) / RecordSize;
  const uint64_t ends = end < records_first_ ? 0 : std::min((end - records_first_) / RecordSize, records_count_);
  if (begin >= ends) return;
  member.first_record = begin;
  member.filled.resize(ends - begin);
  const auto body = [&](uint64_t r) { return member.data.data() + (records_first_ + r * RecordSize + 8 - start); };
  if (roots_only_) {
    // Hashed where they lie in the member's buffer, on its thread: no page at all.
    std::vector<const uint8_t*> bodies(ends - begin);
    std::vector<Hash32> roots(bodies.size());
    for (uint64_t r = begin; r < ends; ++r) bodies[r - begin] = body(r);
    page_roots(bodies.data(), roots.data(), bodies.size());
    for (size_t i = 0; i < roots.size(); ++i) {
      member.filled[i].root = roots[i];
      member.filled[i].hashed = true;
    }
    return;
  }
  std::shared_ptr<Page> spare;  // an all-zero body's page, for the next record
  for (uint64_t r = begin; r < ends; ++r) {
    if (!spare) spare = make_page_for_overwrite();
    if (copy_page_is_zero(spare->bytes, body(r))) continue;  // stays null: the shared zero page
    member.filled[r - begin].page = std::move(spare);
  }
}

void ParallelGzipSource::load_batch() {
  const size_t count = next_member_ == 0 ? 1 : std::min<size_t>(members_.size() - next_member_, 4 * worker_count());
  batch_.resize(count);
  compressed_.resize(count);
  for (size_t i = 0; i < count; ++i) {
    batch_[i].stream_offset = next_stream_offset_;
    next_stream_offset_ += members_[next_member_ + i].isize;
  }
  std::vector<char> member_ok(count, 0);
  parallel_ranges(count, 1, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const Member& m = members_[next_member_ + i];
      Loaded& loaded = batch_[i];
      compressed_[i].resize(m.size);
      loaded.data.resize(m.isize);
      loaded.filled.clear();
      member_ok[i] = pread_all(fd_, compressed_[i].data(), m.size, m.offset) &&
                     gzip_members::inflate_member(compressed_[i].data(), m.size, loaded.data.data(), m.isize);
      if (member_ok[i]) fill_pages(loaded);
    }
  });
  for (char ok : member_ok)
    if (!ok) throw NotIndexed{};
  next_member_ += count;
  current_ = 0;
  pos_ = 0;
}

}  // namespace cannonball::state_io
