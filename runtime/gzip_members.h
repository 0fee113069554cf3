// Multi-member gzip for large state files: each member carries its own compressed size in a gzip
// extra field, so a reader can find every member from the headers alone and inflate them on all
// cores, and any gzip reader (upstream cannon's Go reader, zlib, gzip -d) still reads the file as
// one concatenated stream.
//
// Member layout (RFC 1952): 1f 8b 08 04(FEXTRA) mtime=0 xfl=0 os=255, XLEN=8, subfield 'C' 'B'
// with LEN=4 holding the member's total size in bytes (little-endian), the raw deflate data, then
// CRC-32 and ISIZE. Members are compressed with ISA-L (level 1); a member whose sample does not
// compress is written as stored deflate blocks (at most 65535 bytes each), which costs a CRC and,
// through `stored_member`, no copy at all: the member is a gather list over its input.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cannonball::gzip_members {

inline constexpr size_t HeaderSize = 20;
inline constexpr size_t TrailerSize = 8;
// The largest uncompressed member this reader inflates in parallel; larger or unmarked members
// are read by the streaming path instead.
inline constexpr size_t MaxMemberInput = size_t{16} << 20;

// Appends one complete member holding `in[0, size)` to `out` (size <= MaxMemberInput): compressed
// when a sample of its start compresses (worth_compressing) and the whole shrinks, else stored.
void append_member(const uint8_t* in, size_t size, std::vector<uint8_t>& out);

// How much of a member's start `worth_compressing` looks at, when the member is at least
// 4 * SampleSize bytes long (shorter ones are always tried).
inline constexpr size_t SampleSize = 16 << 10;
// Whether a member of `size` bytes starting with `sample` (min(size, SampleSize) bytes; ignored
// below 4 * SampleSize) is worth compressing: memory that does not compress (random words) is
// stored instead.
bool worth_compressing(const uint8_t* sample, size_t size);
// Like append_member, without the sample: compressed unless that does not shrink it.
void append_compressed_member(const uint8_t* in, size_t size, std::vector<uint8_t>& out);

// One member holding the bytes of `in` (pieces in order, `size` bytes in all, size <=
// MaxMemberInput) as stored deflate blocks, byte for byte what append_member stores, without
// copying the input: appends to `out` the pieces of the member, which point into `in`'s memory and
// into `frame`. `frame` receives the header, the block headers and the trailer (CRC-32 computed
// here); it must not be changed or freed until the pieces are written.
void stored_member(const std::vector<iovec>& in, size_t size, std::vector<uint8_t>& frame, std::vector<iovec>& out);
// The size in bytes of a member that stores `size` input bytes.
size_t stored_member_size(size_t size);

// The member starting at `header` (at least HeaderSize bytes): its total size, or 0 when the
// header is not one this writer produces (then the caller reads the file as a plain stream).
size_t member_size_from_header(const uint8_t* header);

// Inflates one whole member (header..trailer, `size` bytes) into `out`, which must be exactly
// the trailer's ISIZE bytes long. Returns false when the data, CRC or size do not check out.
bool inflate_member(const uint8_t* member, size_t size, uint8_t* out, size_t out_size);

// ISIZE of a whole member (its last 4 bytes, little-endian).
uint32_t member_isize(const uint8_t* member, size_t size);

}  // namespace cannonball::gzip_members
