#ifndef CWARDSHIMS_H
#define CWARDSHIMS_H
#include <stddef.h>

// glibc declares these only under _GNU_SOURCE, so Swift's Glibc module does not see them.
// Prototypes only: the implementations are glibc's runtime-dispatched SIMD versions.
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);
extern void *memrchr(const void *s, int c, size_t n);
#endif
