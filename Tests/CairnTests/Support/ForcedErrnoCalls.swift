import Synchronization
import SystemPackage

@testable import Cairn

/// The real system calls, except that planned ones fail: the n-th call of an
/// operation (counting only calls on files with a given name, when one is
/// named) throws a chosen errno, for `times` calls in a row. After
/// swift-system's `ForceErrno.counted` mocking.
final class ForcedErrnoCalls: FileSystemCalls {
  struct Plan: Sendable {
    let call: SystemCall
    let nth: Int
    let errno: Errno
    let times: Int
    /// Counts only calls on descriptors opened under this last path component.
    let fileName: [UInt8]?
  }

  private struct State {
    var plans: [Plan] = []
    /// Calls counted per plan.
    var counts: [Int] = []
    var forced: [SystemCall: Int] = [:]
    var made: [SystemCall: Int] = [:]
    /// Descriptor → the last component of the name it was opened under.
    var names: [Int32: [UInt8]] = [:]
  }

  private let real = LinuxFileSystemCalls()
  private let state = Mutex(State())

  /// Makes the `nth` call of `call` (1 is the first) and the `times - 1`
  /// after it throw `errno`.
  func fail(_ call: SystemCall, on nth: Int, with errno: Errno, times: Int = 1, onFileNamed fileName: String? = nil) {
    state.withLock { state in
      state.plans.append(
        Plan(call: call, nth: nth, errno: errno, times: times, fileName: fileName.map { Array($0.utf8) }))
      state.counts.append(0)
    }
  }

  /// How many calls of `call` were made to fail so far.
  func forced(_ call: SystemCall) -> Int { state.withLock { $0.forced[call] ?? 0 } }

  /// How many calls of `call` were made so far, failed or not.
  func made(_ call: SystemCall) -> Int { state.withLock { $0.made[call] ?? 0 } }

  private func check(_ call: SystemCall, descriptor: Int32? = nil, name: [UInt8]? = nil) throws(Errno) {
    let failure = state.withLock { state -> Errno? in
      state.made[call, default: 0] += 1
      let subject = name.map(Self.lastComponent) ?? descriptor.flatMap { state.names[$0] }
      for index in state.plans.indices where state.plans[index].call == call {
        let plan = state.plans[index]
        if let wanted = plan.fileName, wanted != subject { continue }
        state.counts[index] += 1
        let count = state.counts[index]
        if count >= plan.nth && count < plan.nth + plan.times {
          state.forced[call, default: 0] += 1
          return plan.errno
        }
      }
      return nil
    }
    if let failure { throw failure }
  }

  private static func lastComponent(_ name: [UInt8]) -> [UInt8] {
    Array(name.split(separator: UInt8(ascii: "/")).last ?? [])
  }

  func open(_ name: [UInt8], relativeTo directory: Int32, flags: Int32, mode: UInt32) throws(Errno) -> Int32 {
    try check(.open, name: name)
    let descriptor = try real.open(name, relativeTo: directory, flags: flags, mode: mode)
    state.withLock { $0.names[descriptor] = Self.lastComponent(name) }
    return descriptor
  }

  func close(_ descriptor: Int32) {
    state.withLock { _ = $0.names.removeValue(forKey: descriptor) }
    real.close(descriptor)
  }

  func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(Errno) -> Int {
    try check(.read, descriptor: descriptor)
    return try real.read(descriptor, into: buffer, at: offset)
  }

  func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
    try check(.write, descriptor: descriptor)
    return try real.write(descriptor, bytes)
  }

  func sync(_ descriptor: Int32) throws(Errno) {
    try check(.sync, descriptor: descriptor)
    try real.sync(descriptor)
  }

  func syncFileSystem(_ descriptor: Int32) throws(Errno) {
    try check(.syncFileSystem, descriptor: descriptor)
    try real.syncFileSystem(descriptor)
  }

  func status(of descriptor: Int32) throws(Errno) -> FileStatus {
    try check(.status, descriptor: descriptor)
    return try real.status(of: descriptor)
  }

  func linkStatus(_ name: [UInt8], relativeTo directory: Int32) throws(Errno) -> FileStatus {
    try check(.linkStatus, name: name)
    return try real.linkStatus(name, relativeTo: directory)
  }

  func rename(
    _ old: [UInt8], relativeTo oldDirectory: Int32, to new: [UInt8], relativeTo newDirectory: Int32, replacing: Bool
  ) throws(Errno) {
    try check(.rename, name: new)
    try real.rename(old, relativeTo: oldDirectory, to: new, relativeTo: newDirectory, replacing: replacing)
  }

  func remove(_ name: [UInt8], relativeTo directory: Int32, isDirectory: Bool) throws(Errno) {
    try check(.remove, name: name)
    try real.remove(name, relativeTo: directory, isDirectory: isDirectory)
  }

  func makeDirectory(_ name: [UInt8], relativeTo directory: Int32, mode: UInt32) throws(Errno) {
    try check(.makeDirectory, name: name)
    try real.makeDirectory(name, relativeTo: directory, mode: mode)
  }

  func directoryNames(_ descriptor: Int32) throws(Errno) -> [[UInt8]] {
    try check(.directoryNames, descriptor: descriptor)
    return try real.directoryNames(descriptor)
  }

  func readSymlink(_ name: [UInt8], relativeTo directory: Int32, into buffer: UnsafeMutableRawBufferPointer)
    throws(Errno) -> Int
  {
    try check(.readSymlink, name: name)
    return try real.readSymlink(name, relativeTo: directory, into: buffer)
  }

  func lock(_ descriptor: Int32, exclusive: Bool?) throws(Errno) {
    try check(.lock, descriptor: descriptor)
    try real.lock(descriptor, exclusive: exclusive)
  }

  func openUnnamed(in directory: Int32, mode: UInt32) throws(Errno) -> Int32 {
    try check(.openUnnamed)
    return try real.openUnnamed(in: directory, mode: mode)
  }

  func linkUnnamed(_ descriptor: Int32, as name: [UInt8], in directory: Int32) throws(Errno) {
    try check(.linkUnnamed, name: name)
    try real.linkUnnamed(descriptor, as: name, in: directory)
    state.withLock { $0.names[descriptor] = Self.lastComponent(name) }
  }

  func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(Errno) -> Int {
    try check(.write, descriptor: descriptor)
    return try real.write(descriptor, bytes, at: offset)
  }

  func truncate(_ descriptor: Int32, to size: UInt64) throws(Errno) {
    try check(.truncate, descriptor: descriptor)
    try real.truncate(descriptor, to: size)
  }

  func changeOwner(_ descriptor: Int32, uid: UInt32, gid: UInt32) throws(Errno) {
    try check(.changeOwner, descriptor: descriptor)
    try real.changeOwner(descriptor, uid: uid, gid: gid)
  }

  func changeMode(_ descriptor: Int32, to mode: UInt32) throws(Errno) {
    try check(.changeMode, descriptor: descriptor)
    try real.changeMode(descriptor, to: mode)
  }

  func setTimes(_ descriptor: Int32, modification: Timestamp) throws(Errno) {
    try check(.setTimes, descriptor: descriptor)
    try real.setTimes(descriptor, modification: modification)
  }

  func makeSymlink(_ name: [UInt8], relativeTo directory: Int32, target: [UInt8]) throws(Errno) {
    try check(.makeSymlink, name: name)
    try real.makeSymlink(name, relativeTo: directory, target: target)
  }

  func makeNode(_ name: [UInt8], relativeTo directory: Int32, kind: EntryKind, mode: UInt32, device: UInt64)
    throws(Errno)
  {
    try check(.makeNode, name: name)
    try real.makeNode(name, relativeTo: directory, kind: kind, mode: mode, device: device)
  }

  func makeHardLink(
    _ existing: [UInt8], relativeTo existingDirectory: Int32, as name: [UInt8], relativeTo directory: Int32
  ) throws(Errno) {
    try check(.makeHardLink, name: name)
    try real.makeHardLink(existing, relativeTo: existingDirectory, as: name, relativeTo: directory)
  }

  func changeOwner(_ name: [UInt8], relativeTo directory: Int32, uid: UInt32, gid: UInt32) throws(Errno) {
    try check(.changeOwner, name: name)
    try real.changeOwner(name, relativeTo: directory, uid: uid, gid: gid)
  }

  func changeMode(_ name: [UInt8], relativeTo directory: Int32, to mode: UInt32) throws(Errno) {
    try check(.changeMode, name: name)
    try real.changeMode(name, relativeTo: directory, to: mode)
  }

  func setTimes(_ name: [UInt8], relativeTo directory: Int32, modification: Timestamp) throws(Errno) {
    try check(.setTimes, name: name)
    try real.setTimes(name, relativeTo: directory, modification: modification)
  }

  private func check(_ call: SystemCall, _ target: AttributeTarget) throws(Errno) {
    switch target {
    case .descriptor(let descriptor): try check(call, descriptor: descriptor)
    case .path(let path): try check(call, name: path)
    }
  }

  func listAttributes(_ target: AttributeTarget, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
    try check(.listAttributes, target)
    return try real.listAttributes(target, into: buffer)
  }

  func attribute(_ target: AttributeTarget, name: [UInt8], into buffer: UnsafeMutableRawBufferPointer)
    throws(Errno) -> Int
  {
    try check(.attribute, target)
    return try real.attribute(target, name: name, into: buffer)
  }

  func setAttribute(_ target: AttributeTarget, name: [UInt8], value: UnsafeRawBufferPointer) throws(Errno) {
    try check(.setAttribute, target)
    try real.setAttribute(target, name: name, value: value)
  }

  func seek(_ descriptor: Int32, from offset: UInt64, toHole hole: Bool) throws(Errno) -> UInt64 {
    try check(.seek, descriptor: descriptor)
    return try real.seek(descriptor, from: offset, toHole: hole)
  }
}
