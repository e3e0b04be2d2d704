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
    try FileManager.default.copyItem(
      atPath: "\(Self.docs)/systemd/cairn-backup.timer", toPath: dir.sub("cairn-backup.timer"))
    let result = try runProcess(
      "/usr/bin/systemd-analyze", ["verify", dir.sub("cairn-backup.service"), dir.sub("cairn-backup.timer")])
    #expect(result.status == 0, "\(result.output)")
    #expect(result.output.isEmpty, "systemd-analyze had remarks: \(result.output)")
  }

  @Test func theExampleJobConfigIsValid() throws {
    let dir = TemporaryDirectory("cairn-example")
    try shell("mkdir -p \(dir.sub("home")) \(dir.sub("etc"))")
    let example = try String(contentsOfFile: "\(Self.docs)/job.example.yaml", encoding: .utf8)
      .replacingOccurrences(of: "/mnt/backup/cairn", with: dir.sub("repo"))
      .replacingOccurrences(of: "  - /home\n", with: "  - \(dir.sub("home"))\n")
      .replacingOccurrences(of: "  - /etc\n", with: "  - \(dir.sub("etc"))\n")
    try example.write(toFile: dir.sub("job.yaml"), atomically: true, encoding: .utf8)
    let result = try Cairn.run(["backup", "--config", dir.sub("job.yaml")])
    #expect(result.status == 0, "\(result.output)")
    #expect(try RepositoryInspection(path: dir.sub("repo")).records().count == 1)
  }
}
