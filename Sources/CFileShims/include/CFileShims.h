#ifndef CFILESHIMS_H
#define CFILESHIMS_H

/// syncfs(2), which glibc declares only under _GNU_SOURCE.
int cairn_syncfs(int fd);

/// renameat2(2) with RENAME_NOREPLACE: fails with EEXIST instead of replacing.
int cairn_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

/// mallopt(M_MMAP_THRESHOLD, bytes): malloc.h is not part of Swift's Glibc module.
int cairn_set_mmap_threshold(int bytes);

#endif
