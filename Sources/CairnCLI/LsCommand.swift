import ArgumentParser
import Cairn
import Foundation

struct LsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ls", abstract: "List the entries of a snapshot, or of one path in it.")

  @OptionGroup var repository: RepositoryOptions

  @Argument(help: "The snapshot: an id, a unique id prefix, or 'latest'.")
  var snapshot: String

  @Argument(help: "Only this absolute path and what lies below it.")
  var path: String?

  @Flag(help: "Print a JSON array of entries.")
  var json = false

  func run() async throws {
    let repo = try await repository.open()
    let lock = try await repository.lock(repo, .shared)
    defer { withExtendedLifetime(lock) {} }
    let record = try await repo.resolveSnapshot(snapshot)
    let under = path.map { EntryPath($0.hasPrefix("/") ? $0 : "/" + $0) }
    var entries: [ListedEntry] = []
    var count = 0
    try await repo.forEachEntry(of: record, under: under) { entry in
      count += 1
      if json {
        entries.append(ListedEntry(entry))
      } else {
        print(Self.line(entry))
      }
    }
    if let under, count == 0 { throw CairnError(.notFound, "'\(under)' is not in snapshot '\(record.id)'") }
    if json { print(try Terminal.json(entries)) }
  }

  static func line(_ entry: ManifestEntry) -> String {
    let size = String(entry.size)
    let time = Terminal.localTime(Date(timeIntervalSince1970: TimeInterval(entry.mtime.seconds)))
    var text =
      "\(ListedEntry.modeString(entry))  \(ListedEntry.owner(entry))  "
      + String(repeating: " ", count: max(0, 12 - size.count)) + size + "  \(time)  \(entry.path)"
    if entry.kind == .symlink { text += " -> \(EntryPath(bytes: entry.symlinkTarget))" }
    if entry.isInconsistent { text += "  (inconsistent copy: changed while it was read)" }
    return text
  }
}

/// An entry as `ls --json` prints it.
struct ListedEntry: Encodable {
  let path: String
  let type: String
  let mode: String
  let uid: UInt32
  let gid: UInt32
  /// The owner's user and group names as stored (absent when unknown).
  let user: String?
  let group: String?
  let size: UInt64
  let mtime: String
  let target: String?
  /// True for a file stored while it kept changing; absent otherwise.
  let inconsistent: Bool?

  init(_ entry: ManifestEntry) {
    path = entry.path.description
    type = entry.kind.description
    mode = String(entry.mode, radix: 8)
    uid = entry.uid
    gid = entry.gid
    let names = entry.ownerNames
    user = names.user.map { EntryPath(bytes: $0).description }
    group = names.group.map { EntryPath(bytes: $0).description }
    size = entry.size
    let seconds = TimeInterval(entry.mtime.seconds) + TimeInterval(entry.mtime.nanoseconds) / 1e9
    mtime = Timestamps.format(Date(timeIntervalSince1970: seconds))
    target = entry.kind == .symlink ? EntryPath(bytes: entry.symlinkTarget).description : nil
    inconsistent = entry.isInconsistent ? true : nil
  }

  /// `user/group` as `ls -l` shows them: names when stored, ids otherwise.
  static func owner(_ entry: ManifestEntry) -> String {
    let names = entry.ownerNames
    let user = names.user.map { EntryPath(bytes: $0).description } ?? String(entry.uid)
    let group = names.group.map { EntryPath(bytes: $0).description } ?? String(entry.gid)
    return "\(user)/\(group)"
  }

  /// `ls -l` style: type letter and rwx bits with setuid, setgid and sticky.
  static func modeString(_ entry: ManifestEntry) -> String {
    let type: Character =
      switch entry.kind {
      case .directory: "d"
      case .symlink: "l"
      case .fifo: "p"
      case .socket: "s"
      case .characterDevice: "c"
      case .blockDevice: "b"
      default: "-"
      }
    var characters: [Character] = [type]
    let mode = entry.mode
    for shift in [6, 3, 0] {
      let bits = (mode >> UInt32(shift)) & 7
      characters.append(bits & 4 != 0 ? "r" : "-")
      characters.append(bits & 2 != 0 ? "w" : "-")
      let special: UInt32 = shift == 6 ? 0o4000 : shift == 3 ? 0o2000 : 0o1000
      let execute = bits & 1 != 0
      if mode & special != 0 {
        characters.append(shift == 0 ? (execute ? "t" : "T") : (execute ? "s" : "S"))
      } else {
        characters.append(execute ? "x" : "-")
      }
    }
    return String(characters)
  }
}
