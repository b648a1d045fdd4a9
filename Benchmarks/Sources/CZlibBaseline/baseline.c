#include "CZlibBaseline.h"
#include <string.h>
#include <zlib.h>

long long zbaseline_gunzip_count(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_cap) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, 16 + 15) != Z_OK) return -1;
    s.next_in = (unsigned char *)in;
    s.avail_in = (unsigned)in_len;
    long long total = 0;
    for (;;) {
        s.next_out = out;
        s.avail_out = (unsigned)out_cap;
        int rc = inflate(&s, Z_NO_FLUSH);
        total += (long long)(out_cap - s.avail_out);
        if (rc == Z_STREAM_END) {
            if (s.avail_in == 0) break;
            inflateReset(&s);
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            inflateEnd(&s);
            return -1;
        } else if (rc == Z_BUF_ERROR && s.avail_in == 0) {
            break;
        }
    }
    inflateEnd(&s);
    return total;
}

long long zbaseline_gzip(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_cap, int level) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    s.next_in = (unsigned char *)in;
    s.avail_in = (unsigned)in_len;
    s.next_out = out;
    s.avail_out = (unsigned)out_cap;
    int rc = deflate(&s, Z_FINISH);
    long long n = (long long)(out_cap - s.avail_out);
    deflateEnd(&s);
    return rc == Z_STREAM_END ? n : -1;
}
