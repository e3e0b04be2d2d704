#ifndef CFILESHIMS_H
#define CFILESHIMS_H

/// syncfs(2), which glibc declares only under _GNU_SOURCE.
int cairn_syncfs(int fd);

/// renameat2(2) with RENAME_NOREPLACE: fails with EEXIST instead of replacing.
int cairn_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

/// openat(2) with O_TMPFILE: an unnamed regular file in the directory `dirfd`, write-only,
/// close-on-exec, that a later `cairn_link_unnamed` gives its name.
int cairn_open_unnamed(int dirfd, unsigned int mode);

/// Gives the unnamed file `fd` the name `newpath` in `newdirfd` with linkat(2): with
/// AT_EMPTY_PATH (Linux 6.10 and later, or with CAP_DAC_READ_SEARCH), else through
/// /proc/self/fd, which resolves a path on every call (2% of a restore's CPU on 6.18).
/// Fails with EEXIST when the name is taken: never replaces.
int cairn_link_unnamed(int fd, int newdirfd, const char *newpath);

/// Makes `cairn_link_unnamed` go through /proc/self/fd from now on, as after a refusal of
/// AT_EMPTY_PATH (for tests, on kernels that would not refuse it).
void cairn_link_unnamed_through_proc(void);

// Extended attributes (<sys/xattr.h>, which Swift's Glibc module does not include).
long cairn_flistxattr(int fd, char *list, unsigned long size);
long cairn_llistxattr(const char *path, char *list, unsigned long size);
long cairn_fgetxattr(int fd, const char *name, void *value, unsigned long size);
long cairn_lgetxattr(const char *path, const char *name, void *value, unsigned long size);
int cairn_fsetxattr(int fd, const char *name, const void *value, unsigned long size);
int cairn_lsetxattr(const char *path, const char *name, const void *value, unsigned long size);

/// lseek(2) with SEEK_DATA (`hole` 0) or SEEK_HOLE (`hole` 1), which glibc declares only under _GNU_SOURCE.
long long cairn_seek_data_or_hole(int fd, long long offset, int hole);

/// mallopt(M_MMAP_THRESHOLD, bytes): malloc.h is not part of Swift's Glibc module.
int cairn_set_mmap_threshold(int bytes);

/// mallopt(M_TRIM_THRESHOLD, bytes).
int cairn_set_trim_threshold(int bytes);

/// madvise(2) with MADV_HUGEPAGE on the 2 MiB-aligned part of [address, address + length):
/// asks the kernel to back it with transparent huge pages when first touched. Returns 0 when
/// that part is empty (nothing to advise) and -1 with errno when madvise fails.
int cairn_advise_huge_pages(void *address, unsigned long length);

#endif
