import Cairn
import Foundation
import Testing

/// The job file parser, in-process: each error names the file, the line and the key.
@Suite struct JobConfigTests {
  private func parse(_ text: String) throws(CairnError) -> JobConfig {
    try JobConfig.parse(text, path: "/etc/cairn/job.yaml")
  }

  private func error(_ text: String) -> String {
    do {
      _ = try parse(text)
      return "(no error)"
    } catch {
      return error.message
    }
  }

  @Test func aMinimalFileGetsTheDefaults() throws {
    let config = try parse("repository: /mnt/backup\nsources: [/home, data]\n")
    #expect(config.repository == "/mnt/backup")
    #expect(config.sources == ["/home", "/etc/cairn/data"], "a relative source is read from the config's directory")
    #expect(config.retention == RetentionPolicy(last: 7))
    #expect(config.fullEveryDays == 14 && config.backupIntervalHours == 24 && config.lockWaitSeconds == 300)
    #expect(config.resolvedLogFile == "/mnt/backup/backup.log")
    #expect(config.hooks.isEmpty && !config.createRepository)
  }

  @Test func theScriptsNamesAreAliases() throws {
    let config = try parse(
      "destination: /mnt/backup\nsource_directories: [/home]\nretention_count: 3\nfull_backup_interval_days: 7\n")
    #expect(config.repository == "/mnt/backup" && config.sources == ["/home"])
    #expect(config.retention == RetentionPolicy(last: 3) && config.fullEveryDays == 7)
    #expect(error("repository: /a\ndestination: /b\nsources: [/home]\n").contains("are the same setting"))
  }

  @Test func hooksAreACommandOrAList() throws {
    let config = try parse(
      "repository: /r\nsources: [/s]\nbefore: mount /mnt/backup\nafter:\n  - sync\n  - umount /mnt/backup\n")
    #expect(config.hooks.before == ["mount /mnt/backup"])
    #expect(config.hooks.after == ["sync", "umount /mnt/backup"])
    #expect(config.hooks.onFailure.isEmpty)
    #expect(error("repository: /r\nsources: [/s]\non_failure: {a: b}\n").contains("must be a shell command or a list"))
  }

  @Test(arguments: [
    ("repository: /r\nsources: [/s]\nkepe: 3\n", "line 3: unknown key 'kepe'"),
    ("sources: [/s]\n", "missing key 'repository'"),
    ("repository: /r\nsources: []\n", "key 'sources' must list at least one directory"),
    ("repository: /r\nsources: [/s]\nkeep: 2\nkeep_last: 3\n", "line 4: 'keep' and 'keep_last' are the same rule"),
    ("repository: /r\nsources: [/s]\nblock_size: 7\n", "line 3: key 'block_size' must be between"),
    ("repository: /r\nsources: [/s]\nfull_every_days: -1\n", "key 'full_every_days' must be a positive number"),
    ("repository: /r\nsources: [/s]\ns3_access_key_id_file: /k\n", "give both s3_access_key_id_file"),
    ("repository: /r\nsources: [/s]\nexclude: ['[']\n", "exclude pattern '[' is malformed"),
    ("repository: [/r\n", "is not valid YAML"),
  ])
  func mistakesAreNamed(text: String, expected: String) {
    let message = error(text)
    #expect(message.hasPrefix("config '/etc/cairn/job.yaml'"), "\(message)")
    #expect(message.contains(expected), "\(message)")
  }
}
