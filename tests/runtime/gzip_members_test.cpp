// The multi-member gzip writer (runtime/gzip_members.h): stored members built from pieces of
// memory are byte for byte the members append_member stores, and every member is a gzip member
// that zlib (the reader behind upstream's Go-compatible checks here) and the parallel reader accept.
#include <zlib.h>

#include <gtest/gtest.h>

#include <random>

#include "runtime/gzip_members.h"

namespace cannonball {
namespace {

std::vector<uint8_t> random_bytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out(size);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// zlib's reading of a gzip stream (members concatenated), or nullopt if it rejects it.
std::optional<std::vector<uint8_t>> gunzip(const std::vector<uint8_t>& packed) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return std::nullopt;
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  zs.next_in = const_cast<uint8_t*>(packed.data());
  zs.avail_in = static_cast<uInt>(packed.size());
  int rc = Z_OK;
  while (zs.avail_in > 0) {
    zs.next_out = buf;
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.insert(out.end(), buf, buf + (sizeof buf - zs.avail_out));
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);
    } else if (rc != Z_OK) {
      break;
    }
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

// The member of `in` stored from pieces cut every `cut` bytes, flattened.
std::vector<uint8_t> stored_from_pieces(const std::vector<uint8_t>& in, size_t cut) {
  std::vector<iovec> pieces;
  for (size_t at = 0; at < in.size(); at += cut)
    pieces.push_back({const_cast<uint8_t*>(in.data()) + at, std::min(cut, in.size() - at)});
  std::vector<uint8_t> frame;
  std::vector<iovec> member;
  gzip_members::stored_member(pieces, in.size(), frame, member);
  std::vector<uint8_t> out;
  for (const iovec& piece : member) {
    const auto* p = static_cast<const uint8_t*>(piece.iov_base);
    out.insert(out.end(), p, p + piece.iov_len);
  }
  return out;
}

// Sizes around the 65535-byte stored block limit, exact multiples of it included (the last
// block is then full and no empty block follows it).
const size_t Sizes[] = {0, 1, 4104, 65534, 65535, 65536, 2 * 65535, 2 * 65535 + 1, 1 << 20, (1 << 20) + 17};

TEST(GzipMembers, StoredMemberFromPiecesMatchesAppendMemberByteForByte) {
  for (size_t size : Sizes) {
    const auto in = random_bytes(size, size);  // random: append_member stores it
    std::vector<uint8_t> copied;
    gzip_members::append_member(in.data(), in.size(), copied);
    EXPECT_EQ(copied.size(), gzip_members::stored_member_size(size)) << size;
    for (size_t cut : {size_t{8}, size_t{4096}, size_t{4104}, size_t{70000}, size_t{1} << 21})
      EXPECT_EQ(stored_from_pieces(in, cut), copied) << "size " << size << " cut " << cut;
  }
}

TEST(GzipMembers, StoredMembersReadBackWithZlibAndTheMemberReader) {
  std::vector<uint8_t> file, expected;
  for (size_t size : Sizes) {
    const auto in = random_bytes(size, 100 + size);
    const auto member = stored_from_pieces(in, 4104);
    ASSERT_EQ(gzip_members::member_size_from_header(member.data()), member.size()) << size;
    EXPECT_EQ(gzip_members::member_isize(member.data(), member.size()), size);
    std::vector<uint8_t> back(size);
    EXPECT_TRUE(gzip_members::inflate_member(member.data(), member.size(), back.data(), back.size())) << size;
    EXPECT_EQ(back, in) << size;
    EXPECT_EQ(gunzip(member), in) << size;
    file.insert(file.end(), member.begin(), member.end());
    expected.insert(expected.end(), in.begin(), in.end());
  }
  EXPECT_EQ(gunzip(file), expected);  // all of them as one multi-member stream
}

TEST(GzipMembers, CompressibleMembersAreCompressedAndRandomOnesStored) {
  const auto random = random_bytes(1 << 20, 7);
  std::vector<uint8_t> zeros(1 << 20, 0);
  EXPECT_FALSE(gzip_members::worth_compressing(random.data(), random.size()));
  EXPECT_TRUE(gzip_members::worth_compressing(zeros.data(), zeros.size()));
  std::vector<uint8_t> member;
  gzip_members::append_compressed_member(zeros.data(), zeros.size(), member);
  EXPECT_LT(member.size(), 8192u);
  EXPECT_EQ(gunzip(member), zeros);
  member.clear();
  // Forced to try: random bytes do not shrink, so they are stored all the same.
  gzip_members::append_compressed_member(random.data(), random.size(), member);
  EXPECT_EQ(member.size(), gzip_members::stored_member_size(random.size()));
  EXPECT_EQ(gunzip(member), random);
}

}  // namespace
}  // namespace cannonball
