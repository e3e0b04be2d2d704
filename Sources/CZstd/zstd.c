// zstd compression over the system libzstd. zstd.h stays private to this file.
#include "CZstd.h"

#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

struct cairn_zstd_cctx {
  ZSTD_CCtx *cctx;
};

struct cairn_zstd_dctx {
  ZSTD_DCtx *dctx;
};

cairn_zstd_cctx *cairn_zstd_cctx_new(void) {
  ZSTD_CCtx *inner = ZSTD_createCCtx();
  if (inner == NULL) return NULL;
  cairn_zstd_cctx *ctx = malloc(sizeof(*ctx));
  if (ctx == NULL) {
    ZSTD_freeCCtx(inner);
    return NULL;
  }
  ctx->cctx = inner;
  return ctx;
}

void cairn_zstd_cctx_free(cairn_zstd_cctx *ctx) {
  if (ctx == NULL) return;
  ZSTD_freeCCtx(ctx->cctx);
  free(ctx);
}

cairn_zstd_dctx *cairn_zstd_dctx_new(void) {
  ZSTD_DCtx *inner = ZSTD_createDCtx();
  if (inner == NULL) return NULL;
  cairn_zstd_dctx *ctx = malloc(sizeof(*ctx));
  if (ctx == NULL) {
    ZSTD_freeDCtx(inner);
    return NULL;
  }
  ctx->dctx = inner;
  return ctx;
}

void cairn_zstd_dctx_free(cairn_zstd_dctx *ctx) {
  if (ctx == NULL) return;
  ZSTD_freeDCtx(ctx->dctx);
  free(ctx);
}

size_t cairn_zstd_compress_bound(size_t length) { return ZSTD_compressBound(length); }

int cairn_zstd_min_level(void) { return ZSTD_minCLevel(); }

int cairn_zstd_max_level(void) { return ZSTD_maxCLevel(); }

static int cairn_zstd_status(size_t result) {
  if (!ZSTD_isError(result)) return CAIRN_ZSTD_OK;
  return ZSTD_getErrorCode(result) == ZSTD_error_dstSize_tooSmall ? CAIRN_ZSTD_TOO_LARGE : CAIRN_ZSTD_ERROR;
}

int cairn_zstd_compress(
  cairn_zstd_cctx *ctx, const void *input, size_t length, int level, int record_size, void *output,
  size_t capacity, size_t *written) {
  *written = 0;
  ZSTD_CCtx *cctx = ctx != NULL ? ctx->cctx : ZSTD_createCCtx();
  if (cctx == NULL) return CAIRN_ZSTD_ERROR;
  // Parameters are sticky on a reused context: set every one each call.
  size_t result = ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  if (!ZSTD_isError(result)) result = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  if (!ZSTD_isError(result)) result = ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, record_size != 0);
  if (!ZSTD_isError(result)) result = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0);
  if (!ZSTD_isError(result)) {
    if (record_size) {
      result = ZSTD_compress2(cctx, output, capacity, input, length);
    } else {
      // Streaming with an unknown size leaves the size out of the header.
      ZSTD_inBuffer in = {input, length, 0};
      ZSTD_outBuffer out = {output, capacity, 0};
      do {
        result = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
        if (!ZSTD_isError(result) && result != 0 && out.pos == out.size) {
          result = (size_t)-ZSTD_error_dstSize_tooSmall;
        }
      } while (!ZSTD_isError(result) && result != 0);
      if (!ZSTD_isError(result)) result = out.pos;
    }
  }
  if (ctx == NULL) ZSTD_freeCCtx(cctx);
  int status = cairn_zstd_status(result);
  if (status == CAIRN_ZSTD_OK) *written = result;
  return status;
}

int cairn_zstd_frame_content_size(const void *frame, size_t length, uint64_t *size) {
  unsigned long long declared = ZSTD_getFrameContentSize(frame, length);
  if (declared == ZSTD_CONTENTSIZE_ERROR) return CAIRN_ZSTD_ERROR;
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN) return CAIRN_ZSTD_SIZE_UNKNOWN;
  *size = declared;
  return CAIRN_ZSTD_OK;
}

int cairn_zstd_decompress(
  cairn_zstd_dctx *ctx, const void *input, size_t length, void *output, size_t capacity, size_t *written) {
  *written = 0;
  ZSTD_DCtx *dctx = ctx != NULL ? ctx->dctx : ZSTD_createDCtx();
  if (dctx == NULL) return CAIRN_ZSTD_ERROR;
  // One-shot decompression uses the output buffer as its window, so a frame
  // cannot make it allocate more than the capacity, whatever it declares.
  size_t result = ZSTD_decompressDCtx(dctx, output, capacity, input, length);
  if (ctx == NULL) ZSTD_freeDCtx(dctx);
  int status = cairn_zstd_status(result);
  if (status == CAIRN_ZSTD_OK) *written = result;
  return status;
}
