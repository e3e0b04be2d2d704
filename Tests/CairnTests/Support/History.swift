import Foundation
import Testing

/// A repository with a known history: a changing tree backed up on simulated
/// days, full every 14 days, and a `cp -a` copy of the tree as it was at each
/// snapshot, to compare restores against.
struct History {
  let directory: TemporaryDirectory
  let repo: String
  let source: String
  /// What every `cairn` command on the repository needs (the password file).
  let environment: [String: String]
  /// Snapshot ids, oldest first, and the copy of the tree each one holds.
  private(set) var snapshots: [(id: String, kind: String, copy: String)] = []

  /// Days on which a backup is taken; with --full-every 14, days 0 and 15 are full.
  static let days = [0, 1, 2, 15, 16, 17]

  /// `kind` nil: the repository `cairn init` makes by default.
  init(blockSize: Int = 65536, kind: RepositoryKind? = nil) throws {
    directory = TemporaryDirectory("cairn-history")
    repo = directory.sub("repo")
    source = directory.sub("src")
    environment = try kind?.prepare(in: directory) ?? [:]
    try shell(
      """
      set -e
      mkdir -p \(source)/docs \(source)/data \(source)/empty
      head -c 300000 /dev/urandom > \(source)/data/big
      for i in 1 2 3 4 5; do echo "file $i" > \(source)/docs/f$i; done
      ln -s docs/f1 \(source)/link
      """)
    let created = try Cairn.run(
      ["init", "--repo", repo, "--block-size", String(blockSize)] + (kind?.initOptions ?? []), environment: environment)
    #expect(created.status == 0, "\(created.output)")
    for (step, day) in Self.days.enumerated() {
      if step > 0 { try mutate(step: step) }
      let now = String(format: "2026-01-%02dT12:00:00Z", day + 1)
      let result = try cairn(["backup", "--repo", repo, "--json", "--full-every", "14", "--time", now, source])
      #expect(result.status == 0, "\(result.output)")
      let output = try jsonObject(result.stdout)
      let snapshot = output["snapshot"] as? [String: Any] ?? [:]
      let copy = directory.sub("copy-\(step)")
      try shell("cp -a \(source) \(copy)")
      snapshots.append((snapshot["id"] as? String ?? "", snapshot["kind"] as? String ?? "", copy))
    }
  }

  /// A change per step: new random data, appends, deletes, renames, chmods.
  private func mutate(step: Int) throws {
    try shell(
      """
      set -e
      head -c \(100000 + step * 1000) /dev/urandom > \(source)/data/new-\(step)
      echo "step \(step)" >> \(source)/docs/f\(step % 5 + 1)
      rm -f \(source)/data/new-\(step - 2)
      chmod 0600 \(source)/docs/f\((step + 1) % 4 + 1)
      if [ -e \(source)/docs/f5 ]; then mv \(source)/docs/f5 \(source)/docs/f5-renamed; fi
      """)
  }

  /// Runs `cairn ARGS…` with the repository's environment, whatever its exit status.
  func cairn(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    try Cairn.run(arguments, environment: self.environment.merging(environment) { $1 })
  }

  /// Restores snapshot `id` and returns the restored copy of the source.
  func restore(_ id: String, label: String) throws -> String {
    let target = directory.sub("restore-\(label)")
    let result = try cairn(["restore", "--repo", repo, id, target])
    #expect(result.status == 0, "\(result.output)")
    return target + source
  }
}
