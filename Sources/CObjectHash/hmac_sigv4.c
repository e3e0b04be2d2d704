// HMAC-SHA256 for AWS Signature Version 4, through OpenSSL's one-shot HMAC.
#include "cairn_s3_digests.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

int cairn_sigv4_hmac_sha256(const void *key, size_t key_length, const void *data, size_t data_length,
                            uint8_t *mac) {
  static const unsigned char empty = 0;
  unsigned int written = 0;
  if (key_length > 0x7fffffff) return 0;
  if (HMAC(EVP_sha256(), key_length ? key : &empty, (int)key_length, data_length ? data : &empty, data_length,
           mac, &written) == NULL)
    return 0;
  return written == 32;
}
