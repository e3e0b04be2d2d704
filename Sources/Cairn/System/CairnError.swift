public import SystemPackage

/// An error Cairn reports to its user: what kind of problem, what was being
/// attempted (paths in quotes), and the system call that failed, if any.
///
/// Printed, it reads `code: message (cause)`, on one line.
public struct CairnError: Error, CustomStringConvertible, Sendable {
  /// The kind of problem. A struct over a private enum, so that codes can be
  /// added without breaking callers that switch over them.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Value: String, Sendable {
      case io = "I/O error"
      case notARepository = "not a repository"
      case repositoryExists = "repository exists"
      case invalidArgument = "invalid argument"
      case notFound = "not found"
      case corrupted = "corrupted"
      case locked = "locked"
      case unsupported = "unsupported"
      case unsafePath = "unsafe path"
      case noSpace = "no space"
    }
    fileprivate let value: Value

    public static let io = Code(value: .io)
    public static let notARepository = Code(value: .notARepository)
    public static let repositoryExists = Code(value: .repositoryExists)
    public static let invalidArgument = Code(value: .invalidArgument)
    public static let notFound = Code(value: .notFound)
    public static let corrupted = Code(value: .corrupted)
    public static let locked = Code(value: .locked)
    public static let unsupported = Code(value: .unsupported)
    public static let unsafePath = Code(value: .unsafePath)
    public static let noSpace = Code(value: .noSpace)

    public var description: String { value.rawValue }
  }

  /// The system call that failed underneath, with its errno.
  public struct SystemCause: Sendable, CustomStringConvertible {
    public let call: String
    public let errno: Errno
    public var description: String { "\(call): \(errno)" }
  }

  public let code: Code
  public let message: String
  public let cause: SystemCause?

  public init(_ code: Code, _ message: String, cause: SystemCause? = nil) {
    self.code = code
    self.message = message
    self.cause = cause
  }

  /// An error for a failed system call; ENOSPC and EDQUOT become `.noSpace`.
  static func system(_ call: String, _ errno: Errno, _ message: String) -> CairnError {
    let code: Code = (errno == .noSpace || errno.rawValue == 122) ? .noSpace : .io
    return CairnError(code, message, cause: SystemCause(call: call, errno: errno))
  }

  public var description: String {
    if let cause { return "\(code): \(message) (\(cause))" }
    return "\(code): \(message)"
  }
}
