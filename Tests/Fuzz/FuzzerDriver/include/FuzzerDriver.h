#ifndef CAIRN_FUZZER_DRIVER_H
#define CAIRN_FUZZER_DRIVER_H

#include <stddef.h>

/// The function libFuzzer calls with each input.
typedef int (*CairnFuzzTarget)(const void *_Nonnull data, size_t size);

/// Runs libFuzzer's driver (LLVMFuzzerRunDriver) with the process's arguments
/// and `target`, and returns its exit status.
///
/// SwiftPM links an executable target with `main` aliased to the target's own
/// entry point, so libFuzzer's `main` cannot be used: each harness has a
/// `@main` type that calls this instead.
int cairn_fuzzer_run(int argc, char *_Nullable *_Nonnull argv, CairnFuzzTarget _Nonnull target);

#endif
