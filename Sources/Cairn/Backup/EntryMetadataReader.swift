import SystemPackage

/// Adds to backed-up entries what `lstat` does not give: the owner's names
/// and the extended attributes (POSIX ACLs included). Used by one task.
final class EntryMetadataReader {
  private var userNames: [UInt32: [UInt8]?] = [:]
  private var groupNames: [UInt32: [UInt8]?] = [:]

  /// Records owner names and the extended attributes read (by
  /// `attributes(of:files:)`, on the pool) in `entry`; returns what could not
  /// be read, for the backup's problems.
  func complete(_ entry: inout ManifestEntry, attributes read: Result<[ExtendedAttribute], CairnError>) -> String? {
    var problem: String?
    var attributes: [ExtendedAttribute] = []
    do {
      attributes = try read.get()
    } catch {
      problem = error.cause.map { "\(error.message) (\($0))" } ?? error.message
    }
    entry.setExtendedAttributes(attributes)
    var names = OwnerNames(user: userName(entry.uid), group: groupName(entry.gid))
    for attribute in attributes where POSIXACL.names.contains(attribute.name) {
      for (isGroup, id) in POSIXACL.namedIDs(in: attribute.value) {
        guard !names.aclNames.contains(where: { $0.isGroup == isGroup && $0.id == id }),
          let name = isGroup ? groupName(id) : userName(id)
        else { continue }
        names.aclNames.append(OwnerNames.ACLName(isGroup: isGroup, id: id, name: name))
      }
    }
    entry.ownerNames = names
    return problem
  }

  private func userName(_ uid: UInt32) -> [UInt8]? {
    if let known = userNames[uid] { return known }
    let name = SystemCalls.userName(of: uid)
    userNames[uid] = name
    return name
  }

  private func groupName(_ gid: UInt32) -> [UInt8]? {
    if let known = groupNames[gid] { return known }
    let name = SystemCalls.groupName(of: gid)
    groupNames[gid] = name
    return name
  }

  /// Every extended attribute this process can list and read. A file system
  /// without them gives none; an attribute removed between the listing and
  /// its read is left out.
  static func attributes(of target: AttributeTarget, files: FileSystem) throws(CairnError) -> [ExtendedAttribute] {
    let names: [[UInt8]]
    do {
      names = try files.attributeNames(target)
    } catch {
      if error == .notSupported || error == .notSupportedOnSocket { return [] }
      throw .system("listxattr", error, "its extended attributes cannot be listed; none stored")
    }
    var attributes: [ExtendedAttribute] = []
    var total = 0
    for name in names {
      do {
        let value = try files.attributeValue(target, name: name)
        total += name.count + value.count + 20
        attributes.append(ExtendedAttribute(name: name, value: value))
      } catch {
        if error == .noData { continue }
        throw .system(
          "getxattr", error,
          "its extended attribute '\(String(decoding: name, as: UTF8.self))' cannot be read; none stored")
      }
    }
    guard total <= ManifestCodec.maximumFieldLength else {
      throw CairnError(
        .unsupported, "its extended attributes exceed \(ManifestCodec.maximumFieldLength) bytes; none stored")
    }
    return attributes
  }
}
