// HMAC-SHA256 through OpenSSL 3's EVP_MAC interface, and a one-shot MD5.
// OpenSSL's headers stay private to this file.
#include "CObjectHash.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

struct cairn_hmac_sha256_ctx {
  EVP_MAC_CTX *mac;
};

static int cairn_hmac_init(EVP_MAC_CTX *mac, const void *key, size_t key_length) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
    OSSL_PARAM_construct_end(),
  };
  // OpenSSL refuses a NULL key pointer even with length 0; an empty key is valid HMAC.
  static const unsigned char empty = 0;
  return EVP_MAC_init(mac, key_length == 0 ? &empty : key, key_length, params) == 1;
}

cairn_hmac_sha256_ctx *cairn_hmac_sha256_new(const void *key, size_t key_length) {
  cairn_hmac_sha256_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));
  if (ctx == NULL) return NULL;
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (hmac == NULL) {
    OPENSSL_free(ctx);
    return NULL;
  }
  ctx->mac = EVP_MAC_CTX_new(hmac);
  EVP_MAC_free(hmac);  // the context holds its own reference
  if (ctx->mac == NULL || !cairn_hmac_init(ctx->mac, key, key_length)) {
    cairn_hmac_sha256_free(ctx);
    return NULL;
  }
  return ctx;
}

int cairn_hmac_sha256_mac(cairn_hmac_sha256_ctx *ctx, const void *data, size_t length, uint8_t *tag) {
  size_t written = 0;
  if (length > 0 && EVP_MAC_update(ctx->mac, data, length) != 1) return 0;
  if (EVP_MAC_final(ctx->mac, tag, &written, CAIRN_HMAC_SHA256_LENGTH) != 1) return 0;
  if (written != CAIRN_HMAC_SHA256_LENGTH) return 0;
  // A NULL key restarts HMAC with the key already set.
  return EVP_MAC_init(ctx->mac, NULL, 0, NULL) == 1;
}

void cairn_hmac_sha256_free(cairn_hmac_sha256_ctx *ctx) {
  if (ctx == NULL) return;
  EVP_MAC_CTX_free(ctx->mac);
  OPENSSL_free(ctx);
}

int cairn_hmac_sha256_oneshot(
  const void *key, size_t key_length, const void *data, size_t length, uint8_t *tag) {
  cairn_hmac_sha256_ctx *ctx = cairn_hmac_sha256_new(key, key_length);
  if (ctx == NULL) return 0;
  int status = cairn_hmac_sha256_mac(ctx, data, length, tag);
  cairn_hmac_sha256_free(ctx);
  return status;
}

int cairn_md5_oneshot(const void *data, size_t length, uint8_t *digest) {
  unsigned int written = 0;
  if (EVP_Digest(data, length, digest, &written, EVP_md5(), NULL) != 1) return 0;
  return written == CAIRN_MD5_DIGEST_LENGTH;
}
