#ifndef CCIPHER_H
#define CCIPHER_H

#include <stddef.h>
#include <stdint.h>

/// AES-256-GCM sizes: key, nonce (96 bits) and tag (128 bits).
#define CAIRN_AES256GCM_KEY_LENGTH 32
#define CAIRN_AES256GCM_NONCE_LENGTH 12
#define CAIRN_AES256GCM_TAG_LENGTH 16

/// Encrypts `length` bytes from `plaintext` to `ciphertext` (the same length;
/// the two may be the same buffer) and writes the 16-byte tag. `aad` is
/// authenticated but not encrypted. Returns 1 on success, 0 on failure.
int cairn_aes256gcm_seal(
  const uint8_t *key, const uint8_t *nonce, const void *aad, size_t aad_length,
  const void *plaintext, size_t length, void *ciphertext, uint8_t *tag);

/// Decrypts and checks the tag. Returns 1 when the tag is valid, 0 when it is
/// not (the output must then be discarded), -1 when OpenSSL fails otherwise.
/// `plaintext` may be the same buffer as `ciphertext`.
int cairn_aes256gcm_open(
  const uint8_t *key, const uint8_t *nonce, const void *aad, size_t aad_length,
  const void *ciphertext, size_t length, const uint8_t *tag, void *plaintext);

/// scrypt (RFC 7914) of a password and salt into `output_length` bytes, with
/// at most `max_memory` bytes of working memory. Returns 1 on success, 0 on
/// failure (bad parameters, or more memory needed than allowed).
int cairn_scrypt(
  const void *password, size_t password_length, const void *salt, size_t salt_length,
  uint64_t n, uint64_t r, uint64_t p, uint64_t max_memory, uint8_t *output, size_t output_length);

/// The same scrypt, its `p` lanes mixed on `threads` threads at once (this
/// one included). Each thread keeps every `2^keep_shift`-th of a lane's N
/// intermediate values, `128 * r * N / 2^keep_shift` bytes, and recomputes
/// the others when it needs them. With `wide_vectors` 1, the mixing uses
/// AVX-512 where the processor has it; with 0 only the baseline instructions
/// (so that tests check both). Returns 1 on success, 0 on failure (bad
/// parameters, N above 2^32, memory or a thread that could not be had).
int cairn_scrypt_lanes(
  const void *password, size_t password_length, const void *salt, size_t salt_length, uint64_t n,
  uint64_t r, uint64_t p, uint64_t threads, unsigned keep_shift, int wide_vectors, uint8_t *output,
  size_t output_length);

/// Fills `buffer` with bytes from OpenSSL's CSPRNG. Returns 1 on success, 0 on failure.
int cairn_random_bytes(void *buffer, size_t length);

#endif
