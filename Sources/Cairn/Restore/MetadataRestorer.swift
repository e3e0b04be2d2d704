import SystemPackage

/// Applying the metadata fields on restore: extended attributes, sparse
/// content, owner names.
enum MetadataRestorer {
  /// Sets every extended attribute of `entry` on `target`. A refused one is
  /// counted in `refusals`; the others are still set. A damaged field is
  /// returned as a problem.
  static func restoreAttributes(
    _ entry: ManifestEntry, on target: AttributeTarget, refusals: AttributeRefusals, files: FileSystem
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
        try files.setAttribute(target, name: attribute.name, value: attribute.value)
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
