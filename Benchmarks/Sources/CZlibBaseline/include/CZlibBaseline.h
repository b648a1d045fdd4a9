#ifndef CZLIB_BASELINE_H
#define CZLIB_BASELINE_H
#include <stddef.h>

/// Inflates a whole gzip file (all members) into `out`, reusing it as a ring: returns the number of
/// decompressed bytes, or -1 on error. The reference rate for "gzip input at >= 85 % of zlib".
long long zbaseline_gunzip_count(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_cap);

/// Compresses `in` as one gzip member at `level` into `out`; returns the size, or -1.
long long zbaseline_gzip(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_cap, int level);
#endif
