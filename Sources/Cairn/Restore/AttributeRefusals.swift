import Synchronization
import SystemPackage

/// Extended attributes the target refused, counted per kind (namespace and
/// errno) so that each kind is reported once. Shared by the restorer and the
/// file writes in flight.
final class AttributeRefusals: Sendable {
  private struct Kind: Hashable {
    let namespace: String
    let errno: Errno
  }

  private struct Tally {
    var order: [Kind] = []
    var counts: [Kind: (entries: Int, first: EntryPath)] = [:]
  }

  private let tally = Mutex(Tally())

  /// Counts one entry on which attributes of this kind were refused.
  func note(namespace: String, errno: Errno, path: EntryPath) {
    tally.withLock { tally in
      let kind = Kind(namespace: namespace, errno: errno)
      if let known = tally.counts[kind] {
        tally.counts[kind] = (known.entries + 1, min(known.first, path))
      } else {
        tally.order.append(kind)
        tally.counts[kind] = (1, path)
      }
    }
  }

  /// One problem per kind refused, naming the first entry in path order.
  var problems: [RestoreProblem] {
    tally.withLock { tally in
      tally.order.map { kind in
        let (entries, first) = tally.counts[kind]!
        let others = entries > 1 ? " and \(entries - 1) other entr\(entries == 2 ? "y" : "ies")" : ""
        return RestoreProblem(
          path: first,
          message: "extended attributes '\(kind.namespace).*' were not restored on '\(first)'\(others): "
            + "the target refused them (\(kind.errno))")
      }
    }
  }
}
