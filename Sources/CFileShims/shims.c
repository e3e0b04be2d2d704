// Linux calls that glibc hides behind _GNU_SOURCE, so Swift cannot see them directly.
#define _GNU_SOURCE
#include "CFileShims.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

int cairn_syncfs(int fd) { return syncfs(fd); }

int cairn_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
  return renameat2(olddirfd, oldpath, newdirfd, newpath, RENAME_NOREPLACE);
}

int cairn_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
