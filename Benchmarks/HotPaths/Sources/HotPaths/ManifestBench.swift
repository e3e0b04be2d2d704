import Cairn
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Manifest encoding and decoding through the public `ManifestCodec`, the way
/// Cairn's (internal) `ManifestWriter` and `ManifestReader` use it: entries are
/// appended to a buffer that starts with the magic, a part is cut as soon as it
/// holds 4 MiB or more, and afterwards every part is decoded entry by entry.
enum ManifestBench {
  /// `ManifestWriter.partSize`, which is internal to the library (Docs/FORMAT.md, "Splitting").
  static let partSize = 4 << 20
  /// Entries are made outside the timing in batches of this many; only the appends are timed.
  static let batchSize = 8192
  static let filesPerDirectory = 1000

  /// One encode + decode of the whole manifest.
  struct Run {
    var encodeSeconds = 0.0
    var decodeSeconds = 0.0
    var manifestBytes = 0
    var parts = 0
    /// kB (KiB): the process's resident set when the run started, and its peak during the run.
    var startRSS: Int?
    var peakRSS: Int?
  }

  // MARK: The entries

  static let directoryPrefix = Array("/srv/data/projects/cairn/scale/d".utf8)
  static let filePrefix = Array("/file-".utf8)
  static let fileSuffix = Array("-report.txt".utf8)

  /// File entry number `index`: a 59-byte path
  /// `/srv/data/projects/cairn/scale/dDDDD/file-FFFFFF-report.txt` (1000 files per
  /// directory, so entries come in path order), plausible metadata (mode 0644,
  /// uid/gid 1000, nanosecond times, a 3-byte inode), a size of 1 to 2048 bytes and
  /// one distinct block.
  ///
  /// `FileStatus` has no public initializer, so the entry starts as a public
  /// `removal(of:)` and gets every field set; all of `ManifestEntry`'s fields are public.
  static func entry(_ index: Int) -> ManifestEntry {
    var path = directoryPrefix
    path.reserveCapacity(64)
    appendDigits(index / filesPerDirectory, width: 4, to: &path)
    path.append(contentsOf: filePrefix)
    appendDigits(index % filesPerDirectory, width: 6, to: &path)
    path.append(contentsOf: fileSuffix)

    let random = mix(UInt64(index))
    var entry = ManifestEntry.removal(of: EntryPath(bytes: path))
    entry.kind = .file
    entry.mode = 0o644
    entry.uid = 1000
    entry.gid = 1000
    let time = Timestamp(
      seconds: 1_700_000_000 + Int64(random % 31_536_000), nanoseconds: UInt32((random >> 32) % 1_000_000_000))
    entry.mtime = time
    entry.ctime = time
    entry.inode = 1_048_576 + UInt64(index)
    entry.device = 2049
    entry.linkCount = 1
    entry.size = 1 + (random >> 20) % 2048
    entry.rdev = 0
    var digest = [UInt8]()
    digest.reserveCapacity(ObjectID.byteCount)
    for word in 0..<UInt64(4) {
      withUnsafeBytes(of: mix(UInt64(index) << 2 | word).bigEndian) { digest.append(contentsOf: $0) }
    }
    entry.blocks = [ObjectID(bytes: digest)]
    return entry
  }

  static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
    var digits: [UInt8] = []
    var rest = value
    repeat {
      digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
      rest /= 10
    } while rest > 0
    if digits.count < width { digits.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits.count)) }
    bytes.append(contentsOf: digits.reversed())
  }

  /// splitmix64's finalizer: a cheap deterministic scramble of `value`.
  static func mix(_ value: UInt64) -> UInt64 {
    var mixed = (value &+ 1) &* 0x9E37_79B9_7F4A_7C15
    mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
    mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
    return mixed ^ (mixed >> 31)
  }

  // MARK: Encode and decode

  static func newPart() -> [UInt8] {
    var buffer: [UInt8] = []
    buffer.reserveCapacity(partSize + 4096)
    buffer.append(contentsOf: ManifestCodec.magic)
    return buffer
  }

  /// Encodes entries 0..<count into parts. Only the `ManifestCodec.append` calls and the
  /// part cutting are timed (added to `seconds`); making the entries is not.
  static func encode(count: Int, seconds: inout Double) -> [[UInt8]] {
    var parts: [[UInt8]] = []
    var buffer = newPart()
    var batch: [ManifestEntry] = []
    batch.reserveCapacity(batchSize)
    var next = 0
    while next < count {
      batch.removeAll(keepingCapacity: true)
      let end = min(count, next + batchSize)
      for index in next..<end { batch.append(entry(index)) }
      next = end
      let last = next == count
      seconds += HotPaths.seconds {
        for entry in batch {
          ManifestCodec.append(entry, to: &buffer)
          if buffer.count >= partSize {
            // The writer hands the buffer to the store and reuses it; here the part is kept
            // for decoding and a new buffer started (storing is what the put rows measure).
            parts.append(buffer)
            buffer = newPart()
          }
        }
        if last, buffer.count > ManifestCodec.magic.count || parts.isEmpty { parts.append(buffer) }
      }
    }
    if count == 0 { parts.append(buffer) }
    return parts
  }

  /// Decodes every part; with `verify`, compares each entry with the one that was encoded.
  static func decode(_ parts: [[UInt8]], names: [ObjectID], verify: Bool) throws -> (entries: Int, checksum: UInt64) {
    var entries = 0
    var checksum: UInt64 = 0
    for (part, name) in zip(parts, names) {
      var decoder = try ManifestCodec.Decoder(part: name, bytes: part)
      while let decoded = try decoder.next() {
        if verify, decoded != entry(entries) {
          throw BenchError("manifest entry \(entries) decodes differently from what was encoded")
        }
        entries += 1
        checksum &+= decoded.size &+ UInt64(decoded.path.bytes.count) &+ UInt64(decoded.blocks.count)
      }
    }
    return (entries, checksum)
  }

  /// One run: encode `count` entries, name the parts (SHA-256, untimed), decode them all.
  /// The peak RSS covers all of it, with every part held in memory until the end.
  static func run(count: Int, verify: Bool) throws -> Run {
    var result = Run()
    let peakReset = Memory.resetPeak()
    result.startRSS = Memory.status("VmRSS")
    var parts = encode(count: count, seconds: &result.encodeSeconds)
    let names = parts.map { SHA256.hash($0) }
    var decoded = (entries: 0, checksum: UInt64(0))
    result.decodeSeconds = try HotPaths.seconds {
      decoded = try decode(parts, names: names, verify: verify)
    }
    guard decoded.entries == count else {
      throw BenchError("decoded \(decoded.entries) manifest entries, encoded \(count)")
    }
    result.peakRSS = peakReset ? Memory.status("VmHWM") : Memory.maxRSS()
    result.manifestBytes = parts.reduce(0) { $0 + $1.count }
    result.parts = parts.count
    parts.removeAll()
    return result
  }

  static func measure(entries count: Int, runs: Int, into table: inout Table) throws {
    // Warm-up, untimed: also checks that every entry decodes to exactly what was encoded.
    let warmup = try run(count: count, verify: true)
    var samples: [Run] = []
    for _ in 0..<runs { samples.append(try run(count: count, verify: false)) }
    let bytes = Double(warmup.manifestBytes)
    let meanPath =
      Double((0..<min(count, 1000)).reduce(0) { $0 + entry($1).path.bytes.count }) / Double(min(count, 1000))
    let layout =
      "\(count) file entries (paths \(String(format: "%.0f", meanPath)) bytes, 1 block each) -> "
      + "\(warmup.parts) parts of 4 MiB, \(String(format: "%.1f", bytes / 1e6)) MB"
    table.add(
      "manifest encode", samples.map { Double(count) / $0.encodeSeconds }, "entries/s",
      "ManifestCodec.append into parts cut at 4 MiB, each starting with the magic, as ManifestWriter does: "
        + layout + "; entries made outside the timing")
    table.add(
      "manifest encode, bytes", samples.map { bytes / $0.encodeSeconds / 1e6 }, "MB/s",
      "the same runs: manifest bytes written per second")
    table.add(
      "manifest decode", samples.map { Double(count) / $0.decodeSeconds }, "entries/s",
      "ManifestCodec.Decoder(part:bytes:) + next() over every part, each entry built (what a reader gets); "
        + "the warm-up compared all \(count) with what was encoded")
    table.add(
      "manifest decode, bytes", samples.map { bytes / $0.decodeSeconds / 1e6 }, "MB/s",
      "the same runs: manifest bytes read per second")
    if samples.allSatisfy({ $0.peakRSS != nil }) {
      let how =
        Memory.canResetPeak
        ? "VmHWM of the run (reset through /proc/self/clear_refs before it)"
        : "getrusage ru_maxrss: the process's peak so far, which may include earlier steps"
      table.add(
        "manifest encode+decode, peak RSS", samples.map { Double($0.peakRSS!) / 1024 }, "MiB",
        "\(how), with all \(warmup.parts) parts (\(String(format: "%.0f", bytes / 1_048_576)) MiB) held until the "
          + "decode ends; the writer holds one part at a time, the reader two (one read ahead)")
      if samples.allSatisfy({ $0.startRSS != nil }) {
        table.add(
          "manifest encode+decode, peak RSS growth", samples.map { Double($0.peakRSS! - $0.startRSS!) / 1024 },
          "MiB", "the row above less the RSS at the start of the run")
      }
    } else {
      table.note("manifest: no peak RSS figure (neither /proc/self/status nor getrusage answered)")
    }
  }
}

struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// The process's memory as the kernel counts it.
enum Memory {
  /// Whether writing 5 to /proc/self/clear_refs resets VmHWM (Linux 4.0+; checked once).
  static let canResetPeak: Bool = resetPeak()

  /// Sets the kernel's peak-RSS mark of this process (VmHWM) back to the current RSS.
  @discardableResult
  static func resetPeak() -> Bool {
    let descriptor = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    return write(descriptor, "5", 1) == 1
  }

  /// A `kB` figure of /proc/self/status, e.g. "VmRSS" or "VmHWM".
  static func status(_ key: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
      return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
    return nil
  }

  /// getrusage's ru_maxrss in kB: the peak of the process's whole life so far.
  static func maxRSS() -> Int? {
    #if canImport(Glibc)
      let who = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
      let who = RUSAGE_SELF
    #endif
    var usage = rusage()
    guard getrusage(who, &usage) == 0 else { return nil }
    return Int(usage.ru_maxrss)
  }
}
