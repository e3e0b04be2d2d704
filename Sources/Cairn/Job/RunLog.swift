public import Foundation
public import Logging
import Synchronization

/// Where the lines of a run's log go.
public protocol RunLogSink: Sendable {
  /// Appends one line (without its newline); never fails the run.
  func append(_ line: String)
}

/// An append-only log file (`backup.log`): one line per event, written with a
/// single `write(2)` on a descriptor opened with O_APPEND, so lines from
/// concurrent runs never interleave and nothing is ever truncated.
public final class RunLogFile: RunLogSink {
  public let path: String
  private let files: FileSystem
  private let descriptor: Descriptor

  public convenience init(path: String) throws(CairnError) {
    try self.init(path: path, files: .linux)
  }

  init(path: String, files: FileSystem) throws(CairnError) {
    self.path = path
    self.files = files
    do {
      descriptor = try files.open(path, flags: [.writeOnly, .create, .append], mode: 0o640)
    } catch {
      throw .system("open", error, "could not open log file '\(path)'")
    }
  }

  /// Appends one line (a newline is added); failures are ignored: logging
  /// must never be the reason a backup fails.
  public func append(_ line: String) {
    var bytes = Array(line.utf8)
    bytes.removeAll { $0 == 0x0A || $0 == 0x0D }
    bytes.append(0x0A)
    try? files.write(descriptor, bytes)
  }
}

/// A swift-log handler writing strict logfmt lines to a `RunLogFile`:
/// `time=… level=info msg="…" run=… key=value…`, the other keys sorted.
/// The time is ISO 8601 UTC with milliseconds; the message is always quoted;
/// other values are quoted when they hold spaces, quotes, `=`, `\` or
/// control characters.
public struct RunLogHandler: LogHandler {
  private let file: any RunLogSink
  private let clock: @Sendable () -> Date
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level = .info

  public init(file: any RunLogSink, clock: @escaping @Sendable () -> Date = { Date() }) {
    self.file = file
    self.clock = clock
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var merged = metadata
    if let extra = event.metadata { merged.merge(extra) { _, new in new } }
    var line =
      "time=\(Timestamps.format(clock())) level=\(event.level.rawValue) msg=\(Self.quoted("\(event.message)", always: true))"
    if let run = merged.removeValue(forKey: "run") { line += " run=\(Self.quoted("\(run)"))" }
    for key in merged.keys.sorted() {
      line += " \(key)=\(Self.quoted("\(merged[key]!)"))"
    }
    file.append(line)
  }

  /// Values with spaces, quotes or control characters are quoted and escaped.
  static func quoted(_ value: String, always: Bool = false) -> String {
    let needsQuotes =
      always || value.isEmpty
      || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.isNewline || $0 == "\t" }
    guard needsQuotes else { return value }
    var result = "\""
    for character in value {
      switch character {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      default: result.append(character)
      }
    }
    return result + "\""
  }
}

/// The log kept inside a repository. In a local repository without
/// encryption it is `backup.log`, plain lines anyone can read. In an
/// encrypted one every line is sealed in the envelope (binding `log`) and
/// written as `sealed:<base64>`, so the log says nothing without the
/// password (`cairn log` prints it). On a remote storage lines are kept
/// until `flush()` and stored through the storage's log. Lines that arrive
/// before the repository is opened (the password is not known yet) wait.
public final class RepositoryLog: RunLogSink {
  public static let sealedPrefix = "sealed:"

  private struct State {
    var file: RunLogFile?
    var repository: Repository?
    var waiting: [String] = []
    var attached = false
  }
  private let state: Mutex<State>

  /// A log for the repository at `location`: a local folder's `backup.log`
  /// when that folder is a repository, else lines wait for `attach`.
  public init(localRepository path: String?) {
    var state = State()
    if let path, FileManager.default.fileExists(atPath: "\(path)/config") {
      state.file = try? RunLogFile(path: "\(path)/\(LocalStorage.logName)")
    }
    self.state = Mutex(state)
  }

  /// From now on, lines are written for `repository` (sealed when it is
  /// encrypted); lines that waited are written first.
  public func attach(_ repository: Repository) {
    let waiting: [String] = state.withLock { state in
      state.repository = repository
      state.attached = true
      defer { state.waiting.removeAll() }
      return state.waiting
    }
    for line in waiting { append(line) }
  }

  public func append(_ line: String) {
    state.withLock { state in
      guard state.attached, let repository = state.repository else {
        // Not opened yet: a plain local repository may be written at once.
        if let file = state.file, Self.isPlain(file) { file.append(line) } else { state.waiting.append(line) }
        return
      }
      if let file = state.file {
        file.append(repository.codec.isEncrypted ? repository.sealLogLine(line) : line)
      } else {
        state.waiting.append(repository.codec.isEncrypted ? repository.sealLogLine(line) : line)
      }
    }
  }

  /// Stores the lines that wait for a remote storage.
  public func flush() async {
    let (repository, lines): (Repository?, [String]) = state.withLock { state in
      guard state.attached, state.file == nil else { return (Repository?.none, [String]()) }
      defer { state.waiting.removeAll() }
      return (state.repository, state.waiting)
    }
    guard let repository else { return }
    for line in lines { await repository.appendLog(line) }
  }

  /// Whether `file` belongs to a repository whose config says it is not encrypted.
  private static func isPlain(_ file: RunLogFile) -> Bool {
    let configPath = (file.path as NSString).deletingLastPathComponent + "/config"
    guard let data = FileManager.default.contents(atPath: configPath),
      let config = try? JSONDecoder().decode(RepositoryConfig.self, from: data)
    else { return false }
    return config.encryption == "none"
  }
}
