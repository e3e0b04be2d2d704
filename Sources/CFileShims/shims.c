// Linux calls that glibc hides behind _GNU_SOURCE, so Swift cannot see them directly.
#define _GNU_SOURCE
#include "CFileShims.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <unistd.h>

int cairn_syncfs(int fd) { return syncfs(fd); }

int cairn_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
  return renameat2(olddirfd, oldpath, newdirfd, newpath, RENAME_NOREPLACE);
}

int cairn_open_unnamed(int dirfd, unsigned int mode) {
  return openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, (mode_t)mode);
}

// Set once AT_EMPTY_PATH was refused and /proc/self/fd linked instead: before Linux 6.10,
// AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH. From then on, /proc/self/fd first.
static int link_through_proc = 0;

void cairn_link_unnamed_through_proc(void) { __atomic_store_n(&link_through_proc, 1, __ATOMIC_RELAXED); }

int cairn_link_unnamed(int fd, int newdirfd, const char *newpath) {
  if (!__atomic_load_n(&link_through_proc, __ATOMIC_RELAXED)) {
    int result = linkat(fd, "", newdirfd, newpath, AT_EMPTY_PATH);
    // ENOENT: refused for want of privilege (an unnamed file cannot be gone while open).
    if (result == 0 || errno != ENOENT) return result;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int result = linkat(AT_FDCWD, path, newdirfd, newpath, AT_SYMLINK_FOLLOW);
  if (result == 0) __atomic_store_n(&link_through_proc, 1, __ATOMIC_RELAXED);
  return result;
}

long cairn_flistxattr(int fd, char *list, unsigned long size) { return flistxattr(fd, list, size); }

long cairn_llistxattr(const char *path, char *list, unsigned long size) { return llistxattr(path, list, size); }

long cairn_fgetxattr(int fd, const char *name, void *value, unsigned long size) {
  return fgetxattr(fd, name, value, size);
}

long cairn_lgetxattr(const char *path, const char *name, void *value, unsigned long size) {
  return lgetxattr(path, name, value, size);
}

int cairn_fsetxattr(int fd, const char *name, const void *value, unsigned long size) {
  return fsetxattr(fd, name, value, size, 0);
}

int cairn_lsetxattr(const char *path, const char *name, const void *value, unsigned long size) {
  return lsetxattr(path, name, value, size, 0);
}

long long cairn_seek_data_or_hole(int fd, long long offset, int hole) {
  return lseek(fd, offset, hole ? SEEK_HOLE : SEEK_DATA);
}

int cairn_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }

int cairn_set_trim_threshold(int bytes) { return mallopt(M_TRIM_THRESHOLD, bytes); }

int cairn_advise_huge_pages(void *address, unsigned long length) {
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t start = ((uintptr_t)address + huge - 1) & ~(huge - 1);
  uintptr_t end = ((uintptr_t)address + length) & ~(huge - 1);
  if (end <= start) return 0;
  return madvise((void *)start, end - start, MADV_HUGEPAGE);
}
