#include "runtime/gzip_members.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <cassert>
#include <cstring>

namespace cannonball::gzip_members {
namespace {

// 10 fixed bytes (magic, CM=8, FLG=FEXTRA, MTIME=0, XFL=0, OS=255), XLEN=8, then one subfield:
// 'C' 'B', LEN=4, the member size.
constexpr uint8_t HeaderPrefix[16] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 255, 8, 0, 'C', 'B', 4, 0};
constexpr size_t StoredBlockMax = 65535;

void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// Raw deflate of in[0, size) at ISA-L level 1 into out (capacity `room`); 0 when it does not fit.
size_t deflate_level1(const uint8_t* in, size_t size, uint8_t* out, size_t room) {
  thread_local std::vector<uint8_t> level_buf(ISAL_DEF_LVL1_DEFAULT);
  isal_zstream stream;
  isal_deflate_stateless_init(&stream);
  stream.level = 1;
  stream.level_buf = level_buf.data();
  stream.level_buf_size = static_cast<uint32_t>(level_buf.size());
  stream.end_of_stream = 1;
  stream.flush = NO_FLUSH;
  stream.gzip_flag = IGZIP_DEFLATE;
  stream.next_in = const_cast<uint8_t*>(in);
  stream.avail_in = static_cast<uint32_t>(size);
  stream.next_out = out;
  stream.avail_out = static_cast<uint32_t>(room);
  if (isal_deflate_stateless(&stream) != COMP_OK) return 0;
  return stream.total_out;
}

// Stored blocks for `size` bytes: full ones of StoredBlockMax, then the rest (one empty block for
// no bytes at all).
size_t stored_blocks(size_t size) { return size == 0 ? 1 : (size + StoredBlockMax - 1) / StoredBlockMax; }
size_t stored_size(size_t size) { return size + 5 * stored_blocks(size); }

// The 5-byte header of a stored block of `block` bytes: BFINAL, BTYPE=00, then byte-aligned
// LEN and NLEN.
void put_stored_block_header(uint8_t* out, size_t block, bool last) {
  out[0] = last ? 1 : 0;
  out[1] = static_cast<uint8_t>(block);
  out[2] = static_cast<uint8_t>(block >> 8);
  out[3] = static_cast<uint8_t>(~block);
  out[4] = static_cast<uint8_t>(~block >> 8);
}

void write_stored(const uint8_t* in, size_t size, uint8_t* out) {
  do {
    const size_t block = size < StoredBlockMax ? size : StoredBlockMax;
    put_stored_block_header(out, block, block == size);
    out += 5;
    if (block != 0) std::memcpy(out, in, block);  // an empty member's `in` may be null
    out += block;
    in += block;
    size -= block;
  } while (size > 0);
}

void finish_member(uint8_t* header, size_t body_size, uint32_t crc, size_t size) {
  uint8_t* trailer = header + HeaderSize + body_size;
  put_le32(trailer, crc);
  put_le32(trailer + 4, static_cast<uint32_t>(size));
  put_le32(header + 16, static_cast<uint32_t>(HeaderSize + body_size + TrailerSize));
}

void append(const uint8_t* in, size_t size, bool compress, std::vector<uint8_t>& out) {
  const size_t start = out.size();
  const size_t stored = stored_size(size);
  out.resize(start + HeaderSize + stored + TrailerSize);
  uint8_t* header = out.data() + start;
  std::memcpy(header, HeaderPrefix, sizeof HeaderPrefix);
  uint8_t* body = header + HeaderSize;
  size_t body_size = compress ? deflate_level1(in, size, body, stored) : 0;
  if (body_size == 0 || body_size >= stored) {
    write_stored(in, size, body);
    body_size = stored;
  }
  finish_member(header, body_size, crc32_gzip_refl(0, in, size), size);
  out.resize(start + HeaderSize + body_size + TrailerSize);
}

}  // namespace

bool worth_compressing(const uint8_t* sample, size_t size) {
  if (size < 4 * SampleSize) return true;
  thread_local std::vector<uint8_t> sample_out(SampleSize);
  const size_t n = deflate_level1(sample, SampleSize, sample_out.data(), sample_out.size());
  return n != 0 && n < SampleSize - SampleSize / 16;
}

void append_member(const uint8_t* in, size_t size, std::vector<uint8_t>& out) {
  append(in, size, worth_compressing(in, size), out);
}

void append_compressed_member(const uint8_t* in, size_t size, std::vector<uint8_t>& out) {
  append(in, size, true, out);
}

size_t stored_member_size(size_t size) { return HeaderSize + stored_size(size) + TrailerSize; }

void stored_member(const std::vector<iovec>& in, size_t size, std::vector<uint8_t>& frame, std::vector<iovec>& out) {
  const size_t blocks = stored_blocks(size);
  frame.resize(HeaderSize + 5 * blocks + TrailerSize);
  uint8_t* header = frame.data();
  std::memcpy(header, HeaderPrefix, sizeof HeaderPrefix);
  out.push_back({header, HeaderSize});
  uint32_t crc = 0;
  size_t left = size;        // input bytes not yet in a block
  size_t block_left = 0;     // bytes the current block still takes
  uint8_t* block_header = header + HeaderSize;
  auto open_block = [&] {
    block_left = left < StoredBlockMax ? left : StoredBlockMax;
    put_stored_block_header(block_header, block_left, block_left == left);
    out.push_back({block_header, 5});
    block_header += 5;
  };
  if (size == 0) open_block();
  for (const iovec& piece : in) {
    const auto* data = static_cast<const uint8_t*>(piece.iov_base);
    size_t n = piece.iov_len;
    crc = crc32_gzip_refl(crc, data, n);
    while (n > 0) {
      if (block_left == 0) open_block();
      const size_t take = n < block_left ? n : block_left;
      out.push_back({const_cast<uint8_t*>(data), take});
      data += take;
      n -= take;
      block_left -= take;
      left -= take;
    }
  }
  assert(left == 0 && block_left == 0);  // the pieces hold exactly `size` bytes
  uint8_t* trailer = block_header;          // the frame's last TrailerSize bytes
  put_le32(trailer, crc);
  put_le32(trailer + 4, static_cast<uint32_t>(size));
  put_le32(header + 16, static_cast<uint32_t>(stored_member_size(size)));
  out.push_back({trailer, TrailerSize});
}

size_t member_size_from_header(const uint8_t* header) {
  if (std::memcmp(header, HeaderPrefix, 4) != 0) return 0;
  if (std::memcmp(header + 10, HeaderPrefix + 10, 6) != 0) return 0;
  const size_t size = get_le32(header + 16);
  return size >= HeaderSize + TrailerSize + 1 ? size : 0;
}

uint32_t member_isize(const uint8_t* member, size_t size) { return get_le32(member + size - 4); }

bool inflate_member(const uint8_t* member, size_t size, uint8_t* out, size_t out_size) {
  if (size < HeaderSize + TrailerSize + 1) return false;
  const uint8_t* trailer = member + size - TrailerSize;
  if (get_le32(trailer + 4) != static_cast<uint32_t>(out_size)) return false;
  inflate_state state;
  isal_inflate_init(&state);
  state.crc_flag = ISAL_DEFLATE;
  state.next_in = const_cast<uint8_t*>(member + HeaderSize);
  state.avail_in = static_cast<uint32_t>(size - HeaderSize - TrailerSize);
  state.next_out = out;
  state.avail_out = static_cast<uint32_t>(out_size);
  const int rc = isal_inflate_stateless(&state);
  if (rc != ISAL_DECOMP_OK || state.total_out != out_size || state.avail_in != 0) return false;
  return crc32_gzip_refl(0, out, out_size) == get_le32(trailer);
}

}  // namespace cannonball::gzip_members
