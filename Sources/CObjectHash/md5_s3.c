// MD5 for S3's Content-MD5 header (DeleteObjects requires it). Not used for
// anything that needs collision resistance.
#include "cairn_s3_digests.h"

#include <openssl/evp.h>

int cairn_s3_content_md5(const void *data, size_t length, uint8_t *digest) {
  static const unsigned char empty = 0;
  unsigned int written = 0;
  if (EVP_Digest(length ? data : &empty, length, digest, &written, EVP_md5(), NULL) != 1) return 0;
  return written == 16;
}
