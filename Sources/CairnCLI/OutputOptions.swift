import ArgumentParser

/// --json, --quiet and --verbose, shared by the commands that change a repository.
struct OutputOptions: ParsableArguments {
  @Flag(help: "Print the result as one JSON document.")
  var json = false

  @Flag(name: .shortAndLong, help: "Print nothing but errors.")
  var quiet = false

  @Flag(name: .shortAndLong, help: "Print the summary even when stdout is not a terminal.")
  var verbose = false

  /// Whether to print the human summary (never together with JSON).
  var showsSummary: Bool { !json && Terminal.showsSummary(quiet: quiet, verbose: verbose) }

  func validate() throws {
    if quiet && verbose { throw ValidationError("--quiet and --verbose exclude each other") }
  }
}
