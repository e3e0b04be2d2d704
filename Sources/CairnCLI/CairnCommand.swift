import ArgumentParser
import Foundation

@main
struct CairnCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cairn",
    abstract: "Deduplicating backups: full and differential snapshots of your directories.",
    discussion: """
      Create a repository once with 'cairn init', then run 'cairn backup' (by hand or from a \
      scheduler), and 'cairn restore' to get files back. The repository comes from --repo or \
      the CAIRN_REPO environment variable.

      Exit status: 0 success, 1 failure, 3 backup completed but some files could not be read, \
      64 usage error (unknown command or option, missing argument).
      """,
    version: "0.1.0",
    subcommands: [
      InitCommand.self, BackupCommand.self, SnapshotsCommand.self, RestoreCommand.self, ForgetCommand.self,
      GCCommand.self, CheckCommand.self, LsCommand.self, DiffCommand.self, StatsCommand.self, KeyCommand.self,
      LogCommand.self, UnlockCommand.self,
    ]
  )

  /// Runs the command line, first catching a mistyped subcommand, which the
  /// parser would otherwise report as a complaint about its options.
  static func main() async {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if let first = arguments.first, let message = SubcommandSuggestion.unknown(first, among: subcommandNames) {
      FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
      FileHandle.standardError.write(
        Data("Usage: cairn <subcommand>\n  See 'cairn --help' for more information.\n".utf8))
      Foundation.exit(ExitCode.validationFailure.rawValue)
    }
    // Parsed and run here rather than by `main(nil)`, so that the locks held
    // are released however the command ends (lock objects outlive a process).
    do {
      var command = try parseAsRoot(arguments)
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
      await HeldLocks.releaseAll()
      exit()
    } catch {
      await HeldLocks.releaseAll()
      exit(withError: error)
    }
  }

  static var subcommandNames: [String] {
    configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
  }
}
