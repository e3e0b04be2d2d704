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
    /// `CAIRN_TEST_LINK_THROUGH_PROC=1`: restore links its unnamed files
    /// through /proc/self/fd, as on a kernel before 6.10 without privileges.
    static let linkUnnamedThroughProc = ProcessInfo.processInfo.environment["CAIRN_TEST_LINK_THROUGH_PROC"] == "1"
  #else
    static let restoreUnderTemporaryNames = false
    static let linkUnnamedThroughProc = false
  #endif
}
