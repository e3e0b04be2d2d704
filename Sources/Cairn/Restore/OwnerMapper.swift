import SystemPackage

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
