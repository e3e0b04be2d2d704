import Synchronization
import SystemPackage

/// Extended attributes the target refused, counted per kind (namespace and
/// errno) so that each kind is reported once. Shared by the restorer and the
/// file writes in flight.
final class AttributeRefusals: Sendable {
  private struct Kind: Hashable {
    let namespace: String
    let errno: Errno
  }

  private struct Tally {
    var order: [Kind] = []
    var counts: [Kind: (entries: Int, first: EntryPath)] = [:]
  }

  private let tally = Mutex(Tally())

  /// Counts one entry on which attributes of this kind were refused.
  func note(namespace: String, errno: Errno, path: EntryPath) {
    tally.withLock { tally in
      let kind = Kind(namespace: namespace, errno: errno)
      if let known = tally.counts[kind] {
        tally.counts[kind] = (known.entries + 1, min(known.first, path))
      } else {
        tally.order.append(kind)
        tally.counts[kind] = (1, path)
      }
    }
  }

  /// One message per kind refused, naming the first entry in path order.
  var messages: [String] {
    tally.withLock { tally in
      tally.order.map { kind in
        let (entries, first) = tally.counts[kind]!
        let others = entries > 1 ? " and \(entries - 1) other entr\(entries == 2 ? "y" : "ies")" : ""
        return "extended attributes '\(kind.namespace).*' were not restored on '\(first)'\(others): "
          + "the target refused them (\(kind.errno))"
      }
    }
  }
}

/// Applying the metadata fields on restore: extended attributes, sparse
/// content, owner names.
enum MetadataRestorer {
  /// Sets every extended attribute of `entry` on `target`. A refused one is
  /// counted in `refusals`; the others are still set. A damaged field is
  /// returned as a problem.
  static func restoreAttributes(
    _ entry: ManifestEntry, on target: SystemCalls.AttributeTarget, refusals: AttributeRefusals
  ) -> String? {
    let attributes: [ExtendedAttribute]
    do {
      attributes = try entry.extendedAttributes()
    } catch {
      return "the extended attributes of '\(entry.path)' were not restored: \(error)"
    }
    var refused: [(namespace: String, errno: Errno)] = []
    for attribute in attributes {
      do {
        try SystemCalls.setAttribute(target, name: attribute.name, value: attribute.value)
      } catch {
        if !refused.contains(where: { $0.namespace == attribute.namespace && $0.errno == error }) {
          refused.append((attribute.namespace, error))
        }
      }
    }
    for kind in refused { refusals.note(namespace: kind.namespace, errno: kind.errno, path: entry.path) }
    return nil
  }
}

/// Writes a file's blocks where they belong: one after the other for a dense
/// file; into the data extents of a sparse one, whose holes stay holes (the
/// file is given its size with `ftruncate` at the end, not by writing zeros).
struct ContentPlacement {
  private let extents: [DataExtent]?
  private var extentIndex = 0
  private var withinExtent: UInt64 = 0

  init(extents: [DataExtent]?) {
    self.extents = extents
  }

  /// Writes the next block. Throws `.corrupted` when a sparse file's blocks
  /// hold more than its extents.
  mutating func write(_ bytes: [UInt8], to descriptor: Int32, path: EntryPath, display: String) throws(CairnError) {
    guard let extents else {
      do {
        return try SystemCalls.write(descriptor, bytes)
      } catch {
        throw CairnError.system("write", error, "could not write '\(display)'")
      }
    }
    var done = 0
    while done < bytes.count {
      guard extentIndex < extents.count else {
        throw CairnError(.corrupted, "the blocks of '\(path)' hold more bytes than its data extents")
      }
      let extent = extents[extentIndex]
      let count = Int(min(UInt64(bytes.count - done), extent.length - withinExtent))
      let offset = extent.offset + withinExtent
      let result = bytes.withUnsafeBytes { raw in
        Result { () throws(Errno) in
          try SystemCalls.write(descriptor, UnsafeRawBufferPointer(rebasing: raw[done..<done + count]), at: offset)
        }
      }
      do {
        try result.get()
      } catch {
        throw CairnError.system("pwrite", error, "could not write '\(display)'")
      }
      done += count
      withinExtent += UInt64(count)
      if withinExtent == extent.length {
        extentIndex += 1
        withinExtent = 0
      }
    }
  }

  /// Gives a sparse file its size; trailing holes exist only through this.
  func finish(_ descriptor: Int32, size: UInt64, display: String) throws(CairnError) {
    guard extents != nil else { return }
    do {
      try SystemCalls.truncate(descriptor, to: size)
    } catch {
      throw CairnError.system("ftruncate", error, "could not give '\(display)' its size")
    }
  }
}

/// Maps stored owners to the restoring machine's ids: by name when the name
/// exists here, otherwise (and always with `numericOnly`) by the stored id.
/// Used by one task.
final class OwnerMapper {
  private let numericOnly: Bool
  private var users: [[UInt8]: UInt32?] = [:]
  private var groups: [[UInt8]: UInt32?] = [:]

  init(numericOnly: Bool) {
    self.numericOnly = numericOnly
  }

  func mapped(_ entry: ManifestEntry) -> ManifestEntry {
    guard !numericOnly, entry.kind != .removed else { return entry }
    let names = entry.ownerNames
    var entry = entry
    if let user = names.user, let uid = userID(user) { entry.uid = uid }
    if let group = names.group, let gid = groupID(group) { entry.gid = gid }
    // The users and groups POSIX ACLs name, the same way.
    guard !names.aclNames.isEmpty, var attributes = try? entry.extendedAttributes() else { return entry }
    for index in attributes.indices where POSIXACL.names.contains(attributes[index].name) {
      attributes[index].value = POSIXACL.remapped(attributes[index].value) { isGroup, id in
        guard let name = names.aclNames.first(where: { $0.isGroup == isGroup && $0.id == id })?.name else { return id }
        return (isGroup ? groupID(name) : userID(name)) ?? id
      }
    }
    entry.setExtendedAttributes(attributes)
    return entry
  }

  private func userID(_ name: [UInt8]) -> UInt32? {
    if let known = users[name] { return known }
    let id = SystemCalls.userID(named: name)
    users[name] = id
    return id
  }

  private func groupID(_ name: [UInt8]) -> UInt32? {
    if let known = groups[name] { return known }
    let id = SystemCalls.groupID(named: name)
    groups[name] = id
    return id
  }
}
