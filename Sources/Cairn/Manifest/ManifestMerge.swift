/// A stream of manifest entries in strictly increasing path order.
protocol ManifestStream {
  mutating func next() async throws -> ManifestEntry?
}

extension ManifestReader: ManifestStream {}
extension SnapshotTreeReader: ManifestStream {}

/// Two manifest streams merged by path, in one pass: each step is an entry
/// only one side has, or the two entries at one path. The one merge of
/// sorted manifests: snapshot trees (a differential over its base), diff,
/// and through `ManifestCursor` the backup's base and parent.
struct ManifestMerge<Left: ManifestStream, Right: ManifestStream> {
  enum Step {
    case left(ManifestEntry)
    case right(ManifestEntry)
    case both(ManifestEntry, ManifestEntry)
  }

  private var left: Left
  private var right: Right
  private var leftHead: ManifestEntry?
  private var rightHead: ManifestEntry?
  private var started = false

  init(_ left: Left, _ right: Right) {
    self.left = left
    self.right = right
  }

  mutating func next() async throws -> Step? {
    if !started {
      started = true
      leftHead = try await left.next()
      rightHead = try await right.next()
    }
    switch (leftHead, rightHead) {
    case (nil, nil):
      return nil
    case (let entry?, nil):
      leftHead = try await left.next()
      return .left(entry)
    case (nil, let entry?):
      rightHead = try await right.next()
      return .right(entry)
    case (let old?, let new?):
      if old.path < new.path {
        leftHead = try await left.next()
        return .left(old)
      }
      if new.path < old.path {
        rightHead = try await right.next()
        return .right(new)
      }
      leftHead = try await left.next()
      rightHead = try await right.next()
      return .both(old, new)
    }
  }
}

/// One manifest stream read alongside paths that come in increasing order
/// (the tree walk): the merge of `ManifestMerge` when one side is not a
/// stream but a sequence of questions.
struct ManifestCursor<Stream: ManifestStream> {
  private var stream: Stream
  private var head: ManifestEntry?
  private var started = false

  init(_ stream: Stream) { self.stream = stream }

  /// Moves up to `path`: every entry before it is passed to `passed`; the
  /// entry at `path`, if any, is consumed and returned.
  mutating func seek(_ path: EntryPath, passing passed: (ManifestEntry) -> Void = { _ in }) async throws
    -> ManifestEntry?
  {
    if !started {
      started = true
      head = try await stream.next()
    }
    while let entry = head, entry.path < path {
      passed(entry)
      head = try await stream.next()
    }
    guard let entry = head, entry.path == path else { return nil }
    head = try await stream.next()
    return entry
  }

  /// Passes every entry not yet read to `passed`.
  mutating func finish(passing passed: (ManifestEntry) -> Void) async throws {
    if !started {
      started = true
      head = try await stream.next()
    }
    while let entry = head {
      passed(entry)
      head = try await stream.next()
    }
  }
}
