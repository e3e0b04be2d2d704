/// Consecutive entries that a restore writes in one task and one pool job:
/// small files (each a slice of a bundle) and symlinks, FIFOs, sockets and
/// device nodes. One task, one pool job and their thread wake-ups per entry
/// were about 10% of a restore's CPU on the benchmark corpus (48k small
/// files, 4k symlinks).
struct EntryBatch: Sendable {
  enum Item: Sendable {
    case smallFile(FileWriteJob)
    case other(OtherEntryJob)
  }

  /// Entries per batch.
  static let limit = 32

  private(set) var items: [Item] = []

  var isEmpty: Bool { items.isEmpty }
  var isFull: Bool { items.count >= Self.limit }

  mutating func append(_ item: Item) { items.append(item) }

  /// Gives up the takes of a batch that will not run (after a failure).
  func dropTickets(from readAhead: ObjectReadAhead) {
    for case .smallFile(let job) in items { readAhead.drop(job.tickets) }
  }

  /// Takes and checks the small files' bytes on this task, then writes
  /// everything in one pool job. An entry's problems come back as
  /// `.damaged` outcomes, in order.
  func run() async -> [FileWriteJob.Outcome] {
    var steps: [Step] = []
    steps.reserveCapacity(items.count)
    for item in items {
      switch item {
      case .smallFile(let job):
        switch await job.takeSmallFile() {
        case .done(let outcome): steps.append(.done(outcome))
        case .bytes(let bytes): steps.append(.write(job, bytes))
        }
      case .other(let job):
        steps.append(.make(job))
      }
    }
    return await BlockingPool.shared.run { [steps] in
      var outcomes: [FileWriteJob.Outcome] = []
      outcomes.reserveCapacity(steps.count)
      for step in steps {
        switch step {
        case .done(let outcome):
          outcomes.append(outcome)
        case .write(let job, let bytes):
          outcomes.append(job.writeSmallFile(bytes))
        case .make(let job):
          do {
            outcomes += try job.run().map { .damaged($0) }
          } catch {
            outcomes.append(.failed(error))
          }
        }
      }
      return outcomes
    }
  }

  /// What the pool job does for one entry, once the small files are taken.
  private enum Step: Sendable {
    /// Ended before its write (its bundle unreadable, its bytes wrong).
    case done(FileWriteJob.Outcome)
    case write(FileWriteJob, ArraySlice<UInt8>)
    case make(OtherEntryJob)
  }
}
