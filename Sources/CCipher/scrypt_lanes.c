// scrypt (RFC 7914) with its p lanes on threads of their own.
//
// libcrypto's EVP_PBE_scrypt mixes the lanes one after another. They are
// independent by design (the "p" parameter exists to allow exactly this), so
// on a machine with two cores the default p = 4 derives a key in about half
// the time, at the same cost to anyone guessing passwords. PBKDF2-HMAC-SHA256
// before and after the lanes is libcrypto's; the mixing (Salsa20/8, BlockMix,
// ROMix) is written here from the RFC's definitions, and the tests compare the
// result with EVP_PBE_scrypt and the RFC's vectors.
//
// Each thread needs a lane's working memory (128 * r * N bytes) to itself.
// To mix two lanes at once in the memory libcrypto uses for one, a thread
// may keep only every second (fourth, ...) intermediate value and recompute
// the others on lookup: ROMix's known time-memory trade-off, which changes
// the derivation's cost to us, not the result or an attacker's cost.
#include "CCipher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The 16 words of a 64-byte block are kept in diagonal order while a lane
// is mixed: word `diagonal_order[i]` of the block at position i, so that
// four rows of four positions hold, lane by lane, the four words each
// quarter-round of Salsa20 works on together: (0, 5, 10, 15), (4, 9, 14, 3),
// (8, 13, 2, 7) and (12, 1, 6, 11). A column round is then four vector
// operations on whole rows, and a row round the same after turning three of
// the rows. Position 0 holds word 0, which Integerify reads.
static const int diagonal_order[16] = {0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11};

// Four 32-bit words side by side: SSE2 on x86-64, NEON on arm64.
typedef uint32_t words4 __attribute__((vector_size(16)));

#define MIXING static inline __attribute__((always_inline))

MIXING words4 load4(const uint32_t *words) {
  words4 value;
  memcpy(&value, words, sizeof value);
  return value;
}

MIXING void store4(uint32_t *words, words4 value) { memcpy(words, &value, sizeof value); }

MIXING words4 rotl4(words4 value, int count) { return (value << count) | (value >> (32 - count)); }

// Salsa20/8 core (RFC 7914, section 3), in place on 16 words in diagonal order.
MIXING void salsa20_8(uint32_t block[16]) {
  const words4 a0 = load4(block), b0 = load4(block + 4), c0 = load4(block + 8), d0 = load4(block + 12);
  words4 a = a0, b = b0, c = c0, d = d0;
  for (int round = 0; round < 8; round += 2) {
    // Column round: b is the first word of each column to change, a the diagonal.
    b ^= rotl4(a + d, 7), c ^= rotl4(b + a, 9);
    d ^= rotl4(c + b, 13), a ^= rotl4(d + c, 18);
    // Row round: lane k of p, q and s is then the word after, two after and
    // three after the diagonal word of row k.
    words4 p = __builtin_shufflevector(d, d, 1, 2, 3, 0);
    words4 q = __builtin_shufflevector(c, c, 2, 3, 0, 1);
    words4 s = __builtin_shufflevector(b, b, 3, 0, 1, 2);
    p ^= rotl4(a + s, 7), q ^= rotl4(p + a, 9);
    s ^= rotl4(q + p, 13), a ^= rotl4(s + q, 18);
    d = __builtin_shufflevector(p, p, 3, 0, 1, 2);
    c = __builtin_shufflevector(q, q, 2, 3, 0, 1);
    b = __builtin_shufflevector(s, s, 1, 2, 3, 0);
  }
  store4(block, a + a0), store4(block + 4, b + b0), store4(block + 8, c + c0), store4(block + 12, d + d0);
}

// BlockMix (RFC 7914, section 4) of 2r 64-byte blocks from `input` into
// `output`: even-numbered results first, then odd-numbered ones. The order
// of words within a block does not matter here, only that it is the same
// in every block.
MIXING void block_mix(const uint32_t *input, uint32_t *output, size_t r) {
  uint32_t x[16];
  memcpy(x, &input[(2 * r - 1) * 16], sizeof x);
  for (size_t i = 0; i < 2 * r; i++) {
    for (int k = 0; k < 16; k += 4) store4(&x[k], load4(&x[k]) ^ load4(&input[i * 16 + k]));
    salsa20_8(x);
    memcpy(&output[((i & 1) * r + i / 2) * 16], x, sizeof x);
  }
}

static inline uint32_t load_le32(const uint8_t *bytes) {
  return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

static inline void store_le32(uint8_t *bytes, uint32_t value) {
  bytes[0] = (uint8_t)value, bytes[1] = (uint8_t)(value >> 8);
  bytes[2] = (uint8_t)(value >> 16), bytes[3] = (uint8_t)(value >> 24);
}

// ROMix (RFC 7914, section 5) of one lane of 128r bytes, in place, keeping
// every 2^shift-th of its N intermediate values and recomputing the others
// when they are looked up (a lookup of a value not kept costs the BlockMix
// calls since the kept one before it). `v` holds N / 2^shift * 32r words,
// `work` 128r words.
MIXING void ro_mix(uint8_t *lane, size_t r, uint64_t n, unsigned shift, uint32_t *v, uint32_t *work) {
  const size_t words = 32 * r;
  const uint64_t skipped = ((uint64_t)1 << shift) - 1;
  uint32_t *x = work, *y = work + words, *t = work + 2 * words, *u = work + 3 * words;
  for (size_t k = 0; k < words; k++) x[k] = load_le32(&lane[4 * (k - k % 16 + diagonal_order[k % 16])]);
  for (uint64_t i = 0; i < n; i++) {
    if ((i & skipped) == 0) memcpy(&v[(i >> shift) * words], x, words * sizeof *x);
    block_mix(x, y, r);
    uint32_t *swap = x;
    x = y, y = swap;
  }
  for (uint64_t i = 0; i < n; i++) {
    // Integerify: the last 64-byte block's first word (at position 0 in
    // diagonal order too), little-endian; N is a power of two, so the modulo
    // is a mask (N <= 2^32 here: see the caller).
    uint64_t j = (uint64_t)x[(2 * r - 1) * 16] & (n - 1);
    const uint32_t *value = &v[(j >> shift) * words];
    if ((j & skipped) != 0) {
      memcpy(t, value, words * sizeof *t);
      for (uint64_t step = 0; step < (j & skipped); step++) {
        block_mix(t, u, r);
        uint32_t *swap = t;
        t = u, u = swap;
      }
      value = t;
    }
    for (size_t k = 0; k < words; k++) x[k] ^= value[k];
    block_mix(x, y, r);
    uint32_t *swap = x;
    x = y, y = swap;
  }
  for (size_t k = 0; k < words; k++) store_le32(&lane[4 * (k - k % 16 + diagonal_order[k % 16])], x[k]);
}

// ROMix compiled twice: for the baseline instruction set, and for AVX-512,
// whose rotate instruction does what takes two shifts and an or otherwise,
// four times in each round of Salsa20; chosen at run time.
static void ro_mix_baseline(uint8_t *lane, size_t r, uint64_t n, unsigned shift, uint32_t *v, uint32_t *work) {
  ro_mix(lane, r, n, shift, v, work);
}

#if defined(__x86_64__) && defined(__clang__)
__attribute__((target("avx512f,avx512vl"))) static void ro_mix_avx512(
  uint8_t *lane, size_t r, uint64_t n, unsigned shift, uint32_t *v, uint32_t *work) {
  ro_mix(lane, r, n, shift, v, work);
}
#endif

typedef void (*ro_mix_function)(uint8_t *, size_t, uint64_t, unsigned, uint32_t *, uint32_t *);

static ro_mix_function ro_mix_for_this_cpu(int wide_vectors) {
#if defined(__x86_64__) && defined(__clang__)
  if (wide_vectors && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return ro_mix_avx512;
#endif
  return ro_mix_baseline;
}

struct lane_work {
  uint8_t *lanes;
  uint64_t n, r, p;
  unsigned shift;
  int wide_vectors;
  uint64_t first, stride;
  int failed;
};

static void *mix_lanes(void *argument) {
  struct lane_work *work = argument;
  size_t words = (size_t)(32 * work->r);
  size_t kept = (size_t)(work->n >> work->shift);
  uint32_t *v = malloc(kept * words * sizeof(uint32_t));
  uint32_t *scratch = malloc(4 * words * sizeof(uint32_t));
  if (v == NULL || scratch == NULL) {
    work->failed = 1;
  } else {
    const ro_mix_function mix = ro_mix_for_this_cpu(work->wide_vectors);
    for (uint64_t lane = work->first; lane < work->p; lane += work->stride) {
      mix(&work->lanes[lane * 128 * work->r], (size_t)work->r, work->n, work->shift, v, scratch);
    }
  }
  // The working memory is derived from the password: cleared, as libcrypto does.
  if (v != NULL) OPENSSL_cleanse(v, kept * words * sizeof(uint32_t));
  if (scratch != NULL) OPENSSL_cleanse(scratch, 4 * words * sizeof(uint32_t));
  free(v);
  free(scratch);
  return NULL;
}

int cairn_scrypt_lanes(
  const void *password, size_t password_length, const void *salt, size_t salt_length, uint64_t n,
  uint64_t r, uint64_t p, uint64_t threads, unsigned keep_shift, int wide_vectors, uint8_t *output,
  size_t output_length) {
  static const char empty = 0;
  if (keep_shift > 8 || (n >> keep_shift) == 0) return 0;
  if (n < 2 || (n & (n - 1)) != 0 || n > (uint64_t)1 << 32 || r == 0 || p == 0 || threads == 0) return 0;
  if (r > (1u << 24) || p > (1u << 24) || output_length > INT32_MAX || password_length > INT32_MAX
      || salt_length > INT32_MAX)
    return 0;
  if (threads > p) threads = p;
  const uint64_t lanes_size = 128 * r * p;
  if (lanes_size > INT32_MAX) return 0;
  uint8_t *lanes = malloc((size_t)lanes_size);
  struct lane_work *work = calloc((size_t)threads, sizeof *work);
  pthread_t *handles = calloc((size_t)threads, sizeof *handles);
  int status = 0;
  if (lanes == NULL || work == NULL || handles == NULL) goto done;
  const char *secret = password_length == 0 ? &empty : password;
  const unsigned char *salt_bytes = salt_length == 0 ? (const unsigned char *)&empty : salt;
  if (PKCS5_PBKDF2_HMAC(
        secret, (int)password_length, salt_bytes, (int)salt_length, 1, EVP_sha256(), (int)lanes_size, lanes)
      != 1)
    goto done;

  uint64_t started = 0;
  for (uint64_t t = 0; t < threads; t++) {
    work[t] = (struct lane_work){lanes, n, r, p, keep_shift, wide_vectors, t, threads, 0};
    // The first lane group runs on this thread once the others are started.
    if (t == 0) continue;
    if (pthread_create(&handles[t], NULL, mix_lanes, &work[t]) != 0) {
      work[t].failed = 1;
      break;
    }
    started = t;
  }
  mix_lanes(&work[0]);
  int failed = work[0].failed;
  for (uint64_t t = 1; t <= started; t++) {
    pthread_join(handles[t], NULL);
    failed |= work[t].failed;
  }
  if (started + 1 < threads) failed = 1;
  if (failed) goto done;
  status = PKCS5_PBKDF2_HMAC(
             secret, (int)password_length, lanes, (int)lanes_size, 1, EVP_sha256(), (int)output_length, output)
           == 1;
done:
  if (lanes != NULL) {
    OPENSSL_cleanse(lanes, (size_t)lanes_size);
    free(lanes);
  }
  free(work);
  free(handles);
  return status;
}
