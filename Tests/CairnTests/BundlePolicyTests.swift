import Testing

@testable import Cairn

/// The rule that groups small files into bundles, run on synthetic files
/// (no I/O): same files, same bundles; one change, about one new bundle;
/// about (bytes + 256 per file) ÷ target bundles.
@Suite struct BundlePolicyTests {
  /// A synthetic small file: its size and the address of its content.
  struct File: Equatable {
    var path: EntryPath
    var size: UInt64
    var content: ObjectID
  }

  /// A deterministic generator (SplitMix64), so every run sees the same files.
  struct Generator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  /// `count` files in one directory, sizes 1 to `largest` bytes, distinct contents.
  static func files(count: Int, largest: UInt64, seed: UInt64 = 1) -> [File] {
    var generator = Generator(state: seed)
    return (0..<count).map { index in
      let name = "/data/dir-\(index / 1000)/file-\(String(index, radix: 10))"
      let size = 1 + generator.next() % largest
      return File(
        path: EntryPath(name), size: size, content: SHA256.hash(Array("content \(index) \(seed)".utf8)))
    }
  }

  /// Runs the cut rule over `files` in order; returns the bundles as lists of
  /// the files they hold (each file's bytes counted in full: distinct contents).
  static func bundles(of files: [File], policy: BundlePolicy) -> [[File]] {
    var cutter = BundlePolicy.Cutter(policy: policy)
    var result: [[File]] = []
    var open: [File] = []
    for file in files {
      if cutter.mustEndBefore(adding: Int(file.size)) {
        result.append(open)
        open = []
        cutter.reset()
      }
      open.append(file)
      let hash = SHA256.hash(BundlePolicy.cutHashInput(path: file.path, content: file.content))
      if cutter.add(size: file.size, added: Int(file.size), hash: hash) {
        result.append(open)
        open = []
        cutter.reset()
      }
    }
    if !open.isEmpty { result.append(open) }
    return result
  }

  static let policy = BundlePolicy(blockSize: 1 << 20)

  @Test(arguments: [
    (65536, 16384, 4 << 20), (1 << 20, 262_144, 4 << 20), (8 << 20, 2 << 20, 8 << 20), (16 << 20, 4 << 20, 16 << 20),
  ])
  func bundlesFollowTheBlockSize(blockSize: Int, limit: Int, target: Int) {
    let policy = BundlePolicy(blockSize: blockSize)
    #expect(policy.smallFileLimit == limit)
    #expect(policy.isSmall(1))
    #expect(policy.isSmall(UInt64(limit)))
    #expect(!policy.isSmall(UInt64(limit) + 1))
    #expect(!policy.isSmall(0), "an empty file has nothing to store")
    #expect(policy.targetSize == target && policy.maximumSize == 2 * target)
  }

  /// The bundle count is close to (bytes + 256 per file) ÷ target: the hash
  /// cuts alone would give exactly that on average; the 8 MiB cap adds a few.
  @Test func bundleCountFollowsBytesNotFiles() {
    let files = Self.files(count: 60_000, largest: 16384)  // about 490 MB
    let bundles = Self.bundles(of: files, policy: Self.policy)
    let weight = files.reduce(0) { $0 + Double($1.size) + Double(Self.policy.fileWeight) }
    let expected = weight / Double(Self.policy.targetSize)
    #expect(Double(bundles.count) > expected * 0.9, "\(bundles.count) bundles, about \(expected) expected")
    #expect(Double(bundles.count) < expected * 1.35, "\(bundles.count) bundles, about \(expected) expected")
    for bundle in bundles {
      #expect(bundle.reduce(0) { $0 + $1.size } <= UInt64(Self.policy.maximumSize))
    }
  }

  /// Tiny files are bounded by the per-file weight and the file cap.
  @Test func bundlesOfTinyFilesStayBoundedInFiles() {
    let files = Self.files(count: 100_000, largest: 16, seed: 7)
    let bundles = Self.bundles(of: files, policy: Self.policy)
    #expect(bundles.allSatisfy { $0.count <= Self.policy.maximumFiles })
    #expect(bundles.count >= 4, "100,000 files of 1 to 16 bytes weigh about 26 MB: \(bundles.count) bundles")
  }

  @Test func sameFilesGiveTheSameBundles() {
    let files = Self.files(count: 20_000, largest: 16384)
    #expect(Self.bundles(of: files, policy: Self.policy) == Self.bundles(of: files, policy: Self.policy))
  }

  /// Bundles that the other sequence does not have, compared as file lists.
  static func newBundles(_ after: [[File]], comparedTo before: [[File]]) -> Int {
    let known = Set(before.map { $0.map(\.content) })
    return after.filter { !known.contains($0.map(\.content)) }.count
  }

  /// One file changed (content and size) among 20,000: one or two bundles
  /// differ, wherever the file is; the rest are the same and deduplicate.
  @Test(arguments: [5, 7_777, 13_001, 19_999])
  func oneChangedFileChangesAboutOneBundle(index: Int) {
    let files = Self.files(count: 20_000, largest: 16384)
    let before = Self.bundles(of: files, policy: Self.policy)
    var changed = files
    changed[index].content = SHA256.hash(Array("changed".utf8))
    changed[index].size += 100
    let after = Self.bundles(of: changed, policy: Self.policy)
    let new = Self.newBundles(after, comparedTo: before)
    #expect(new >= 1 && new <= 2, "\(new) new bundles of \(after.count)")
  }

  /// Adding or removing files changes only the bundles around them.
  @Test func insertedAndRemovedFilesChangeOnlyTheirNeighbourhood() {
    let files = Self.files(count: 20_000, largest: 16384)
    let before = Self.bundles(of: files, policy: Self.policy)
    var edited = files
    edited.removeSubrange(3_000..<3_010)
    edited.insert(contentsOf: Self.files(count: 5, largest: 16384, seed: 99), at: 12_000)
    let after = Self.bundles(of: edited, policy: Self.policy)
    let new = Self.newBundles(after, comparedTo: before)
    #expect(new <= 4, "\(new) new bundles of \(after.count)")
  }

  @Test func sliceFieldRoundTrips() throws {
    let content = SHA256.hash(Array("x".utf8))
    for (offset, length) in [(0, 1), (127, 128), (8 << 20, 262_144), (UInt64.max - 5, 5)] as [(UInt64, UInt64)] {
      let slice = BundleSlice(offset: offset, length: length, content: content)
      #expect(BundleSlice(encoded: slice.encoded) == slice)
    }
    let valid = BundleSlice(offset: 3, length: 4, content: content).encoded
    #expect(BundleSlice(encoded: []) == nil)
    #expect(BundleSlice(encoded: Array(valid.dropLast())) == nil)
    #expect(BundleSlice(encoded: valid + [0]) == nil)
    #expect(BundleSlice(encoded: [0x80, 0x80]) == nil)
  }

  /// The field must fit its entry: one object (the bundle), length equal to the size.
  @Test func sliceMustFitItsEntry() throws {
    let content = SHA256.hash(Array("x".utf8))
    var entry = ManifestEntry(
      path: EntryPath("/a"),
      status: FileStatus(
        kind: .file, mode: 0o644, uid: 0, gid: 0, size: 4, mtime: Timestamp(seconds: 0, nanoseconds: 0),
        ctime: Timestamp(seconds: 0, nanoseconds: 0), inode: 1, device: 1, linkCount: 1, rdev: 0))
    entry.blocks = [content]
    entry.setField(.bundleSlice, BundleSlice(offset: 0, length: 4, content: content).encoded)
    #expect(try entry.bundleSlice() != nil)
    entry.size = 5
    #expect(throws: CairnError.self) { try entry.bundleSlice() }
    entry.size = 4
    entry.blocks = [content, content]
    #expect(throws: CairnError.self) { try entry.bundleSlice() }
    entry.blocks = [content]
    entry.setField(.bundleSlice, [1, 2, 3])
    #expect(throws: CairnError.self) { try entry.bundleSlice() }
  }
}
