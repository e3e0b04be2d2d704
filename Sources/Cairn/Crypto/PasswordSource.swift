public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Where a repository's password comes from, in order: an explicit password
/// file, an explicit password command, then the environment
/// (`CAIRN_PASSWORD_FILE`, `CAIRN_PASSWORD_COMMAND`, `CAIRN_PASSWORD`), and
/// last a prompt without echo when standard input is a terminal. Unattended
/// runs (cron) must use one of the first five: there is no one to ask.
public struct PasswordSource: Sendable {
  public var passwordFile: String?
  public var passwordCommand: String?
  public var environment: [String: String]
  /// Whether to prompt on a terminal when nothing else gives a password.
  var mayPrompt = true

  public init(
    passwordFile: String? = nil, passwordCommand: String? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) {
    self.passwordFile = passwordFile
    self.passwordCommand = passwordCommand
    self.environment = environment
  }

  /// Resolves the password.
  public func password(prompt: String = "enter password for repository: ") throws -> String {
    if let passwordFile { return try Self.read(file: passwordFile) }
    if let passwordCommand { return try Self.run(command: passwordCommand) }
    if let file = environment["CAIRN_PASSWORD_FILE"], !file.isEmpty { return try Self.read(file: file) }
    if let command = environment["CAIRN_PASSWORD_COMMAND"], !command.isEmpty { return try Self.run(command: command) }
    if let password = environment["CAIRN_PASSWORD"], !password.isEmpty { return password }
    if mayPrompt, isatty(STDIN_FILENO) == 1, let password = try Self.promptWithoutEcho(prompt) { return password }
    throw CairnError(
      .invalidArgument, "a password is needed: give --password-file, --password-command or CAIRN_PASSWORD")
  }

  /// The file's content less one trailing newline (`\n` or `\r\n`).
  static func read(file: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw CairnError(.notFound, "cannot read password file '\(file)': check that it exists and is readable")
    }
    guard let password = String(data: data, encoding: .utf8).map(stripNewline), !password.isEmpty else {
      throw CairnError(.invalidArgument, "password file '\(file)' is empty or not UTF-8 text")
    }
    return password
  }

  /// The first line `/bin/sh -c command` prints. Its standard input and
  /// error stay the terminal's, so a command may prompt or explain a failure.
  static func run(command: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let output = Pipe()
    process.standardOutput = output
    do {
      try process.run()
    } catch {
      throw CairnError(.io, "cannot run password command '\(command)': \(error)")
    }
    let data = (try? output.fileHandleForReading.readToEnd()) ?? Data()
    process.waitUntilExit()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
      throw CairnError(
        .invalidArgument, "password command '\(command)' failed with exit status \(process.terminationStatus)")
    }
    let text = String(decoding: data, as: UTF8.self)
    let firstLine = text.split(maxSplits: 1, omittingEmptySubsequences: false, whereSeparator: \.isNewline).first
    guard let password = firstLine.map(String.init), !password.isEmpty else {
      throw CairnError(.invalidArgument, "password command '\(command)' printed no password")
    }
    return password
  }

  /// Less one trailing line break ("\r\n" is one Character in Swift).
  private static func stripNewline(_ text: String) -> String {
    if let last = text.last, last == "\n" || last == "\r\n" { return String(text.dropLast()) }
    return text
  }

  /// Asks on the terminal with echo off (termios); nil at end of input.
  private static func promptWithoutEcho(_ prompt: String) throws -> String? {
    FileHandle.standardError.write(Data(prompt.utf8))
    var saved = termios()
    let canHideEcho = tcgetattr(STDIN_FILENO, &saved) == 0
    if canHideEcho {
      var silent = saved
      silent.c_lflag &= ~tcflag_t(ECHO)
      _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
    }
    defer {
      if canHideEcho { _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
      FileHandle.standardError.write(Data("\n".utf8))
    }
    return readLine(strippingNewline: true)
  }
}
