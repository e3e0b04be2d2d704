import Testing

@testable import Cairn

/// Exclude patterns as restic and borg users write them.
@Suite struct ExcludeMatcherTests {
  private func excludes(_ patterns: [String], _ path: String) -> Bool {
    let entry = EntryPath(path)
    return ExcludeMatcher(patterns).excludes(entry, name: entry.components.last.map(Array.init) ?? [])
  }

  @Test func aPatternWithoutSlashMatchesANameAtAnyDepth() {
    #expect(excludes(["*.tmp"], "/a.tmp"))
    #expect(excludes(["*.tmp"], "/x/y/z/a.tmp"))
    #expect(!excludes(["*.tmp"], "/x/a.tmpl"))
    #expect(excludes([".cache"], "/home/u/.cache"))
    #expect(!excludes([".cache"], "/home/u/.cache-old"))
  }

  @Test func aPatternWithSlashMatchesWholePathsOneComponentPerSegment() {
    #expect(excludes(["/home/*/.cache"], "/home/u/.cache"))
    #expect(!excludes(["/home/*/.cache"], "/home/u/v/.cache"))
    #expect(!excludes(["/home/*/.cache"], "/srv/u/.cache"))
    // A directory pattern names the directory, not what is below it (the walk does not enter it).
    #expect(!excludes(["/home/*/.cache"], "/home/u/.cache/x"))
  }

  @Test func doubleStarStandsForAnyNumberOfComponents() {
    #expect(excludes(["/home/**/node_modules"], "/home/node_modules"))
    #expect(excludes(["/home/**/node_modules"], "/home/a/b/c/node_modules"))
    #expect(!excludes(["/home/**/node_modules"], "/srv/a/node_modules"))
    #expect(excludes(["/**/*.o"], "/src/x/y.o"))
  }

  @Test func fnmatchClassesAndSingleCharacters() {
    #expect(excludes(["[ab]?.log"], "/var/a1.log"))
    #expect(excludes(["[ab]?.log"], "/var/bz.log"))
    #expect(!excludes(["[ab]?.log"], "/var/c1.log"))
    #expect(!excludes(["[ab]?.log"], "/var/a12.log"))
  }

  @Test func anyOfSeveralPatternsExcludes() {
    let patterns = ["*.tmp", "/data/cache"]
    #expect(excludes(patterns, "/x/a.tmp"))
    #expect(excludes(patterns, "/data/cache"))
    #expect(!excludes(patterns, "/data/keep"))
  }

  @Test func noPatternExcludesNothing() {
    #expect(ExcludeMatcher([]).isEmpty)
    #expect(!excludes([], "/a"))
  }

  @Test(arguments: [("*.tmp", true), ("a[b]c", true), ("/x/**", true), ("", false), ("[abc", false), ("a[b", false)])
  func malformedPatternsAreRefused(pattern: String, valid: Bool) {
    #expect(ExcludeMatcher.isValid(pattern) == valid)
  }
}
