internal import CFileShims

/// Process-wide tuning of the C allocator for backup and restore.
enum AllocatorTuning {
  /// Buffers of this size or more get pages of their own (`mmap`), returned
  /// to the system when freed.
  static let mmapThreshold: Int32 = 1 << 20

  /// Fixes glibc's mmap threshold at 1 MiB. By default it rises to the size
  /// of the largest buffer freed so far (up to 32 MiB): once a bundle (4 to
  /// 8 MiB) or its sealed copy is freed, every 1 MiB block buffer is carved
  /// from the per-thread heaps instead, which fragment and never shrink.
  /// Measured on the benchmark corpus: peak RSS of a first backup 100–110 MB
  /// without this, 62–66 MB with it, at the same speed.
  ///
  /// Fixes the trim threshold too, at glibc's default (128 KiB): freeing a
  /// large buffer before this call (the key derivation's 16 MiB, when its
  /// lanes run on threads) would otherwise have raised it to twice that
  /// buffer's size, and every heap would keep up to 32 MiB it no longer
  /// uses. Measured on a first backup to S3: peak RSS 154–171 MB with the
  /// raised threshold, 127–136 MB with this, at the same speed.
  static func apply() {
    _ = cairn_set_mmap_threshold(mmapThreshold)
    _ = cairn_set_trim_threshold(trimThreshold)
  }

  /// Free memory a heap keeps at its top before returning it to the system.
  static let trimThreshold: Int32 = 128 << 10
}
