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

ParallelGzipSource::ParallelGzipSource(int fd, std::string path, std::vector<Member> members, bool roots_only)
    : fd_(fd), path_(std::move(path)), members_(std::move(members)), roots_only_(roots_only),
      slots_(std::min<size_t>(members_.size(), 4 * worker_count())) {
  stream_offsets_.reserve(members_.size());
  uint64_t offset = 0;
  for (const Member& m : members_) {
    stream_offsets_.push_back(offset);
    offset += m.isize;
  }
}

ParallelGzipSource::~ParallelGzipSource() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : loaders_) t.join();
}

void ParallelGzipSource::expect_page_records(uint64_t first, uint64_t count) {
  std::lock_guard lock(mutex_);  // members claimed from here on are filled
  records_ = Records{true, first, count};
}

void ParallelGzipSource::loader() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] {
      return stop_ || next_to_load_ == members_.size() || next_to_load_ < consumed_ + slots_.size();
    });
    if (stop_ || next_to_load_ == members_.size()) return;
    const size_t m = next_to_load_++;
    const Records records = records_;
    Loaded& slot = slot_of(m);
    lock.unlock();
    load(m, slot, records);
    lock.lock();
    slot.ready_member = m;
    changed_.notify_all();
  }
}

bool ParallelGzipSource::at_data() {
  while (!in_member_ || pos_ == slot_of(current_).data.size()) {
    if (in_member_) {
      in_member_ = false;
      pos_ = 0;
      {
        std::lock_guard lock(mutex_);
        consumed_ = ++current_;  // its slot is free for a loader
      }
      changed_.notify_all();
    }
    if (current_ == members_.size()) return false;
    Loaded& slot = slot_of(current_);
    if (current_ == 0) {
      load(0, slot, Records{});  // the header's member: nothing to fill yet, no thread started
    } else {
      if (loaders_.empty())
        for (unsigned i = 0; i < worker_count(); ++i) loaders_.emplace_back([this] { loader(); });
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return slot.ready_member == current_; });
    }
    if (slot.error) std::rethrow_exception(slot.error);
    if (!slot.ok) throw NotIndexed{};
    in_member_ = true;
  }
  return true;
}

size_t ParallelGzipSource::read_some(uint8_t* out, size_t size) {
  if (!at_data()) return 0;
  Loaded& member = slot_of(current_);
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
  Loaded& member = slot_of(current_);
  while (member.next_filled < member.filled.size() && body_offset(member, member.next_filled) < pos_)
    ++member.next_filled;
  if (member.next_filled == member.filled.size() || body_offset(member, member.next_filled) != pos_) return false;
  out = std::move(member.filled[member.next_filled++]);
  pos_ += PageSize;
  return true;
}

void ParallelGzipSource::fill_pages(Loaded& member, const Records& records) const {
  if (!records.known) return;
  // Records r with first + r*R + 8 >= start (body begins in this member) and
  // first + (r+1)*R <= end (body ends in it), below the claimed count.
  const uint64_t start = member.stream_offset, end = start + member.data.size();
  const uint64_t first_body = records.first + 8;
  const uint64_t begin = start <= first_body ? 0 : (start - first_body + RecordSize - 1) / RecordSize;
  const uint64_t ends = end < records.first ? 0 : std::min((end - records.first) / RecordSize, records.count);
  if (begin >= ends) return;
  member.records_first = records.first;
  member.first_record = begin;
  member.filled.resize(ends - begin);
  const auto body = [&](uint64_t r) { return member.data.data() + (records.first + r * RecordSize + 8 - start); };
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

void ParallelGzipSource::load(size_t m, Loaded& slot, const Records& records) const {
  slot.filled.clear();
  slot.next_filled = 0;
  slot.ok = false;
  slot.error = nullptr;
  slot.stream_offset = stream_offsets_[m];
  try {
    const Member& member = members_[m];
    slot.compressed.resize(member.size);
    slot.data.resize(member.isize);
    slot.ok = pread_all(fd_, slot.compressed.data(), member.size, member.offset) &&
              gzip_members::inflate_member(slot.compressed.data(), member.size, slot.data.data(), member.isize);
    if (slot.ok) fill_pages(slot, records);
  } catch (...) {
    slot.error = std::current_exception();
  }
}

}  // namespace cannonball::state_io
