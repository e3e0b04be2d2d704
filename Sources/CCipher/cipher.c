// AES-256-GCM, scrypt and random bytes through OpenSSL's libcrypto. OpenSSL's
// headers stay private to this file so that Swift only ever sees CCipher.h.
#include "CCipher.h"

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

// EVP takes int lengths; bigger buffers go through in slices.
static const size_t cairn_slice = (size_t)1 << 30;

static int cairn_gcm_start(
  EVP_CIPHER_CTX *ctx, int encrypt, const uint8_t *key, const uint8_t *nonce, const void *aad,
  size_t aad_length) {
  if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) != 1) return 0;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CAIRN_AES256GCM_NONCE_LENGTH, NULL) != 1) return 0;
  if (EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, encrypt) != 1) return 0;
  const unsigned char *bytes = aad;
  while (aad_length > 0) {
    size_t piece = aad_length < cairn_slice ? aad_length : cairn_slice;
    int ignored = 0;
    if (EVP_CipherUpdate(ctx, NULL, &ignored, bytes, (int)piece) != 1) return 0;
    bytes += piece;
    aad_length -= piece;
  }
  return 1;
}

static int cairn_gcm_body(EVP_CIPHER_CTX *ctx, const void *input, size_t length, void *output) {
  const unsigned char *in = input;
  unsigned char *out = output;
  while (length > 0) {
    size_t piece = length < cairn_slice ? length : cairn_slice;
    int written = 0;
    if (EVP_CipherUpdate(ctx, out, &written, in, (int)piece) != 1) return 0;
    if ((size_t)written != piece) return 0;
    in += piece;
    out += piece;
    length -= piece;
  }
  return 1;
}

int cairn_aes256gcm_seal(
  const uint8_t *key, const uint8_t *nonce, const void *aad, size_t aad_length,
  const void *plaintext, size_t length, void *ciphertext, uint8_t *tag) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return 0;
  int status = 0;
  unsigned char final_block[16];
  int written = 0;
  if (!cairn_gcm_start(ctx, 1, key, nonce, aad, aad_length)) goto done;
  if (!cairn_gcm_body(ctx, plaintext, length, ciphertext)) goto done;
  if (EVP_EncryptFinal_ex(ctx, final_block, &written) != 1 || written != 0) goto done;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CAIRN_AES256GCM_TAG_LENGTH, tag) != 1) goto done;
  status = 1;
done:
  EVP_CIPHER_CTX_free(ctx);
  return status;
}

int cairn_aes256gcm_open(
  const uint8_t *key, const uint8_t *nonce, const void *aad, size_t aad_length,
  const void *ciphertext, size_t length, const uint8_t *tag, void *plaintext) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return -1;
  int status = -1;
  unsigned char final_block[16];
  int written = 0;
  uint8_t expected[CAIRN_AES256GCM_TAG_LENGTH];
  for (int i = 0; i < CAIRN_AES256GCM_TAG_LENGTH; i++) expected[i] = tag[i];
  if (!cairn_gcm_start(ctx, 0, key, nonce, aad, aad_length)) goto done;
  if (!cairn_gcm_body(ctx, ciphertext, length, plaintext)) goto done;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CAIRN_AES256GCM_TAG_LENGTH, expected) != 1) goto done;
  // For GCM, the final call is where the tag is compared (in constant time).
  status = EVP_DecryptFinal_ex(ctx, final_block, &written) == 1 ? 1 : 0;
done:
  EVP_CIPHER_CTX_free(ctx);
  return status;
}

int cairn_scrypt(
  const void *password, size_t password_length, const void *salt, size_t salt_length,
  uint64_t n, uint64_t r, uint64_t p, uint64_t max_memory, uint8_t *output, size_t output_length) {
  static const char empty = 0;
  return EVP_PBE_scrypt(
           password_length == 0 ? &empty : password, password_length,
           salt_length == 0 ? (const unsigned char *)&empty : salt, salt_length, n, r, p,
           max_memory, output, output_length)
         == 1;
}

int cairn_random_bytes(void *buffer, size_t length) {
  unsigned char *bytes = buffer;
  while (length > 0) {
    size_t piece = length < (size_t)INT_MAX ? length : (size_t)INT_MAX;
    if (RAND_bytes(bytes, (int)piece) != 1) return 0;
    bytes += piece;
    length -= piece;
  }
  return 1;
}
