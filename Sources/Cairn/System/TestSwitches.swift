#if CAIRN_TEST_HOOKS
  import Foundation
#endif

/// Switches that make tests reach paths the machine would not take on its
/// own. Like `CrashPoint`, compiled into debug builds only: in a release
/// build each is a constant false.
enum TestSwitches {
  #if CAIRN_TEST_HOOKS
    /// `CAIRN_TEST_RESTORE_NAMED=1`: restore writes under temporary names, as
    /// on a file system without unnamed (`O_TMPFILE`) files.
    static let restoreUnderTemporaryNames = ProcessInfo.processInfo.environment["CAIRN_TEST_RESTORE_NAMED"] == "1"
  #else
    static let restoreUnderTemporaryNames = false
  #endif
}
