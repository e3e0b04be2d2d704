extension Repository {
  /// Finds the snapshot a user means: `latest`, a whole id, a unique prefix
  /// of an id (`20260301T02`), or a unique prefix of an id's random part
  /// (`8492d1`, the part after the '-'). An ambiguous reference is an error
  /// that lists the snapshots it matches.
  public func resolveSnapshot(_ reference: String) async throws -> SnapshotRecord {
    let records = try await snapshots()
    return try Self.resolve(reference, in: records, repositoryPath: path)
  }

  static func resolve(_ reference: String, in records: [SnapshotRecord], repositoryPath: String) throws(CairnError)
    -> SnapshotRecord
  {
    if reference == "latest" {
      guard let newest = records.last else {
        throw CairnError(.notFound, "repository '\(repositoryPath)' has no snapshots yet")
      }
      return newest
    }
    if let exact = records.first(where: { $0.id == reference }) { return exact }
    let matches =
      reference.isEmpty
      ? []
      : records.filter { record in
        record.id.hasPrefix(reference)
          || record.id.split(separator: "-", maxSplits: 1).dropFirst().first?.hasPrefix(reference) == true
      }
    guard let match = matches.first else {
      throw CairnError(
        .notFound, "no snapshot '\(reference)' in repository '\(repositoryPath)'; 'cairn snapshots' lists them")
    }
    guard matches.count == 1 else {
      let shown = matches.suffix(10).map(\.id).joined(separator: ", ")
      throw CairnError(
        .invalidArgument,
        "snapshot '\(reference)' is ambiguous: it matches \(matches.count) snapshots (\(matches.count > 10 ? "newest 10: " : "")\(shown)); give more of the id"
      )
    }
    return match
  }
}
