#ifndef CFILESHIMS_H
#define CFILESHIMS_H

/// syncfs(2), which glibc declares only under _GNU_SOURCE.
int cairn_syncfs(int fd);

/// renameat2(2) with RENAME_NOREPLACE: fails with EEXIST instead of replacing.
int cairn_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

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

#endif
