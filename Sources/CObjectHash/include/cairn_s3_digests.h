#ifndef CAIRN_S3_DIGESTS_H
#define CAIRN_S3_DIGESTS_H

#include <stddef.h>
#include <stdint.h>

/// HMAC-SHA256 of `data` under `key`, for AWS Signature Version 4. Writes 32
/// bytes to `mac`. Returns 1 on success, 0 on failure.
int cairn_sigv4_hmac_sha256(const void *key, size_t key_length, const void *data, size_t data_length,
                            uint8_t *mac);

/// MD5 of `data` (S3's Content-MD5 header, required by DeleteObjects). Writes
/// 16 bytes to `digest`. Returns 1 on success, 0 on failure.
int cairn_s3_content_md5(const void *data, size_t length, uint8_t *digest);

#endif
