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
  static func apply() {
    _ = cairn_set_mmap_threshold(mmapThreshold)
  }
}
