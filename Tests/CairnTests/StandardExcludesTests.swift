import Cairn
import Foundation
import Testing

/// --exclude-caches, --exclude-if-present, --exclude-larger-than,
/// --exclude-file and --one-file-system, on the command line and in the job.
@Suite struct StandardExcludesTests {
  struct Tree {
    let dir = TemporaryDirectory("cairn-excludes")
    var repo: String { dir.sub("repo") }
    var source: String { dir.sub("src") }

    init() throws {
      try shell(
        """
        set -e
        mkdir -p \(source)/cache \(source)/fake-cache \(source)/project/build \(source)/docs
        printf 'Signature: 8a477f597d28d172789f06886806bc55\\n# a cache\\n' > \(source)/cache/CACHEDIR.TAG
        echo cached > \(source)/cache/blob
        printf 'Signature: not the real one\\n' > \(source)/fake-cache/CACHEDIR.TAG
        echo kept > \(source)/fake-cache/blob
        touch \(source)/project/build/.nobackup
        echo object > \(source)/project/build/main.o
        echo source > \(source)/project/main.c
        head -c 300000 /dev/urandom > \(source)/docs/big.iso
        echo small > \(source)/docs/small.txt
        echo noise > \(source)/docs/debug.log
        """)
      #expect(try Cairn.run(["init", "--repo", repo, "--block-size", "65536"]).status == 0)
    }

    func paths() throws -> Set<String> {
      let listing = try Cairn.run(["ls", "--repo", repo, "latest", "--json"])
      return Set(
        try jsonArray(listing.stdout).compactMap { ($0["path"] as? String)?.replacingOccurrences(of: source, with: "") }
      )
    }
  }

  static let expected: Set<String> = [
    "", "/cache", "/fake-cache", "/fake-cache/CACHEDIR.TAG", "/fake-cache/blob", "/project", "/project/main.c",
    "/docs", "/docs/small.txt",
  ]

  @Test func theCommandLineOptionsLeaveOutWhatTheySay() throws {
    let tree = try Tree()
    let excludeFile = tree.dir.sub("excludes.txt")
    try "# logs are noise\n\n  *.log  \n".write(toFile: excludeFile, atomically: true, encoding: .utf8)
    let result = try Cairn.run([
      "backup", "--repo", tree.repo, "--exclude-caches", "--exclude-if-present", ".nobackup",
      "--exclude-larger-than", "100k", "--exclude-file", excludeFile, tree.source,
    ])
    #expect(result.status == 0, "\(result.output)")
    // The cache directory itself is left out with its contents; a tag without the signature is not a cache.
    #expect(try tree.paths() == Self.expected.subtracting(["/cache"]))
  }

  @Test func theJobTakesTheSameExcludes() throws {
    let tree = try Tree()
    let excludeFile = tree.dir.sub("excludes.txt")
    try "*.log\n".write(toFile: excludeFile, atomically: true, encoding: .utf8)
    let config = tree.dir.sub("job.yaml")
    try """
    repository: \(tree.repo)
    sources: [\(tree.source)]
    exclude_caches: true
    exclude_if_present: [.nobackup]
    exclude_larger_than: 100k
    exclude_file: \(excludeFile)
    one_file_system: true
    """.write(toFile: config, atomically: true, encoding: .utf8)
    let result = try Cairn.run(["backup", "--config", config])
    #expect(result.status == 0, "\(result.output)")
    #expect(try tree.paths() == Self.expected.subtracting(["/cache"]))
  }

  @Test(arguments: [
    (["--exclude-larger-than", "12q"], "'12q' is not a size"),
    (["--exclude-file", "/nonexistent/excludes"], "exclude file '/nonexistent/excludes' cannot be read"),
  ])
  func badExcludeOptionsAreNamed(arguments: [String], message: String) async throws {
    let tree = try Tree()
    let result = try Cairn.run(["backup", "--repo", tree.repo] + arguments + [tree.source])
    #expect(result.status != 0)
    #expect(result.stderr.contains(message), "\(result.stderr)")
    #expect(try await RepositoryInspection(path: tree.repo).records().isEmpty)
  }

  static var canMount: Bool {
    getuid() == 0 && (try? runProcess("/usr/bin/unshare", ["-m", "true"]).status) == 0
  }

  @Test(.enabled(if: canMount, "needs root and mount namespaces"))
  func oneFileSystemKeepsTheMountPointButNotWhatIsMountedThere() async throws {
    let tree = try Tree()
    try shell("mkdir -p \(tree.source)/mnt")
    let script = """
      set -e
      mount -t tmpfs none \(tree.source)/mnt
      echo elsewhere > \(tree.source)/mnt/file
      \(Cairn.binary) backup --repo \(tree.repo) --one-file-system \(tree.source)
      \(Cairn.binary) backup --repo \(tree.repo) --full \(tree.source)
      """
    let result = try runProcess("/usr/bin/unshare", ["-m", "/bin/sh", "-c", script])
    #expect(result.status == 0, "\(result.output)")
    let records = try await RepositoryInspection(path: tree.repo).records()
    #expect(records.count == 2)
    let first = try jsonArray(try Cairn.run(["ls", "--repo", tree.repo, records[0].id, "--json"]).stdout)
      .compactMap { $0["path"] as? String }
    #expect(first.contains(tree.source + "/mnt") && !first.contains(tree.source + "/mnt/file"))
    let second = try jsonArray(try Cairn.run(["ls", "--repo", tree.repo, records[1].id, "--json"]).stdout)
      .compactMap { $0["path"] as? String }
    #expect(second.contains(tree.source + "/mnt/file"), "without the option the mount is backed up")
  }
}
