#ifndef CZSTD_H
#define CZSTD_H

#include <stddef.h>
#include <stdint.h>

/// Opaque zstd contexts (ZSTD_CCtx and ZSTD_DCtx underneath). One belongs to
/// one worker at a time; reusing it saves the allocation of its tables.
typedef struct cairn_zstd_cctx cairn_zstd_cctx;
typedef struct cairn_zstd_dctx cairn_zstd_dctx;

/// Results of the calls below, besides success (0).
#define CAIRN_ZSTD_OK 0
/// The library reported an error (a damaged frame, a bad level, no memory).
#define CAIRN_ZSTD_ERROR -1
/// The output would exceed the capacity given.
#define CAIRN_ZSTD_TOO_LARGE -2
/// The frame does not say how large its content is.
#define CAIRN_ZSTD_SIZE_UNKNOWN -3

cairn_zstd_cctx *cairn_zstd_cctx_new(void);
void cairn_zstd_cctx_free(cairn_zstd_cctx *ctx);
cairn_zstd_dctx *cairn_zstd_dctx_new(void);
void cairn_zstd_dctx_free(cairn_zstd_dctx *ctx);

/// The largest frame `length` bytes can compress to.
size_t cairn_zstd_compress_bound(size_t length);

/// The smallest and largest compression levels the library accepts.
int cairn_zstd_min_level(void);
int cairn_zstd_max_level(void);

/// Compresses `length` bytes into one frame in `output` (room for
/// `capacity` bytes) at `level`, recording the content size in the frame
/// header unless `record_size` is 0. Sets `written`. `ctx` may be NULL (a
/// context is then made for this call). Returns CAIRN_ZSTD_OK, _TOO_LARGE
/// when the frame does not fit, or _ERROR.
int cairn_zstd_compress(
  cairn_zstd_cctx *ctx, const void *input, size_t length, int level, int record_size, void *output,
  size_t capacity, size_t *written);

/// Reads the content size a frame's header declares. Returns CAIRN_ZSTD_OK and
/// sets `size`, _SIZE_UNKNOWN when the header does not say, or _ERROR when it
/// is not a zstd frame header.
int cairn_zstd_frame_content_size(const void *frame, size_t length, uint64_t *size);

/// Decompresses every frame in `input` into `output`, never writing more than
/// `capacity` bytes: output that would go past it is refused with
/// CAIRN_ZSTD_TOO_LARGE. Sets `written`. `ctx` may be NULL.
int cairn_zstd_decompress(
  cairn_zstd_dctx *ctx, const void *input, size_t length, void *output, size_t capacity, size_t *written);

#endif
