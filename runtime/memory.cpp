#include "runtime/memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <mutex>
#include <new>

#include "runtime/keccak.h"
#include "runtime/parallel.h"

namespace cannonball {
namespace {

struct ZeroHashes {
  std::array<Hash32, TreeDepth + 1> levels{};
  ZeroHashes() {
    for (unsigned h = 1; h <= TreeDepth; ++h) levels[h] = keccak256_pair(levels[h - 1], levels[h - 1]);
  }
};

// Page storage. A state of tens of MiB is tens of thousands of pages. Taken one by one from
// malloc (an aligned allocation each), they cost malloc's bookkeeping on every allocation and
// free (splitting and trimming its heap; freeing them all at exit showed up in profiles of the
// op-program). Slots are carved in order from 2 MiB anonymous mappings instead, and freed slots
// go to a free list for the next page; the memory stays with the process, as malloc's mostly
// does. The chunks are not advised for transparent huge pages: on the shared 2-core VM that made
// loading and writing back the op-program prestate bimodal (0.11 s or 0.30 s of CPU, the slow
// runs' time in the kernel zeroing huge pages). Sanitizer builds keep malloc, so they
// still catch a use of a freed page.
#if defined(__SANITIZE_ADDRESS__)
#define CANNONBALL_PAGE_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define CANNONBALL_PAGE_POOL 0
#endif
#endif
#ifndef CANNONBALL_PAGE_POOL
#define CANNONBALL_PAGE_POOL 1
#endif

#if CANNONBALL_PAGE_POOL
class PagePool {
 public:
  // One page with its shared_ptr control block in front (allocate_shared's single allocation).
  static constexpr size_t SlotAlign = alignof(Page);
  static constexpr size_t SlotSize = (sizeof(Page) + 2 * SlotAlign - 1) / SlotAlign * SlotAlign;
  static constexpr size_t ChunkSize = size_t{2} << 20;

  void* allocate() {
    {
      std::lock_guard lock(mutex_);
      if (void* slot = take()) return slot;
    }
    // A new chunk is mapped and populated outside the lock, so that loaders filling pages on
    // several cores take their first-touch faults side by side, not one chunk at a time.
    uint8_t* chunk = map_chunk();
    std::lock_guard lock(mutex_);
    if (next_ == end_) {
      next_ = chunk;
      end_ = chunk + ChunkSize / SlotSize * SlotSize;
    } else {
      spare_chunks_.push_back(chunk);  // another thread got there first: used when it runs out
    }
    return take();
  }
  void release(void* p) {
    std::lock_guard lock(mutex_);
    auto* slot = static_cast<FreeSlot*>(p);
    slot->next = free_;
    free_ = slot;
  }

 private:
  struct FreeSlot {
    FreeSlot* next;
  };
  // A free slot, or null when the chunks are used up (under the lock).
  void* take() {
    if (free_ != nullptr) {
      FreeSlot* slot = free_;
      free_ = slot->next;
      return slot;
    }
    if (next_ == end_ && !spare_chunks_.empty()) {
      next_ = spare_chunks_.back();
      end_ = next_ + ChunkSize / SlotSize * SlotSize;
      spare_chunks_.pop_back();
    }
    if (next_ == end_) return nullptr;
    void* slot = next_;
    next_ += SlotSize;
    return slot;
  }
  // Populated up front (MAP_POPULATE): one call faults in all 512 pages of the chunk, which
  // costs less CPU than 512 first-touch faults (README, "State files and merkle roots at GiB
  // scale").
  static uint8_t* map_chunk() {
    void* chunk =
        ::mmap(nullptr, ChunkSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (chunk == MAP_FAILED) throw std::bad_alloc();
    return static_cast<uint8_t*>(chunk);  // page-aligned, so every slot is SlotAlign-aligned
  }

  std::mutex mutex_;
  FreeSlot* free_ = nullptr;
  uint8_t* next_ = nullptr;
  uint8_t* end_ = nullptr;
  std::vector<uint8_t*> spare_chunks_;
};

// Never destroyed: pages may be released during static destruction.
PagePool& page_pool() {
  static auto* pool = new PagePool;
  return *pool;
}

template <class T>
struct PagePoolAllocator {
  using value_type = T;
  PagePoolAllocator() = default;
  template <class U>
  PagePoolAllocator(const PagePoolAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  T* allocate(size_t n) {
    static_assert(sizeof(T) <= PagePool::SlotSize && alignof(T) <= PagePool::SlotAlign,
                  "a page and its control block must fit one pool slot");
    if (n != 1) throw std::bad_alloc();
    return static_cast<T*>(page_pool().allocate());
  }
  void deallocate(T* p, size_t) noexcept { page_pool().release(p); }
  template <class U>
  bool operator==(const PagePoolAllocator<U>&) const noexcept {
    return true;
  }
};
#endif  // CANNONBALL_PAGE_POOL

}  // namespace

std::shared_ptr<Page> make_page() {
#if CANNONBALL_PAGE_POOL
  return std::allocate_shared<Page>(PagePoolAllocator<Page>());  // value-initialised: bytes zero
#else
  return std::make_shared<Page>();
#endif
}

std::shared_ptr<Page> make_page_for_overwrite() {
#if CANNONBALL_PAGE_POOL
  return std::allocate_shared_for_overwrite<Page>(PagePoolAllocator<Page>());
#else
  return std::make_shared_for_overwrite<Page>();
#endif
}

namespace {

const ZeroHashes& zero_hashes() {
  static const ZeroHashes hashes;
  return hashes;
}

// The implicit tree of one page above its leaves: nodes[1] = page root, nodes[64..127] = hashes of
// leaf pairs. The 128 leaves are the page bytes themselves.
struct PageTree {
  std::array<Hash32, 128> nodes;
};

constexpr size_t PageGroup = 8;  // pages hashed together, so each level fills the widest kernel

// Builds the trees of up to PageGroup pages level by level, one batch call per level. A node whose
// children are both zero subtrees is the zero hash of its height and is not hashed.
void build_page_trees(const uint8_t* const* bodies, PageTree* trees, size_t count) {
  static constexpr uint8_t ZeroPair[64] = {};
  const uint8_t* lefts[PageGroup * 64];
  const uint8_t* rights[PageGroup * 64];
  uint8_t* outs[PageGroup * 64];
  for (unsigned height = 1; height <= PageHeight; ++height) {
    const unsigned first = 1u << (PageHeight - height);
    const Hash32& zero_child = zero_hash(height - 1);
    size_t batch = 0;
    for (size_t p = 0; p < count; ++p) {
      PageTree& tree = trees[p];
      for (unsigned node = first; node < 2 * first; ++node) {
        const uint8_t* left;
        const uint8_t* right;
        bool both_zero;
        if (height == 1) {
          left = bodies[p] + 64 * (node - first);
          right = left + 32;
          both_zero = std::memcmp(left, ZeroPair, 64) == 0;
        } else {
          left = tree.nodes[2 * node].data();
          right = tree.nodes[2 * node + 1].data();
          both_zero = tree.nodes[2 * node] == zero_child && tree.nodes[2 * node + 1] == zero_child;
        }
        if (both_zero) {
          tree.nodes[node] = zero_hash(height);
          continue;
        }
        lefts[batch] = left;
        rights[batch] = right;
        outs[batch] = tree.nodes[node].data();
        ++batch;
      }
    }
    keccak256_pairs(lefts, rights, outs, batch);
  }
}

}  // namespace

const Hash32& zero_hash(unsigned height) { return zero_hashes().levels[height]; }

void page_roots(const uint8_t* const* bodies, Hash32* roots, size_t count) {
  PageTree trees[PageGroup];
  for (size_t first = 0; first < count; first += PageGroup) {
    const size_t group = std::min(PageGroup, count - first);
    build_page_trees(bodies + first, trees, group);
    for (size_t i = 0; i < group; ++i) roots[first + i] = trees[i].nodes[1];
  }
}

void page_roots(const Page* const* pages, Hash32* roots, size_t count) {
  const uint8_t* bodies[PageGroup];
  for (size_t first = 0; first < count; first += PageGroup) {
    const size_t group = std::min(PageGroup, count - first);
    for (size_t i = 0; i < group; ++i) bodies[i] = pages[first + i]->bytes;
    page_roots(bodies, roots + first, group);
  }
}

Hash32 memory_root(std::vector<PageRoot> level) {
  assert(std::is_sorted(level.begin(), level.end(), [](const PageRoot& a, const PageRoot& b) {
    return a.index < b.index;
  }));
  std::vector<const uint8_t*> lefts, rights;
  std::vector<uint8_t*> outs;
  std::vector<PageRoot> parents;
  for (unsigned height = PageHeight; height < TreeDepth; ++height) {
    // Each listed node's parent, hashed with its sibling when that is listed too (then next to
    // it), else with the zero subtree of this height.
    const uint8_t* zero = zero_hash(height).data();
    lefts.clear();
    rights.clear();
    parents.clear();
    for (size_t i = 0; i < level.size(); ++i) {
      const Word index = level[i].index;
      const uint8_t* node = level[i].root.data();
      if (index & 1) {
        lefts.push_back(zero);
        rights.push_back(node);
      } else if (i + 1 < level.size() && level[i + 1].index == index + 1) {
        lefts.push_back(node);
        rights.push_back(level[++i].root.data());
      } else {
        lefts.push_back(node);
        rights.push_back(zero);
      }
      parents.push_back(PageRoot{index >> 1, {}});
    }
    outs.resize(parents.size());
    for (size_t i = 0; i < parents.size(); ++i) outs[i] = parents[i].root.data();
    keccak256_pairs(lefts.data(), rights.data(), outs.data(), parents.size());
    level.swap(parents);
  }
  return level.empty() ? zero_hash(TreeDepth) : level[0].root;
}

// Never destroyed, so the static reference is always there: no Memory ever holds the page alone,
// which makes the first write to it clone it, and it is never marked dirty or as holding code.
const std::shared_ptr<Page>& shared_zero_page() {
  static const auto* page = new std::shared_ptr<Page>(make_page());
  return *page;
}

// One hand-off to the background hasher: the pages (marked clean at the hand-off; the helper
// sorts them by index first, then sets `sorted`) and their roots. The helper claims groups of
// pages from `next_group` until none is left, then sets `done`; whoever waits for it
// (finish_background_hash) claims groups too, so a large hand-off is finished on two cores
// instead of one while the other waits.
struct Memory::BackgroundHash {
  std::vector<Page*> pages;
  std::vector<Hash32> roots;
  std::atomic<size_t> next_group{0};
  std::atomic<bool> sorted{false};
  std::atomic<bool> done{false};
  std::thread worker;
  void hash_groups();  // hashes groups until none is left to claim
  // Dropped unfinished (its memory is destroyed or replaced): the helper stops after its group.
  ~BackgroundHash() {
    next_group.store(pages.size(), std::memory_order_relaxed);  // >= every group number
    if (worker.joinable()) worker.join();
  }
};

Memory::Memory() = default;

Memory::Memory(const Memory& other) { *this = other; }

Memory::Memory(Memory&& other) noexcept = default;

// The helper must be done with this memory's pages before they are freed.
Memory::~Memory() { background_.reset(); }

Memory& Memory::operator=(Memory&& other) noexcept {
  if (this == &other) return *this;
  background_.reset();  // waits: the pages it reads are about to be dropped
  pages_ = std::move(other.pages_);
  cache_ = other.cache_;
  dirty_pages_ = std::move(other.dirty_pages_);
  clean_epoch_ = other.clean_epoch_;
  nodes_ = std::move(other.nodes_);
  code_write_hook_ = other.code_write_hook_;
  code_write_ctx_ = other.code_write_ctx_;
  layout_version_ = other.layout_version_;
  background_ = std::move(other.background_);
  return *this;
}

// Clean pages are shared; a page with unflushed writes is copied, since a shared page must be
// merkle-clean (its `nodes_` entry is then current in both memories). A page `other` handed to
// its background hasher is clean without its node yet: `other` installs its roots first.
Memory& Memory::operator=(const Memory& other) {
  if (this == &other) return *this;
  const_cast<Memory&>(other).finish_background_hash();
  background_.reset();
  pages_.clear();
  cache_ = {};
  dirty_pages_.clear();
  nodes_ = other.nodes_;
  pages_.reserve(other.pages_.size());
  for (const auto& [index, page] : other.pages_) {
    if (!page->merkle_dirty) {
      pages_.emplace(index, page);
      continue;
    }
    auto copy = make_page();
    std::memcpy(copy->bytes, page->bytes, PageSize);
    copy->index = index;
    copy->merkle_dirty = true;
    dirty_pages_.push_back(copy.get());
    pages_.emplace(index, std::move(copy));
  }
  code_write_hook_ = nullptr;
  code_write_ctx_ = nullptr;
  ++layout_version_;
  return *this;
}

size_t Memory::pages_shared_with(const Memory& other) const {
  size_t shared = 0;
  for (const auto& [index, page] : pages_) {
    auto it = other.pages_.find(index);
    if (it != other.pages_.end() && it->second == page) ++shared;
  }
  return shared;
}

// Replaces a shared page by a private copy of its bytes. Only the bytes and the index are read:
// the other holders' `has_code` is theirs. The clone is as clean as the shared page was; when a
// JIT is attached it is marked as holding code, so the first write calls the code-write hook,
// because this memory's JIT may have translated the page before it was shared.
Page& Memory::clone_shared(Word page_index, std::shared_ptr<Page>& slot) {
  auto copy = make_page();
  std::memcpy(copy->bytes, slot->bytes, PageSize);
  copy->index = page_index;  // not slot->index: the shared zero page stands for many indices
  copy->has_code = code_write_hook_ != nullptr;
  slot = std::move(copy);
  ++layout_version_;
  CacheEntry& entry = cache_[page_index & (CacheSize - 1)];
  entry = CacheEntry{page_index, slot.get(), &slot};
  return *slot;
}

void Memory::insert_zero_page(Word page_index) {
  auto [it, inserted] = pages_.emplace(page_index, shared_zero_page());
  ++layout_version_;
  CacheEntry& entry = cache_[page_index & (CacheSize - 1)];
  entry = CacheEntry{page_index, it->second.get(), &it->second};
}

Page& Memory::page_for_write_slow(Word page_index) {
  auto it = pages_.find(page_index);
  if (it == pages_.end()) return allocate_page(page_index);
  if (!held_alone(it->second)) return clone_shared(page_index, it->second);
  CacheEntry& entry = cache_[page_index & (CacheSize - 1)];
  entry = CacheEntry{page_index, it->second.get(), &it->second};
  return *it->second;
}

Page* Memory::own_page(Word page_index) {
  auto it = pages_.find(page_index);
  if (it == pages_.end()) return nullptr;
  if (!held_alone(it->second)) return &clone_shared(page_index, it->second);
  return it->second.get();
}

const Page* Memory::find_page_slow(Word page_index) const {
  auto it = pages_.find(page_index);
  if (it == pages_.end()) return nullptr;
  CacheEntry& entry = cache_[page_index & (CacheSize - 1)];
  entry = CacheEntry{page_index, it->second.get(), const_cast<std::shared_ptr<Page>*>(&it->second)};
  return entry.page;
}

Page& Memory::allocate_page(Word page_index) {
  if (Page* existing = own_page(page_index)) return *existing;
  auto page = make_page();
  page->index = page_index;
  auto [it, inserted] = pages_.emplace(page_index, std::move(page));
  Page* raw = it->second.get();
  mark_dirty(*raw);
  ++layout_version_;
  CacheEntry& entry = cache_[page_index & (CacheSize - 1)];
  entry = CacheEntry{page_index, raw, &it->second};
  return *raw;
}

void Memory::load_page(Word page_index, std::shared_ptr<Page>& page) {
  assert(held_alone(page) && pages_.find(page_index) == pages_.end());
  uint64_t any = 0;
  for (size_t i = 0; i < PageSize; i += 8) {
    uint64_t word;
    std::memcpy(&word, page->bytes + i, 8);
    any |= word;
  }
  if (any == 0) {
    insert_zero_page(page_index);
    return;
  }
  load_filled_page(page_index, std::move(page));
}

void Memory::load_filled_page(Word page_index, std::shared_ptr<Page> page) {
  assert(pages_.find(page_index) == pages_.end());
  if (!page) {
    insert_zero_page(page_index);
    return;
  }
  assert(held_alone(page));
  page->index = page_index;
  page->merkle_dirty = false;
  page->has_code = false;
  auto [it, inserted] = pages_.emplace(page_index, std::move(page));
  Page* raw = it->second.get();
  mark_dirty(*raw);
  ++layout_version_;
  CacheEntry& entry = cache_[page_index & (CacheSize - 1)];
  entry = CacheEntry{page_index, raw, &it->second};
}

std::vector<Word> Memory::sorted_page_indices() const {
  std::vector<Word> indices;
  indices.reserve(pages_.size());
  for (const auto& [index, page] : pages_) indices.push_back(index);
  std::sort(indices.begin(), indices.end());
  return indices;
}

void Memory::write_bytes(Word addr, const uint8_t* data, size_t size) {
  while (size > 0) {
    Page& page = page_for_write(addr >> PageAddrBits);
    const size_t offset = addr & (PageSize - 1);
    const size_t chunk = std::min<size_t>(size, PageSize - offset);
    std::memcpy(page.bytes + offset, data, chunk);
    addr += chunk;
    data += chunk;
    size -= chunk;
  }
}

void Memory::fill_zero(Word addr, Word size) {
  // A large bss would otherwise rehash the page table many times over as it grows.
  pages_.reserve(pages_.size() + std::min<Word>(size / PageSize + 2, Word{1} << 20));
  while (size > 0) {
    const Word index = addr >> PageAddrBits;
    const size_t offset = addr & (PageSize - 1);
    const size_t chunk = std::min<Word>(size, PageSize - offset);
    if (find_page(index) == nullptr)
      insert_zero_page(index);
    else
      std::memset(page_for_write(index).bytes + offset, 0, chunk);
    addr += chunk;
    size -= chunk;
  }
}

void Memory::allocate_range(Word addr, Word size) {
  if (size == 0) return;
  const Word first = addr >> PageAddrBits;
  const Word last = (addr + size - 1) >> PageAddrBits;
  for (Word index = first;; ++index) {
    if (find_page(index) == nullptr) insert_zero_page(index);
    if (index == last) break;
  }
}

uint8_t Memory::read_byte(Word addr) const {
  const Page* page = find_page(addr >> PageAddrBits);
  return page ? page->bytes[addr & (PageSize - 1)] : 0;
}

Hash32 Memory::node_hash(Word gindex, unsigned height) const { return node_ref(gindex, height); }

const Hash32& Memory::node_ref(Word gindex, unsigned height) const {
  auto it = nodes_.find(gindex);
  return it == nodes_.end() ? zero_hash(height) : it->second;
}

namespace {

// The page roots of `pages` into `roots`, groups of PageGroup pages at a time.
void hash_page_group_range(const std::vector<Page*>& pages, std::vector<Hash32>& roots, size_t begin, size_t end) {
  const size_t first = begin * PageGroup;
  page_roots(pages.data() + first, roots.data() + first, std::min(end * PageGroup, pages.size()) - first);
}

size_t page_groups(size_t pages) { return (pages + PageGroup - 1) / PageGroup; }

template <class Item>
void page_roots_split(const Item* items, Hash32* roots, size_t count) {
  parallel_ranges(page_groups(count), 64, [&](size_t begin, size_t end) {
    const size_t first = begin * PageGroup;
    page_roots(items + first, roots + first, std::min(end * PageGroup, count) - first);
  });
}

}  // namespace

void page_roots_on_every_core(const Page* const* pages, Hash32* roots, size_t count) {
  page_roots_split(pages, roots, count);
}

void page_roots_on_every_core(const uint8_t* const* bodies, Hash32* roots, size_t count) {
  page_roots_split(bodies, roots, count);
}

void Memory::BackgroundHash::hash_groups() {
  const size_t groups = page_groups(pages.size());
  for (size_t group; (group = next_group.fetch_add(1, std::memory_order_relaxed)) < groups;)
    hash_page_group_range(pages, roots, group, group + 1);
}

void Memory::flush_dirty_pages(const std::function<bool(const Page&)>& select) {
  finish_background_hash();
  if (dirty_pages_.empty()) return;
  std::vector<Page*> pages, kept;
  pages.reserve(dirty_pages_.size());
  for (Page* page : dirty_pages_) {
    if (!page->merkle_dirty) continue;  // listed twice and hashed
    if (select && !select(*page)) {
      kept.push_back(page);
      continue;
    }
    page->merkle_dirty = false;
    pages.push_back(page);
  }
  std::sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  dirty_pages_ = std::move(kept);
  if (pages.empty()) return;
  ++clean_epoch_;
  std::sort(pages.begin(), pages.end(), [](const Page* a, const Page* b) { return a->index < b->index; });

  // Page roots: groups of pages on every core.
  std::vector<Hash32> roots(pages.size());
  page_roots_on_every_core(pages.data(), roots.data(), pages.size());
  std::vector<Word> level(pages.size());
  for (size_t i = 0; i < pages.size(); ++i) {
    level[i] = (Word{1} << PageDepth) | pages[i]->index;
    nodes_[level[i]] = roots[i];
  }
  update_upper_nodes(std::move(level));
}

void Memory::update_upper_nodes(std::vector<Word> level) {
  // Above the pages: one batch per height over the parents of the nodes just updated.
  std::vector<Word> parents;
  std::vector<const uint8_t*> lefts, rights;
  std::vector<uint8_t*> outs;
  for (unsigned height = PageHeight + 1; height <= TreeDepth; ++height) {
    parents.clear();
    for (Word child : level)
      if (parents.empty() || parents.back() != child >> 1) parents.push_back(child >> 1);
    lefts.resize(parents.size());
    rights.resize(parents.size());
    outs.resize(parents.size());
    for (size_t i = 0; i < parents.size(); ++i) {
      lefts[i] = node_ref(2 * parents[i], height - 1).data();
      rights[i] = node_ref(2 * parents[i] + 1, height - 1).data();
      outs[i] = nodes_[parents[i]].data();  // references into the map stay valid across inserts
    }
    parallel_ranges(parents.size(), 4096, [&](size_t begin, size_t end) {
      keccak256_pairs(lefts.data() + begin, rights.data() + begin, outs.data() + begin, end - begin);
    });
    level.swap(parents);
  }
}

bool Memory::hash_in_background() {
  if (background_) {
    if (!background_->done.load(std::memory_order_acquire)) return false;
    finish_background_hash();
  }
  std::vector<Page*> pages;
  pages.reserve(dirty_pages_.size());
  for (Page* page : dirty_pages_) {
    if (!page->merkle_dirty) continue;  // listed twice
    page->merkle_dirty = false;
    pages.push_back(page);
  }
  dirty_pages_.clear();
  if (pages.empty()) return true;
  ++clean_epoch_;  // the JIT revokes its store permissions: the next write to each page marks it
  // The function-local statics the helper uses are set up here, not in the helper thread (a
  // snapshot's fork must never find one half-initialised).
  static constexpr uint8_t Zero[64] = {};
  uint8_t out[2][32];
  const uint8_t* ins[2] = {Zero, Zero};
  uint8_t* outs[2] = {out[0], out[1]};
  keccak256_pairs(ins, ins, outs, 2);
  (void)zero_hash(TreeDepth);
  auto job = std::make_unique<BackgroundHash>();
  job->sorted.notify_all();  // (sets up the library's static table of waiters on this thread)
  job->pages = std::move(pages);
  job->roots.resize(job->pages.size());
  BackgroundHash* raw = job.get();
  job->worker = std::thread([raw] {
    // Sorted by index here, off the guest's thread (the nodes above are installed in this order).
    std::sort(raw->pages.begin(), raw->pages.end(), [](const Page* a, const Page* b) { return a->index < b->index; });
    raw->sorted.store(true, std::memory_order_release);
    raw->sorted.notify_all();
    raw->hash_groups();
    raw->done.store(true, std::memory_order_release);
  });
  background_ = std::move(job);
  return true;
}

void Memory::finish_background_hash() {
  if (!background_) return;
  background_->sorted.wait(false, std::memory_order_acquire);
  background_->hash_groups();  // the groups the helper has not claimed yet, on this thread
  background_->worker.join();
  // A page written since the hand-off is dirty and listed again: the root installed here may
  // mix its old and new bytes, and the next flush replaces it and the path above it.
  const std::vector<Page*>& pages = background_->pages;
  std::vector<Word> level(pages.size());
  for (size_t i = 0; i < pages.size(); ++i) {
    level[i] = (Word{1} << PageDepth) | pages[i]->index;
    nodes_[level[i]] = background_->roots[i];
  }
  background_.reset();
  update_upper_nodes(std::move(level));
}

size_t Memory::background_pages() const { return background_ ? background_->pages.size() : 0; }

bool Memory::background_hash_done() const { return !background_ || background_->done.load(std::memory_order_acquire); }

// The nodes above a page that stays dirty are left stale; the next full flush recomputes its path.
void Memory::hash_settled_pages(const Memory& previous) {
  flush_dirty_pages([&](const Page& page) {
    auto it = previous.pages_.find(page.index);
    if (it == previous.pages_.end()) return false;  // allocated since
    const Page& old = *it->second;
    // A clean page there was shared at that copy: this one is its clone, written since.
    return old.merkle_dirty && std::memcmp(old.bytes, page.bytes, PageSize) == 0;
  });
}

bool Memory::rehash_pending(Word page_index) const {
  const Page* page = find_page(page_index);
  if (page == nullptr || !page->merkle_dirty) return false;
  return std::find(dirty_pages_.begin(), dirty_pages_.end(), page) != dirty_pages_.end();
}

Hash32 Memory::merkle_root() {
  flush_dirty_pages();
  return node_hash(1, TreeDepth);
}

MemProof Memory::merkle_proof(Word addr) {
  flush_dirty_pages();
  MemProof proof{};
  const Word page_index = addr >> PageAddrBits;
  const Page* page = find_page(page_index);
  // Within the page: leaf and 7 siblings.
  if (page) {
    PageTree tree;
    const uint8_t* bodies[1] = {page->bytes};
    build_page_trees(bodies, &tree, 1);
    const unsigned leaf = static_cast<unsigned>((addr & (PageSize - 1)) >> 5);
    std::memcpy(proof.data(), page->bytes + 32 * leaf, 32);
    std::memcpy(proof.data() + 32, page->bytes + 32 * (leaf ^ 1), 32);
    unsigned node = (128 + leaf) >> 1;
    for (unsigned level = 1; level < PageHeight; ++level, node >>= 1)
      std::memcpy(proof.data() + 32 * (1 + level), tree.nodes[node ^ 1].data(), 32);
  } else {
    for (unsigned level = 0; level < PageHeight; ++level)
      std::memcpy(proof.data() + 32 * (1 + level), zero_hash(level).data(), 32);
  }
  // Above the page: siblings from the node cache.
  Word gindex = (Word{1} << PageDepth) | page_index;
  for (unsigned height = PageHeight; height < TreeDepth; ++height, gindex >>= 1) {
    const Hash32 sibling = node_hash(gindex ^ 1, height);
    std::memcpy(proof.data() + 32 * (1 + height), sibling.data(), 32);
  }
  return proof;
}

bool Memory::operator==(const Memory& other) const {
  if (pages_.size() != other.pages_.size()) return false;
  for (const auto& [index, page] : pages_) {
    auto it = other.pages_.find(index);
    if (it == other.pages_.end()) return false;
    if (std::memcmp(page->bytes, it->second->bytes, PageSize) != 0) return false;
  }
  return true;
}

namespace {
Hash32 root_from_leaf(Word addr, Hash32 node, const MemProof& proof) {
  const Word path = addr >> 5;
  for (unsigned i = 0; i < TreeDepth; ++i) {
    Hash32 sibling;
    std::memcpy(sibling.data(), proof.data() + 32 * (1 + i), 32);
    node = ((path >> i) & 1) ? keccak256_pair(sibling, node) : keccak256_pair(node, sibling);
  }
  return node;
}
Hash32 leaf_of(const MemProof& proof) {
  Hash32 leaf;
  std::memcpy(leaf.data(), proof.data(), 32);
  return leaf;
}
}  // namespace

bool verify_merkle_proof(const Hash32& root, Word addr, const MemProof& proof) {
  return root_from_leaf(addr, leaf_of(proof), proof) == root;
}

Hash32 root_after_write(Word addr, Word value, const MemProof& proof) {
  Hash32 leaf = leaf_of(proof);
  store_be64(leaf.data() + (addr & 31 & ~Word{7}), value);
  return root_from_leaf(addr, leaf, proof);
}

Word word_from_proof(Word addr, const MemProof& proof) { return load_be64(proof.data() + (addr & 24)); }

}  // namespace cannonball
