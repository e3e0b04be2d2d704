/// The takes of one file's objects from the read-ahead, in order. A large
/// file is planned a slice at a time: `EntryLookahead` plans its first
/// `sliceBlocks` blocks, and the rest are planned as the write reaches
/// them, so a file of a million blocks does not plan a million reads at once.
struct FileReads {
  static let sliceBlocks = 1024

  private let entry: ManifestEntry
  private let blockSize: Int
  private let readAhead: ObjectReadAhead
  /// Planned takes; those before `head` are made.
  private var tickets: [ObjectReadAhead.Ticket]
  private var head = 0
  /// The index in `entry.blocks` of the next take.
  private var nextBlock = 0
  private var plannedBlocks: Int

  init(entry: ManifestEntry, blockSize: Int, readAhead: ObjectReadAhead, tickets: [ObjectReadAhead.Ticket]) {
    self.entry = entry
    self.blockSize = blockSize
    self.readAhead = readAhead
    self.tickets = tickets
    plannedBlocks = tickets.count
  }

  /// The verified bytes of the file's next object (its bundle, or its next
  /// block), or nil after the last; throws what reading it threw.
  mutating func next() async throws -> [UInt8]? {
    guard nextBlock < entry.blocks.count else { return nil }
    if tickets.count - head <= Self.sliceBlocks / 2, plannedBlocks < entry.blocks.count {
      let end = min(entry.blocks.count, plannedBlocks + Self.sliceBlocks)
      tickets.removeFirst(head)
      head = 0
      tickets += readAhead.plan(
        EntryLookahead.objects(of: entry, blockSize: blockSize, blocks: plannedBlocks..<end))
      plannedBlocks = end
    }
    guard head < tickets.count, tickets[head].id == entry.blocks[nextBlock] else {
      throw CairnError(.io, "the objects planned for '\(entry.path)' are not its blocks (a bug in the restore)")
    }
    let ticket = tickets[head]
    head += 1
    nextBlock += 1
    return try await readAhead.take(ticket)
  }

  /// Gives up the takes planned and not made (a write that ended early).
  func dropRest() {
    readAhead.drop(tickets[head...])
  }
}
