import ArgumentParser
import Cairn
import CairnS3

/// `cairn unlock`: removes stale lock objects of an S3 repository.
struct UnlockCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unlock",
    abstract: "Remove stale locks of an S3 repository (all locks with --force).",
    discussion: """
      An S3 repository is locked with lock objects under locks/, refreshed while the operation \
      runs; one not refreshed for 5 minutes is stale and ignored anyway. A local repository is \
      locked by the kernel (flock on its directory), which drops a lock when its process ends: \
      there is nothing to unlock.
      """)

  @OptionGroup var repository: RepositoryOptions

  @Flag(help: "Remove every lock, also those of operations that may still be running.")
  var force = false

  func run() async throws {
    let location = try repository.location()
    guard location.isS3, let storage = try location.storage() as? S3Storage else {
      print("repository '\(location.text)' is locked by the kernel while in use; there is nothing to unlock")
      return
    }
    let removed = try await storage.removeStaleLocks(all: force)
    print("removed \(removed) \(force ? "" : "stale ")lock(s)")
    try await storage.shutdown()
  }
}
