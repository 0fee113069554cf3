// Multi-member gzip for large state files: each member carries its own compressed size in a gzip
// extra field, so a reader can find every member from the headers alone and inflate them on all
// cores, and any gzip reader (upstream cannon's Go reader, zlib, gzip -d) still reads the file as
// one concatenated stream.
//
// Member layout (RFC 1952): 1f 8b 08 04(FEXTRA) mtime=0 xfl=0 os=255, XLEN=8, subfield 'C' 'B'
// with LEN=4 holding the member's total size in bytes (little-endian), the raw deflate data, then
// CRC-32 and ISIZE. Members are compressed with ISA-L (level 1); a member whose sample does not
// compress is written as stored deflate blocks, which costs a copy and a CRC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cannonball::gzip_members {

inline constexpr size_t HeaderSize = 20;
inline constexpr size_t TrailerSize = 8;
// The largest uncompressed member this reader inflates in parallel; larger or unmarked members
// are read by the streaming path instead.
inline constexpr size_t MaxMemberInput = size_t{16} << 20;

// Appends one complete member holding `in[0, size)` to `out` (size <= MaxMemberInput).
void append_member(const uint8_t* in, size_t size, std::vector<uint8_t>& out);

// The member starting at `header` (at least HeaderSize bytes): its total size, or 0 when the
// header is not one this writer produces (then the caller reads the file as a plain stream).
size_t member_size_from_header(const uint8_t* header);

// Inflates one whole member (header..trailer, `size` bytes) into `out`, which must be exactly
// the trailer's ISIZE bytes long. Returns false when the data, CRC or size do not check out.
bool inflate_member(const uint8_t* member, size_t size, uint8_t* out, size_t out_size);

// ISIZE of a whole member (its last 4 bytes, little-endian).
uint32_t member_isize(const uint8_t* member, size_t size);

}  // namespace cannonball::gzip_members
