// Sparse paged guest memory with a lazily maintained Keccak merkle tree (spec §3).
//
// Owns: the page table (4 KiB pages keyed by page index over the full 64-bit space), the merkle
// node cache, and the precomputed zero-subtree hashes.
// Invariants:
//  - every access is to an 8-byte aligned word stored big-endian; reads of absent pages return 0
//    and allocate nothing; every write allocates its page and marks it merkle-dirty;
//  - pages that loaders only zero (`fill_zero`, `allocate_range`) are present in the page table
//    as one shared, immutable all-zero page: it costs no memory, needs no hashing (an all-zero
//    page hashes like an absent one, so `nodes_` needs no entry for it) and is cloned on its
//    first write like any shared page. Its `index` is meaningless: the page table's key is the
//    index of a shared page;
//  - `nodes_` holds a hash for every tree node at depth <= PageDepth whose subtree contains an
//    allocated page and is up to date for all pages not in `dirty_pages_`; absent nodes hash to
//    the zero hash of their height;
//  - nothing is hashed on the write path: roots and proofs flush the dirty pages on demand;
//  - copies share pages copy-on-write: a page held by more than one Memory is merkle-clean and
//    immutable; the first write through any holder clones it (`page_for_write`), and the JIT makes
//    a page private (`own_page`) before marking it as holding code, so `has_code` is only ever
//    relied on for pages one Memory holds alone. `layout_version()` changes whenever a page is
//    allocated or replaced by its clone, so a cache of page pointers knows when to refresh.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/word.h"

namespace cannonball {

inline constexpr unsigned TreeDepth = 59;  // 2^59 leaves of 32 bytes
inline constexpr unsigned PageHeight = 7;  // a page is 128 leaves
inline constexpr unsigned PageDepth = TreeDepth - PageHeight;
inline constexpr size_t PageWords = PageSize / 8;

using MemProof = std::array<uint8_t, MemProofSize>;

struct Page {
  // Zero in every page make_page hands out; undefined from make_page_for_overwrite.
  alignas(64) uint8_t bytes[PageSize];
  Word index = 0;  // for a page held alone; the shared zero page holds none
  bool merkle_dirty = false;
  // Set by the JIT when the page holds translated code; a write then calls the code-write hook.
  bool has_code = false;
};

// A new all-zero page (from the page pool in optimised builds; see memory.cpp).
std::shared_ptr<Page> make_page();
// A new page whose bytes the caller overwrites in full (a loader): they start undefined, so the
// first touch of a fresh page is the caller's copy rather than a zeroing pass before it.
std::shared_ptr<Page> make_page_for_overwrite();

// The merkle roots of whole pages (128 leaves each) into roots[0, count), eight pages at a time
// on the widest keccak kernel. An all-zero page's root is zero_hash(PageHeight).
void page_roots(const Page* const* pages, Hash32* roots, size_t count);
// The same for pages given as pointers to their PageSize bytes, at any alignment (a loader hashes
// page records where they lie in its buffer).
void page_roots(const uint8_t* const* bodies, Hash32* roots, size_t count);
// page_roots with the groups of eight split across the cores (one thread below 512 pages).
void page_roots_on_every_core(const Page* const* pages, Hash32* roots, size_t count);
void page_roots_on_every_core(const uint8_t* const* bodies, Hash32* roots, size_t count);

// The merkle root (spec §3) of a memory whose present pages have these roots (page_roots of their
// bytes), listed once each in ascending index order. Absent pages are zero.
struct PageRoot {
  Word index;
  Hash32 root;
};
Hash32 memory_root(std::vector<PageRoot> pages);

// The hash of an empty subtree of the given height (0 = a 32-byte zero leaf, 59 = empty memory).
const Hash32& zero_hash(unsigned height);

class Memory {
 public:
  Memory();
  Memory(const Memory& other);
  Memory& operator=(const Memory& other);
  Memory(Memory&& other) noexcept;
  Memory& operator=(Memory&& other) noexcept;
  ~Memory();

  // Aligned word access: the word holding `addr` (its low three bits are ignored; callers align).
  Word read_word(Word addr) const {
    const Page* page = find_page(addr >> PageAddrBits);
    return page ? load_be64(page->bytes + (addr & (PageSize - 8))) : 0;
  }
  void write_word(Word addr, Word value) {
    Page& page = page_for_write(addr >> PageAddrBits);
    store_be64(page.bytes + (addr & (PageSize - 8)), value);
  }
  // The 32-bit instruction word at a 4-aligned address.
  uint32_t read_u32(Word addr) const {
    const Page* page = find_page(addr >> PageAddrBits);
    return page ? load_be32(page->bytes + (addr & (PageSize - 4))) : 0;
  }

  // Page table access. `find_page` never allocates; `page_for_write` allocates if needed, marks
  // the page merkle-dirty and calls the code-write hook if the page holds translated code.
  const Page* find_page(Word page_index) const {
    CacheEntry& entry = cache_[page_index & (CacheSize - 1)];
    if (entry.index == page_index && entry.page) return entry.page;
    return find_page_slow(page_index);
  }
  Page* find_page_mut(Word page_index) { return const_cast<Page*>(find_page(page_index)); }
  Page& page_for_write(Word page_index) {
    CacheEntry& entry = cache_[page_index & (CacheSize - 1)];
    Page* page = (entry.index == page_index && entry.slot && held_alone(*entry.slot))
                     ? entry.page
                     : &page_for_write_slow(page_index);
    if (!page->merkle_dirty) mark_dirty(*page);
    if (page->has_code && code_write_hook_) code_write_hook_(code_write_ctx_, *page);
    return *page;
  }
  // The page, allocated if absent, held by this Memory alone (a shared page is cloned; the clone
  // keeps the contents and the merkle state, so it is not marked dirty).
  Page& allocate_page(Word page_index);
  // For loaders: the absent page at `page_index` becomes `page` (held by the caller alone, its
  // bytes filled), marked dirty, and `page` is left empty; when those bytes are all zero the
  // index becomes the shared zero page instead and `page` stays with the caller for the next
  // one. About half of an op-program prestate's pages are all zero: they then take no memory,
  // no first-touch page fault, and no hashing.
  void load_page(Word page_index, std::shared_ptr<Page>& page);
  // For loaders that checked the page already: the absent page at `page_index` becomes `page`
  // (held by the caller alone, bytes filled, not all zero), marked dirty, or the shared zero page
  // when `page` is null.
  void load_filled_page(Word page_index, std::shared_ptr<Page> page);
  // The existing page held by this Memory alone (cloned if shared), or null if absent.
  Page* own_page(Word page_index);
  // Marks a page changed through a raw pointer (the JIT's store path uses this once per page).
  void mark_dirty(Page& page) {
    page.merkle_dirty = true;
    dirty_pages_.push_back(&page);
  }

  using CodeWriteHook = void (*)(void* ctx, Page& page);
  void set_code_write_hook(CodeWriteHook hook, void* ctx) {
    code_write_hook_ = hook;
    code_write_ctx_ = ctx;
  }
  // The context the hook was installed with (the JIT checks it to notice a replaced memory).
  void* code_write_ctx() const { return code_write_ctx_; }

  size_t page_count() const { return pages_.size(); }
  // Changes whenever a page is allocated or a shared page is replaced by a private clone.
  uint64_t layout_version() const { return layout_version_; }
  // How many of this memory's pages are the very same page objects `other` holds (shared).
  size_t pages_shared_with(const Memory& other) const;
  // Cached merkle nodes above the pages (for memory accounting).
  size_t merkle_node_count() const { return nodes_.size(); }
  // Changes whenever hashing cleared merkle_dirty flags (the JIT's fast-store permission for a
  // page depends on its flag, so it revokes them when this moves).
  Word clean_epoch() const { return clean_epoch_; }
  std::vector<Word> sorted_page_indices() const;
  // Copies `size` bytes into memory starting at `addr` (allocating pages), for loaders.
  void write_bytes(Word addr, const uint8_t* data, size_t size);
  // Like write_bytes with `size` zero bytes, without a buffer of them (every page is present
  // afterwards; an absent one becomes the shared zero page).
  void fill_zero(Word addr, Word size);
  // Makes every page overlapping [addr, addr + size) present, leaving present pages as they are;
  // an absent one becomes the shared zero page.
  void allocate_range(Word addr, Word size);
  uint8_t read_byte(Word addr) const;

  // Whether the next merkle_root() rehashes this page: it is marked and listed as written since
  // the last hashing. A present page that is not rehashed must still hold the bytes it was last
  // hashed with, which lets a checker find a page changed without being marked dirty by comparing
  // bytes instead of computing roots. Linear in the pages written since the last hashing.
  bool rehash_pending(Word page_index) const;

  Hash32 merkle_root();
  // Before this memory is copied again for a checkpoint that follows `previous` (its last copy):
  // hashes the dirty pages that `previous` holds as private copies with the same bytes (written
  // before that copy and not since), so that the new copy shares them. Pages written since
  // `previous` stay dirty; the copy copies them instead of hashing them, so a page rewritten
  // between every two checkpoints is hashed once, by the root that needs it, and the live memory
  // keeps it to itself (no copy-on-write clone on its next write).
  void hash_settled_pages(const Memory& previous);
  // The 1920-byte proof of the leaf holding `addr` (spec §3): leaf, then 59 siblings upward.
  MemProof merkle_proof(Word addr);

  // Hashing on another core while the guest runs. `hash_in_background` hands the pages written
  // since the last hashing to a helper thread, which computes their page roots; they count as
  // clean from here (clean_epoch moves), so a page the guest writes again is marked dirty and
  // listed as usual, and any later root rehashes it over whatever the helper read. The helper
  // reads page bytes only: the pages it hashes are held by this memory alone, and nothing frees
  // or shares them before `finish_background_hash` (every root, proof, copy, move and the
  // destructor waits for it first). Returns false, handing nothing off, while the previous
  // hand-off is still being hashed; a finished one is installed first.
  bool hash_in_background();
  // Waits for the helper, then installs its page roots and the nodes above them.
  void finish_background_hash();
  // Pages handed off and not yet installed, and whether the helper is done with them.
  size_t background_pages() const;
  bool background_hash_done() const;

  bool operator==(const Memory& other) const;  // byte contents of allocated pages, same page set

 private:
  static constexpr size_t CacheSize = 256;
  struct CacheEntry {
    Word index = 0;
    Page* page = nullptr;
    std::shared_ptr<Page>* slot = nullptr;  // the page table's entry (nodes never move)
  };
  // Whether no other Memory holds the page. The acquire fence orders this Memory's coming writes
  // after everything another holder did before letting go of it.
  static bool held_alone(const std::shared_ptr<Page>& slot) {
    if (slot.use_count() != 1) return false;
    std::atomic_thread_fence(std::memory_order_acquire);
    return true;
  }
  const Page* find_page_slow(Word page_index) const;
  Page& page_for_write_slow(Word page_index);
  Page& clone_shared(Word page_index, std::shared_ptr<Page>& slot);
  // Makes an absent page present as the shared all-zero page (no allocation, nothing to hash).
  void insert_zero_page(Word page_index);
  // Hashes every dirty page, or those `select` picks (the others stay dirty and listed).
  void flush_dirty_pages(const std::function<bool(const Page&)>& select = nullptr);
  // Recomputes the nodes above the pages whose page-level nodes (sorted generalized indices at
  // depth PageDepth) were just set.
  void update_upper_nodes(std::vector<Word> level);
  Hash32 node_hash(Word gindex, unsigned height) const;
  const Hash32& node_ref(Word gindex, unsigned height) const;

  std::unordered_map<Word, std::shared_ptr<Page>> pages_;
  mutable std::array<CacheEntry, CacheSize> cache_{};
  std::vector<Page*> dirty_pages_;
  Word clean_epoch_ = 0;
  std::unordered_map<Word, Hash32> nodes_;  // generalized index (depth <= PageDepth) -> hash
  CodeWriteHook code_write_hook_ = nullptr;
  void* code_write_ctx_ = nullptr;
  uint64_t layout_version_ = 0;
  struct BackgroundHash;
  std::unique_ptr<BackgroundHash> background_;  // the hand-off being hashed, if any
};

// Verifies a 1920-byte proof for `addr` against `root` (spec §3 "Verification").
bool verify_merkle_proof(const Hash32& root, Word addr, const MemProof& proof);
// The root after replacing the proven word at `addr` with `value`, using the proof's siblings.
Hash32 root_after_write(Word addr, Word value, const MemProof& proof);
// The word at `addr` read out of the proof's leaf.
Word word_from_proof(Word addr, const MemProof& proof);

}  // namespace cannonball
