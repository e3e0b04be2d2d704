public import Foundation

/// One thing `check` found wrong.
public struct CheckProblem: Codable, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Codable, Sendable {
    case damagedRecord = "damaged-record"
    case missingBase = "missing-base"
    case damagedManifest = "damaged-manifest"
    case missingObject = "missing-object"
    case corruptedObject = "corrupted-object"
    case sizeMismatch = "size-mismatch"
  }

  public var kind: Kind
  /// The object at fault, when there is one.
  public var object: String?
  /// The snapshots this breaks (differentials built on a broken full included).
  public var snapshots: [String]
  /// Some of the paths it breaks (at most `CheckReport.pathsPerProblem`).
  public var paths: [String]
  public var message: String
  /// Where `--repair` moved the object (`quarantine/<name>`), when it did.
  public var quarantined: String?

  public init(
    kind: Kind, object: String?, snapshots: [String], paths: [String], message: String, quarantined: String? = nil
  ) {
    self.kind = kind
    self.object = object
    self.snapshots = snapshots
    self.paths = paths
    self.message = message
    self.quarantined = quarantined
  }

  public var description: String {
    var text = message
    if !snapshots.isEmpty { text += "; breaks snapshot(s) \(snapshots.joined(separator: ", "))" }
    if !paths.isEmpty { text += "; path(s) \(paths.map { "'\($0)'" }.joined(separator: ", "))" }
    if let quarantined { text += "; moved to \(quarantined)" }
    return text
  }
}

/// What `check --read-data --repair` did with the objects at fault.
public struct CheckRepair: Codable, Sendable, Equatable {
  /// One damaged object moved out of `objects/`.
  public struct Quarantined: Codable, Sendable, Equatable {
    public var object: String
    /// The file it is now, relative to the repository (`quarantine/<name>`).
    public var file: String
  }

  /// Where quarantined objects are kept (the storage's location and folder).
  public var quarantine: String
  /// Damaged objects moved to the quarantine, bytes unchanged.
  public var quarantined: [Quarantined] = []
  /// Missing objects: nothing to move.
  public var missing: [String] = []
  /// Objects that opened and verified when read again: left in place.
  public var readableAgain: [String] = []
  /// Objects that could not be moved, with the reason.
  public var failed: [String] = []
}

/// What `check` looked at and found.
public struct CheckReport: Encodable, Sendable {
  static let pathsPerProblem = 5

  public var snapshots = 0
  public var objectsChecked = 0
  public var bytesRead: UInt64 = 0
  public var readData = false
  public var problems: [CheckProblem] = []
  /// What `--repair` did; nil when it was not asked for.
  public var repair: CheckRepair?
  /// Not damage, but worth knowing: files stored marked inconsistent,
  /// snapshots dated ahead of the clock.
  public var warnings: [String] = []
  public var ok: Bool { problems.isEmpty }

  enum CodingKeys: String, CodingKey {
    case snapshots, objectsChecked, bytesRead, readData, problems, warnings, ok, repair
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(snapshots, forKey: .snapshots)
    try container.encode(objectsChecked, forKey: .objectsChecked)
    try container.encode(bytesRead, forKey: .bytesRead)
    try container.encode(readData, forKey: .readData)
    try container.encode(problems, forKey: .problems)
    try container.encode(warnings, forKey: .warnings)
    try container.encode(ok, forKey: .ok)
    try container.encodeIfPresent(repair, forKey: .repair)
  }
}

/// Verifies that every snapshot can be restored: records parse, bases exist,
/// manifests decode, every referenced object exists with the size its file
/// needs and, with `readData`, hashes to its name.
///
/// Each distinct object is looked at once (a table of object sizes, like
/// gc's reference table), so time and memory scale with the objects, not with
/// how many snapshots share them.
public struct Checker: Sendable {
  let repository: Repository
  /// Objects and bytes read so far (with readData), for a progress line.
  let progress: BackupProgress?

  public init(repository: Repository, progress: BackupProgress? = nil) {
    self.repository = repository
    self.progress = progress
  }

  /// Checks every snapshot; `now` is the clock records are compared with
  /// (a record dated ahead of it is a warning).
  public func run(readData: Bool, now: Date = Date()) async throws -> CheckReport {
    let (records, damaged) = try await repository.loadSnapshots()
    let check = CheckRun(repository: repository, progress: progress, readData: readData)
    check.checkRecords(records, damaged: damaged, now: now)
    for record in records { await check.checkManifest(of: record) }
    return check.finish()
  }

  /// Moves every damaged object that `report` names (blocks and manifest
  /// parts that failed to open or verify) into the quarantine, and notes the
  /// missing ones. Each is read once more first: one that now opens and
  /// verifies (the failure passed) stays where it is. Needs a report made
  /// with `readData`, under the exclusive lock.
  public func repair(_ report: inout CheckReport) async {
    var repair = CheckRepair(quarantine: repository.store.quarantineLocation)
    var done: [String: String?] = [:]
    for index in report.problems.indices {
      let problem = report.problems[index]
      guard [.corruptedObject, .missingObject, .damagedManifest].contains(problem.kind),
        let name = problem.object, let id = ObjectID(hex: name)
      else { continue }
      if let known = done[name] {
        report.problems[index].quarantined = known
        continue
      }
      var moved: String?
      do {
        _ = try await repository.store.get(id)
        repair.readableAgain.append(name)
      } catch let error as CairnError where error.code == .notFound {
        repair.missing.append(name)
      } catch {
        do {
          let file = try await repository.store.quarantine(id)
          moved = file.relativePath
          repair.quarantined.append(CheckRepair.Quarantined(object: name, file: file.relativePath))
        } catch let error as CairnError where error.code == .notFound {
          repair.missing.append(name)
        } catch {
          repair.failed.append("object '\(name)' could not be moved to the quarantine: \(error)")
        }
      }
      done[name] = moved
      report.problems[index].quarantined = moved
    }
    report.repair = repair
  }
}

/// One run of `Checker`, pass by pass: the records (dates, bases), then each
/// snapshot's manifest and the files in it, each object looked at once
/// (present, or read and verified with `readData`).
private final class CheckRun {
  private enum ObjectState {
    /// Present, with its logical size when it was read.
    case present(UInt64?)
    case missing
    case corrupted(String)
  }

  private let repository: Repository
  private let progress: BackupProgress?
  private var report = CheckReport()
  /// The differentials built on each full: damage to a full breaks them too.
  private var dependents: [String: [String]] = [:]
  private var states: [ObjectID: ObjectState] = [:]
  /// Problems keyed by object, so one bad block shared by many files is one report.
  private var objectProblems: [ObjectID: CheckProblem] = [:]
  private var objectOrder: [ObjectID] = []

  init(repository: Repository, progress: BackupProgress?, readData: Bool) {
    self.repository = repository
    self.progress = progress
    report.readData = readData
  }

  /// The report: the problems found pass by pass, then the objects at fault.
  func finish() -> CheckReport {
    report.problems += objectOrder.compactMap { objectProblems[$0] }
    return report
  }

  /// The records pass: records dated ahead of `now`, damaged records, and
  /// differentials whose base is missing.
  func checkRecords(_ records: [SnapshotRecord], damaged: [Repository.DamagedRecord], now: Date) {
    report.snapshots = records.count
    for record in records where record.isDatedAhead(of: now) {
      report.warnings.append(record.aheadOfClockWarning(now: now))
    }
    for record in damaged {
      report.problems.append(
        CheckProblem(kind: .damagedRecord, object: nil, snapshots: [record.name], paths: [], message: "\(record)"))
    }
    let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    for record in records where record.kind == .differential {
      guard let base = record.base, let baseRecord = byID[base], baseRecord.kind == .full else {
        report.problems.append(
          CheckProblem(
            kind: .missingBase, object: nil, snapshots: [record.id], paths: [],
            message:
              "differential snapshot '\(record.id)' needs full snapshot '\(record.base ?? "(none)")', which is missing")
        )
        continue
      }
      dependents[base, default: []].append(record.id)
    }
  }

  /// The manifest pass for one snapshot: its parts decode, and every file
  /// in it has its objects, of the sizes the entry needs.
  func checkManifest(of record: SnapshotRecord) async {
    let parts: [ObjectID]
    do {
      parts = try record.manifestObjects()
    } catch {
      report.problems.append(
        CheckProblem(kind: .damagedRecord, object: nil, snapshots: [record.id], paths: [], message: "\(error)"))
      return
    }
    var reader = ManifestReader(store: repository.store, parts: parts)
    do {
      while let entry = try await reader.next() {
        guard entry.kind == .file else { continue }
        try await checkFile(entry, in: record)
      }
      for part in parts { _ = await state(of: part) }
    } catch {
      // The part at fault, when one cannot be read: repair moves it like a damaged block.
      var culprit: ObjectID?
      for part in parts {
        if case .present = await state(of: part) { continue }
        culprit = part
        break
      }
      report.problems.append(
        CheckProblem(
          kind: .damagedManifest, object: culprit?.hex, snapshots: affected(by: record), paths: [],
          message: "the manifest of snapshot '\(record.id)' cannot be read: \(error)"))
    }
  }

  /// One file: every block present (and verified with readData), and the
  /// sizes adding up to what the entry says.
  private func checkFile(_ entry: ManifestEntry, in record: SnapshotRecord) async throws {
    if entry.isInconsistent {
      report.warnings.append(
        "snapshot '\(record.id)': '\(entry.path)' is stored marked inconsistent "
          + "(it kept changing while it was read)")
    }
    var total: UInt64 = 0
    var complete = true
    var sizesKnown = true
    for block in entry.blocks {
      switch await state(of: block) {
      case .present(let size?):
        total += size
      case .present(nil):
        sizesKnown = false
      case .missing:
        complete = false
        note(block, kind: .missingObject, message: "object '\(block)' is missing", snapshot: record, path: entry.path)
      case .corrupted(let reason):
        complete = false
        note(block, kind: .corruptedObject, message: reason, snapshot: record, path: entry.path)
      }
    }
    let slice = try entry.bundleSlice()
    guard complete && sizesKnown else { return }
    checkSize(of: entry, slice: slice, total: total, in: record)
  }

  /// The size pass for a file whose objects are all present and read.
  private func checkSize(of entry: ManifestEntry, slice: BundleSlice?, total: UInt64, in record: SnapshotRecord) {
    let expected = (try? entry.contentLength()) ?? entry.size
    if let slice {
      // A small file: its slice must lie inside its bundle.
      guard slice.end > total else { return }
      report.problems.append(
        CheckProblem(
          kind: .sizeMismatch, object: entry.blocks[0].hex, snapshots: affected(by: record),
          paths: [entry.path.description],
          message:
            "bundle '\(entry.blocks[0])' holds \(total) bytes but '\(entry.path)' lies at "
            + "\(slice.offset)..<\(slice.end)"))
    } else if total != expected {
      // Every block but the last is normally a full block: one that is
      // not is the likely truncated or padded object.
      let suspect = entry.blocks.enumerated().first { index, block in
        guard case .present(let size?) = states[block] else { return false }
        let isLast = index == entry.blocks.count - 1
        return isLast ? size > UInt64(record.blockSize) : size != UInt64(record.blockSize)
      }?.element
      let blame = suspect.map { " (object '\($0)' has an unexpected size)" } ?? ""
      report.problems.append(
        CheckProblem(
          kind: .sizeMismatch, object: suspect?.hex, snapshots: affected(by: record),
          paths: [entry.path.description],
          message: "the blocks of '\(entry.path)' hold \(total) bytes but the manifest says \(expected)\(blame)"))
    }
  }

  /// The object pass, one object at a time: looked at once, the answer kept.
  private func state(of id: ObjectID) async -> ObjectState {
    if let known = states[id] { return known }
    let result: ObjectState
    do {
      if report.readData {
        let bytes = try await repository.store.get(id)
        report.bytesRead += UInt64(bytes.count)
        progress?.fileDone(bytes: UInt64(bytes.count))
        result = .present(UInt64(bytes.count))
      } else if try await repository.store.storedSize(of: id) != nil {
        // Present; its logical size is known only by reading it (--read-data).
        result = .present(nil)
      } else {
        result = .missing
      }
    } catch let error as CairnError where error.code == .notFound {
      result = .missing
    } catch {
      result = .corrupted("\(error)")
    }
    report.objectsChecked += 1
    states[id] = result
    return result
  }

  /// The snapshot and the differentials built on it.
  private func affected(by record: SnapshotRecord) -> [String] {
    [record.id] + (dependents[record.id] ?? [])
  }

  /// Records an object at fault once, adding the snapshots and paths it breaks.
  private func note(
    _ id: ObjectID, kind: CheckProblem.Kind, message: String, snapshot: SnapshotRecord, path: EntryPath?
  ) {
    let broken = affected(by: snapshot)
    guard var existing = objectProblems[id] else {
      objectOrder.append(id)
      objectProblems[id] = CheckProblem(
        kind: kind, object: id.hex, snapshots: broken, paths: path.map { [$0.description] } ?? [], message: message)
      return
    }
    for snapshotID in broken where !existing.snapshots.contains(snapshotID) {
      existing.snapshots.append(snapshotID)
    }
    if let path, existing.paths.count < CheckReport.pathsPerProblem, !existing.paths.contains(path.description) {
      existing.paths.append(path.description)
    }
    objectProblems[id] = existing
  }
}
