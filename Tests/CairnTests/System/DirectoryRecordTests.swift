import Foundation
import Testing

@testable import Cairn

#if canImport(Glibc)
  import Glibc
#endif

/// Directory listings read each `readdir` record where it lies, never past
/// it. A backup crashed (SIGSEGV in `directoryNames`) when it copied whole
/// `dirent`s: 280 bytes, from records as short as 24 bytes at the end of
/// the buffer.
@Suite struct DirectoryRecordTests {
  /// A record that ends where readable memory ends: the page after it is
  /// unmapped (`PROT_NONE`), so reading one byte past the record crashes
  /// this test.
  @Test func aRecordAtTheEndOfItsBufferIsReadWithoutReadingPastIt() throws {
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    guard let pages = mmap(nil, 2 * pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      pages != MAP_FAILED
    else {
      Issue.record("mmap failed: errno \(errno)")
      return
    }
    defer { munmap(pages, 2 * pageSize) }
    #expect(mprotect(pages + pageSize, pageSize, PROT_NONE) == 0)

    let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    let name = Array("ab".utf8)
    let recordLength = (nameOffset + name.count + 1 + 7) / 8 * 8
    #expect(recordLength < MemoryLayout<dirent>.size)
    let record = pages + pageSize - recordLength
    record.initializeMemory(as: UInt8.self, repeating: 0, count: recordLength)
    record.storeBytes(
      of: UInt16(recordLength), toByteOffset: MemoryLayout<dirent>.offset(of: \dirent.d_reclen)!, as: UInt16.self)
    for (index, byte) in name.enumerated() {
      record.storeBytes(of: byte, toByteOffset: nameOffset + index, as: UInt8.self)
    }

    let read = DirectoryRecord.name(of: UnsafePointer(record.assumingMemoryBound(to: dirent.self)))
    #expect(read == name)
  }

  /// Names of every length, from one byte to NAME_MAX, list exactly (the
  /// records of a real directory differ in length with their names).
  @Test func namesOfEveryLengthListExactly() throws {
    let directory = TemporaryDirectory()
    var expected: Set<[UInt8]> = []
    for length in [1, 2, 3, 7, 8, 9, 15, 16, 17, 100, 254, 255] {
      let name = String(repeating: "n", count: length - 1) + "\(length % 10)"
      try Data().write(to: URL(fileURLWithPath: directory.path + "/" + name))
      expected.insert(Array(name.utf8))
    }
    let descriptor = open(directory.path, O_RDONLY | O_DIRECTORY)
    #expect(descriptor >= 0)
    defer { close(descriptor) }
    let names = try LinuxFileSystemCalls().directoryNames(descriptor)
    #expect(Set(names) == expected)
    #expect(names.count == expected.count)
  }
}
