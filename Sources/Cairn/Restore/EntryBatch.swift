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
    var taken: [FileWriteJob.SmallFileBytes?] = []
    taken.reserveCapacity(items.count)
    for item in items {
      if case .smallFile(let job) = item { taken.append(await job.takeSmallFile()) } else { taken.append(nil) }
    }
    return await BlockingPool.shared.run { [items, taken] in
      var outcomes: [FileWriteJob.Outcome] = []
      outcomes.reserveCapacity(items.count)
      for (item, bytes) in zip(items, taken) {
        switch (item, bytes) {
        case (.smallFile, .done(let outcome)?):
          outcomes.append(outcome)
        case (.smallFile(let job), .bytes(let bytes)?):
          outcomes.append(job.writeSmallFile(bytes))
        case (.other(let job), _):
          do {
            outcomes += try job.run().map { .damaged($0) }
          } catch {
            outcomes.append(.failed(error))
          }
        case (.smallFile, nil):
          preconditionFailure("a small file of a batch was not taken")
        }
      }
      return outcomes
    }
  }
}
