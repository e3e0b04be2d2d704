import Foundation
import SystemPackage

extension Backup {
  /// Chooses full or differential for `request` given the existing snapshots,
  /// and the base for a differential: the newest full of the same sources and host.
  public static func plan(_ request: BackupRequest, sources: [String], snapshots: [SnapshotRecord])
    -> (kind: SnapshotKind, base: SnapshotRecord?, note: String?)
  {
    let base = snapshots.last { $0.kind == .full && $0.sources == sources && $0.host == request.host }
    switch request.kind {
    case .full:
      return (.full, nil, nil)
    case .differential:
      guard let base else { return (.full, nil, "no full snapshot of these sources exists yet, so this one is full") }
      return (.differential, base, nil)
    case .automatic(let fullEvery):
      guard let base else { return (.full, nil, nil) }
      if base.isDatedAhead(of: request.now) {
        // Its age is unknown: a full now starts a chain dated by this clock.
        return (.full, nil, "the newest full '\(base.id)' is dated ahead of this clock, so this one is full")
      }
      let age = request.now.timeIntervalSince(base.date)
      if age >= fullEvery * 86400 { return (.full, nil, nil) }
      return (.differential, base, nil)
    }
  }

  /// Resolves sources to absolute canonical paths in manifest order, refusing
  /// missing ones and sources that lie inside one another.
  public static func resolveSources(_ sources: [EntryPath]) throws(CairnError) -> [EntryPath] {
    guard !sources.isEmpty else { throw CairnError(.invalidArgument, "no source given; name at least one directory") }
    var resolved: [EntryPath] = []
    for source in sources {
      do {
        resolved.append(EntryPath(bytes: try SystemCalls.canonicalPath(source.bytes)))
      } catch {
        if error == .noSuchFileOrDirectory {
          throw CairnError(.notFound, "source '\(source)' does not exist")
        }
        throw .system("realpath", error, "source '\(source)' cannot be resolved")
      }
    }
    resolved = Array(Set(resolved)).sorted()
    for (earlier, later) in zip(resolved, resolved.dropFirst()) where later.isWithin(earlier) {
      throw CairnError(.invalidArgument, "source '\(later)' lies inside source '\(earlier)'; give only the outer one")
    }
    return resolved
  }

  /// Why the manifest of `record` cannot serve as a base (a part missing,
  /// unreadable or not matching its address), or nil when every part reads.
  /// Parts are read a few at a time (this check is on every differential's
  /// path before its walk is compared), and the first damaged one in
  /// manifest order is named.
  static func manifestDamage(of record: SnapshotRecord, in repository: Repository) async -> String? {
    let parts: [ObjectID]
    do {
      parts = try record.manifestObjects()
    } catch {
      return "\(error)"
    }
    // At most four parts (4 MiB each) in memory at once.
    let width = min(4, max(2, repository.storage.parallelReads))
    let store = repository.store
    return await withTaskGroup(of: (Int, String?).self) { group in
      var damage: (index: Int, message: String)?
      var next = 0
      func start() {
        let (index, part) = (next, parts[next])
        next += 1
        group.addTask {
          do {
            _ = try await store.get(part)
            return (index, nil)
          } catch {
            return (index, "\(error)")
          }
        }
      }
      while next < min(width, parts.count) { start() }
      while let (index, message) = await group.next() {
        if let message, index < damage?.index ?? .max { damage = (index, message) }
        // After a damaged part, later ones no longer matter.
        if next < parts.count, damage == nil { start() }
      }
      return damage?.message
    }
  }
}
