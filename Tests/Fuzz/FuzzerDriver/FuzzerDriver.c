#include "FuzzerDriver.h"

#include <stdint.h>

// Defined by libFuzzer (libclang_rt.fuzzer), which `-sanitize=fuzzer` links.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int cairn_fuzzer_run(int argc, char **argv, CairnFuzzTarget target) {
  return LLVMFuzzerRunDriver(&argc, &argv, (int (*)(const uint8_t *, size_t))target);
}
