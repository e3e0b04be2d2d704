import Testing

/// The crash suites (BackupCrashTests, GCCrashTests) nest here so that they
/// run one case at a time: each case runs dozens of `cairn` processes over
/// thousands of files, and two machines' worth of them at once on two cores
/// only makes every case slower and the timing-sensitive suites flaky.
@Suite(.serialized) enum HeavyCrashTests {}
