import Foundation
import Testing

/// The files in Docs/ that people copy into their systems.
@Suite struct DocumentationTests {
  static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Docs").path

  static var hasSystemdAnalyze: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") }

  @Test(.enabled(if: hasSystemdAnalyze, "systemd-analyze is not installed"))
  func systemdUnitsVerify() throws {
    let dir = TemporaryDirectory("cairn-units")
    let service = try String(contentsOfFile: "\(Self.docs)/systemd/cairn-backup.service", encoding: .utf8)
      .replacingOccurrences(of: "/usr/local/bin/cairn", with: Cairn.binary)
    try service.write(toFile: dir.sub("cairn-backup.service"), atomically: true, encoding: .utf8)
    for unit in ["cairn-backup.timer", "cairn-backup-failed@.service"] {
      try FileManager.default.copyItem(atPath: "\(Self.docs)/systemd/\(unit)", toPath: dir.sub(unit))
    }
    #expect(service.contains("RequiresMountsFor=") && service.contains("OnFailure=cairn-backup-failed@%n.service"))
    let result = try runProcess(
      "/usr/bin/systemd-analyze",
      [
        "verify", dir.sub("cairn-backup.service"), dir.sub("cairn-backup.timer"),
        dir.sub("cairn-backup-failed@.service"),
      ])
    #expect(result.status == 0, "\(result.output)")
    #expect(result.output.isEmpty, "systemd-analyze had remarks: \(result.output)")
  }

  @Test func theExampleJobConfigIsValid() async throws {
    let dir = TemporaryDirectory("cairn-example")
    try shell("mkdir -p \(dir.sub("home")) \(dir.sub("etc"))")
    let example = try String(contentsOfFile: "\(Self.docs)/job.example.yaml", encoding: .utf8)
      .replacingOccurrences(of: "/mnt/backup/cairn", with: dir.sub("repo"))
      .replacingOccurrences(of: "  - /home\n", with: "  - \(dir.sub("home"))\n")
      .replacingOccurrences(of: "  - /etc\n", with: "  - \(dir.sub("etc"))\n")
    try example.write(toFile: dir.sub("job.yaml"), atomically: true, encoding: .utf8)
    // The example never creates a repository: without one (an unmounted drive), the run fails and says why.
    let unmounted = try Cairn.run(["backup", "--config", dir.sub("job.yaml")])
    #expect(unmounted.status == 1)
    #expect(unmounted.stderr.contains("repository not found at '\(dir.sub("repo"))' (is the drive mounted?)"))
    #expect(!FileManager.default.fileExists(atPath: dir.sub("repo")))
    #expect(try Cairn.run(["init", "--repo", dir.sub("repo")]).status == 0)
    let result = try Cairn.run(["backup", "--config", dir.sub("job.yaml")])
    #expect(result.status == 0, "\(result.output)")
    #expect(try await RepositoryInspection(path: dir.sub("repo")).records().count == 1)
  }

  /// The committed completion scripts are what the binary generates now
  /// (regenerate: `cairn --generate-completion-script bash > Docs/completions/cairn.bash`, also zsh, fish).
  @Test(arguments: ["bash", "zsh", "fish"])
  func completionScriptsAreCurrent(shell: String) throws {
    let generated = try Cairn.run(["--generate-completion-script", shell])
    #expect(generated.status == 0)
    let committed = try String(contentsOfFile: "\(Self.docs)/completions/cairn.\(shell)", encoding: .utf8)
    #expect(generated.stdout == committed, "Docs/completions/cairn.\(shell) is stale")
  }

  /// Every subcommand has a man page (regenerate with
  /// `swift package --allow-writing-to-package-directory generate-manual --multi-page`, then copy
  /// `.build/plugins/GenerateManual/outputs/CairnCLI/*.1` to Docs/man).
  @Test func everySubcommandHasAManPage() throws {
    let help = try Cairn.run(["--help"]).stdout
    let commands = ["init", "backup", "snapshots", "restore", "forget", "gc", "check", "ls", "diff", "stats"]
    for command in commands { #expect(help.contains("  \(command) "), "'\(command)' missing from --help") }
    for command in commands {
      let page = "\(Self.docs)/man/cairn.\(command).1"
      #expect(FileManager.default.fileExists(atPath: page), "missing \(page)")
      let text = (try? String(contentsOfFile: page, encoding: .utf8)) ?? ""
      #expect(text.contains(".Dt CAIRN.\(command.uppercased()) 1"), "\(page) is not the man page of '\(command)'")
    }
  }
}
