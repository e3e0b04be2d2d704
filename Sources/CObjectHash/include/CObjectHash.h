#ifndef COBJECTHASH_H
#define COBJECTHASH_H

#include <stddef.h>
#include <stdint.h>

#include "cairn_s3_digests.h"

/// The size of a SHA-256 digest in bytes.
#define CAIRN_SHA256_DIGEST_LENGTH 32

/// An opaque streaming SHA-256 context (an OpenSSL EVP_MD_CTX underneath).
typedef struct cairn_sha256_ctx cairn_sha256_ctx;

/// Allocates and initialises a context. Returns NULL when OpenSSL fails.
cairn_sha256_ctx *cairn_sha256_new(void);

/// Feeds `length` bytes. Returns 1 on success, 0 on failure.
int cairn_sha256_update(cairn_sha256_ctx *ctx, const void *data, size_t length);

/// Writes the 32-byte digest to `digest` and resets the context for reuse.
/// Returns 1 on success, 0 on failure.
int cairn_sha256_finish(cairn_sha256_ctx *ctx, uint8_t *digest);

/// Frees a context; NULL is allowed.
void cairn_sha256_free(cairn_sha256_ctx *ctx);

/// Hashes one buffer in a single call. Returns 1 on success, 0 on failure.
int cairn_sha256_oneshot(const void *data, size_t length, uint8_t *digest);

/// The size of an HMAC-SHA256 tag in bytes.
#define CAIRN_HMAC_SHA256_LENGTH 32

/// The size of an MD5 digest in bytes.
#define CAIRN_MD5_DIGEST_LENGTH 16

/// An opaque HMAC-SHA256 context bound to one key (an OpenSSL EVP_MAC_CTX
/// underneath), reusable message after message.
typedef struct cairn_hmac_sha256_ctx cairn_hmac_sha256_ctx;

/// Allocates a context for `key`. Returns NULL when OpenSSL fails.
cairn_hmac_sha256_ctx *cairn_hmac_sha256_new(const void *key, size_t key_length);

/// Computes the tag of one message under the context's key. The context is
/// ready for the next message afterwards. Returns 1 on success, 0 on failure.
int cairn_hmac_sha256_mac(cairn_hmac_sha256_ctx *ctx, const void *data, size_t length, uint8_t *tag);

/// Frees a context; NULL is allowed.
void cairn_hmac_sha256_free(cairn_hmac_sha256_ctx *ctx);

/// HMAC-SHA256 of one buffer in a single call. Returns 1 on success, 0 on failure.
int cairn_hmac_sha256_oneshot(
  const void *key, size_t key_length, const void *data, size_t length, uint8_t *tag);

/// MD5 of one buffer (for S3's Content-MD5 header, never for integrity).
/// Returns 1 on success, 0 on failure.
int cairn_md5_oneshot(const void *data, size_t length, uint8_t *digest);

#endif
