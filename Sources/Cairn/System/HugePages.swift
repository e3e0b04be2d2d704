internal import CFileShims

/// Asks the kernel to back a large buffer with transparent huge pages
/// (2 MiB) before it is first written. Blocks, bundles and sealed objects
/// are above the allocator's mmap threshold (`AllocatorTuning`), so each
/// arrives as fresh pages, faulted in and zeroed one 4 KiB page at a time:
/// a first backup of the benchmark corpus to S3 took 630–680k page faults.
/// With glibc's own tunable for this (`glibc.malloc.hugetlb=1`, which only
/// the environment can set) the faults fell to 225–250k, system time by
/// 0.5 s and the backup's time by 0.6–0.8 s, at the same peak RSS.
///
/// Only an advice: where transparent huge pages are off, or the buffer
/// holds no aligned 2 MiB (which `cairn_advise_huge_pages` decides, with no
/// system call), nothing changes.
package enum HugePages {
  package static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress else { return }
    _ = cairn_advise_huge_pages(base, UInt(buffer.count))
  }

  package static func advise(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
    advise(UnsafeMutableRawBufferPointer(buffer))
  }

  /// Advises the storage of `array`, whose capacity was just reserved and
  /// is not yet written.
  package static func advise(reservedStorageOf array: inout [UInt8]) {
    let capacity = array.capacity
    array.withUnsafeMutableBufferPointer { elements in
      guard let base = elements.baseAddress else { return }
      _ = cairn_advise_huge_pages(base, UInt(capacity))
    }
  }
}
