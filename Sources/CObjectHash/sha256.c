// SHA-256 through OpenSSL's EVP interface. OpenSSL's headers stay private to
// this file so that Swift only ever sees CObjectHash.h.
#include "CObjectHash.h"

#include <openssl/evp.h>

struct cairn_sha256_ctx {
  EVP_MD_CTX *md;
};

cairn_sha256_ctx *cairn_sha256_new(void) {
  cairn_sha256_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));
  if (ctx == NULL) return NULL;
  ctx->md = EVP_MD_CTX_new();
  if (ctx->md == NULL || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
    cairn_sha256_free(ctx);
    return NULL;
  }
  return ctx;
}

int cairn_sha256_update(cairn_sha256_ctx *ctx, const void *data, size_t length) {
  if (length == 0) return 1;
  return EVP_DigestUpdate(ctx->md, data, length) == 1;
}

int cairn_sha256_finish(cairn_sha256_ctx *ctx, uint8_t *digest) {
  unsigned int written = 0;
  if (EVP_DigestFinal_ex(ctx->md, digest, &written) != 1) return 0;
  if (written != CAIRN_SHA256_DIGEST_LENGTH) return 0;
  return EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) == 1;
}

void cairn_sha256_free(cairn_sha256_ctx *ctx) {
  if (ctx == NULL) return;
  EVP_MD_CTX_free(ctx->md);
  OPENSSL_free(ctx);
}

int cairn_sha256_oneshot(const void *data, size_t length, uint8_t *digest) {
  unsigned int written = 0;
  if (EVP_Digest(data, length, digest, &written, EVP_sha256(), NULL) != 1) return 0;
  return written == CAIRN_SHA256_DIGEST_LENGTH;
}
