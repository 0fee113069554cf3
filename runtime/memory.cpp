#include "runtime/memory.h"

#include <algorithm>
#include <cassert>

#include "runtime/keccak.h"

namespace cannonball {
namespace {

struct ZeroHashes {
  std::array<Hash32, TreeDepth + 1> levels{};
  ZeroHashes() {
    for (unsigned h = 1; h <= TreeDepth; ++h) levels[h] = keccak256_pair(levels[h - 1], levels[h - 1]);
  }
};

const ZeroHashes& zero_hashes() {
  static const ZeroHashes hashes;
  return hashes;
}

// The 255-entry implicit tree of one page: index 1 = page root, 128..255 = leaves.
struct PageTree {
  std::array<Hash32, 256> nodes;
};

void build_page_tree(const Page& page, PageTree& tree) {
  const Hash32& z0 = zero_hash(0);
  for (unsigned leaf = 0; leaf < 128; ++leaf) std::memcpy(tree.nodes[128 + leaf].data(), page.bytes + 32 * leaf, 32);
  for (unsigned node = 127; node >= 1; --node) {
    const Hash32& left = tree.nodes[2 * node];
    const Hash32& right = tree.nodes[2 * node + 1];
    // Height of `node` within the page: leaves are height 0.
    const unsigned height = PageHeight - (31 - static_cast<unsigned>(__builtin_clz(node)));
    const Hash32& zero_child = height == 1 ? z0 : zero_hash(height - 1);
    if (left == zero_child && right == zero_child)
      tree.nodes[node] = zero_hash(height);
    else
      tree.nodes[node] = keccak256_pair(left, right);
  }
}

Hash32 page_root(const Page& page) {
  PageTree tree;
  build_page_tree(page, tree);
  return tree.nodes[1];
}

}  // namespace

const Hash32& zero_hash(unsigned height) { return zero_hashes().levels[height]; }

Memory::Memory() = default;

Memory::Memory(const Memory& other) { *this = other; }

Memory& Memory::operator=(const Memory& other) {
  if (this == &other) return *this;
  pages_.clear();
  cache_ = {};
  dirty_pages_.clear();
  nodes_ = other.nodes_;
  for (const auto& [index, page] : other.pages_) {
    auto copy = std::make_unique<Page>(*page);
    copy->has_code = false;
    if (copy->merkle_dirty) dirty_pages_.push_back(copy.get());
    pages_.emplace(index, std::move(copy));
  }
  code_write_hook_ = nullptr;
  code_write_ctx_ = nullptr;
  return *this;
}

const Page* Memory::find_page_slow(Word page_index) const {
  auto it = pages_.find(page_index);
  if (it == pages_.end()) return nullptr;
  CacheEntry& entry = cache_[page_index & (CacheSize - 1)];
  entry.index = page_index;
  entry.page = it->second.get();
  return entry.page;
}

Page& Memory::allocate_page(Word page_index) {
  if (const Page* existing = find_page(page_index)) return *const_cast<Page*>(existing);
  auto page = std::make_unique<Page>();
  page->index = page_index;
  Page* raw = page.get();
  pages_.emplace(page_index, std::move(page));
  mark_dirty(*raw);
  CacheEntry& entry = cache_[page_index & (CacheSize - 1)];
  entry.index = page_index;
  entry.page = raw;
  return *raw;
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

void Memory::allocate_range(Word addr, Word size) {
  if (size == 0) return;
  const Word first = addr >> PageAddrBits;
  const Word last = (addr + size - 1) >> PageAddrBits;
  for (Word index = first;; ++index) {
    page_for_write(index);
    if (index == last) break;
  }
}

uint8_t Memory::read_byte(Word addr) const {
  const Page* page = find_page(addr >> PageAddrBits);
  return page ? page->bytes[addr & (PageSize - 1)] : 0;
}

Hash32 Memory::node_hash(Word gindex, unsigned height) const {
  auto it = nodes_.find(gindex);
  return it == nodes_.end() ? zero_hash(height) : it->second;
}

void Memory::flush_dirty_pages() {
  if (dirty_pages_.empty()) return;
  ++clean_epoch_;
  std::vector<Word> level;
  level.reserve(dirty_pages_.size());
  for (Page* page : dirty_pages_) {
    if (!page->merkle_dirty) continue;  // listed twice
    page->merkle_dirty = false;
    const Word gindex = (Word{1} << PageDepth) | page->index;
    nodes_[gindex] = page_root(*page);
    level.push_back(gindex);
  }
  dirty_pages_.clear();
  std::sort(level.begin(), level.end());
  level.erase(std::unique(level.begin(), level.end()), level.end());
  for (unsigned height = PageHeight + 1; height <= TreeDepth; ++height) {
    std::vector<Word> parents;
    parents.reserve(level.size());
    for (Word child : level) {
      const Word parent = child >> 1;
      if (!parents.empty() && parents.back() == parent) continue;
      parents.push_back(parent);
    }
    for (Word parent : parents)
      nodes_[parent] = keccak256_pair(node_hash(2 * parent, height - 1), node_hash(2 * parent + 1, height - 1));
    level.swap(parents);
  }
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
    build_page_tree(*page, tree);
    unsigned node = 128 + static_cast<unsigned>((addr & (PageSize - 1)) >> 5);
    std::memcpy(proof.data(), tree.nodes[node].data(), 32);
    for (unsigned level = 0; level < PageHeight; ++level, node >>= 1)
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
