import ArgumentParser

@main
struct CairnCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cairn",
    abstract: "Deduplicating backups: full and differential snapshots of your directories.",
    discussion: """
      Create a repository once with 'cairn init', then run 'cairn backup' (by hand or from a \
      scheduler), and 'cairn restore' to get files back. The repository comes from --repo or \
      the CAIRN_REPO environment variable.

      Exit status: 0 success, 1 failure, 3 backup completed but some files could not be read.
      """,
    version: "0.1.0",
    subcommands: [
      InitCommand.self, BackupCommand.self, SnapshotsCommand.self, RestoreCommand.self, ForgetCommand.self,
      GCCommand.self, CheckCommand.self, LsCommand.self, DiffCommand.self, StatsCommand.self, KeyCommand.self,
      LogCommand.self,
    ]
  )
}
