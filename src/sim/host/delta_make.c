/* `ota delta make`: bsdiff-style matching (C. Percival's algorithm over a suffix array from
 * libdivsufsort) written as a detools sequential patch, compressed with our heatshrink encoder.
 * Host only. Written from the algorithms' descriptions; no code taken from bsdiff or detools. */
#include "ota/sim/ota_delta_make.h"

#include <divsufsort.h>
#include <stdlib.h>
#include <string.h>

#include "formats/ota_delta.h"
#include "ota/ota_err.h"
#include "formats/ota_heatshrink.h"

/* ---------------------------------------------------------------------------------------------
 * Heatshrink encoder
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    uint8_t *buf;
    size_t len;
    uint32_t acc;
    unsigned nbits;
} bit_writer_t;

static void put_bits(bit_writer_t *w, uint32_t value, unsigned n)
{
    for (unsigned i = n; i-- > 0;) {
        w->acc = (w->acc << 1) | ((value >> i) & 1u);
        if (++w->nbits == 8) {
            w->buf[w->len++] = (uint8_t)w->acc;
            w->acc = 0;
            w->nbits = 0;
        }
    }
}

/* Byte @p i of the input as the decoder's window sees it: zeros before the start. */
static inline uint8_t at(const uint8_t *in, ptrdiff_t i)
{
    return i < 0 ? 0 : in[i];
}

int delta_hs_encode(const uint8_t *in, size_t len, unsigned window_bits, unsigned lookahead_bits,
                    uint8_t **out, size_t *out_len)
{
    if (!ota_hs_params_valid(window_bits, lookahead_bits)) {
        return OTA_ERR_DELTA_HS_PARAMS;
    }
    const size_t window = (size_t)1 << window_bits, max_len = (size_t)1 << lookahead_bits;
    const uint32_t ref_cost = 1u + window_bits + lookahead_bits, lit_cost = 9u;
    uint16_t *best_len = malloc((len + 1) * sizeof *best_len);
    uint16_t *best_dist = malloc((len + 1) * sizeof *best_dist);
    uint32_t *cost = malloc((len + 1) * sizeof *cost);
    uint16_t *choice = malloc((len + 1) * sizeof *choice);
    uint8_t *suf = malloc(len + 1), *pre = malloc(len + 1); /* range-minimum offsets, see below */
    /* Last position of each 2-byte value and the chain of earlier ones (ring of window size). */
    int32_t *head = malloc(65536 * sizeof *head);
    int32_t *prev = malloc(window * sizeof *prev);
    uint8_t *buf = malloc(len + len / 8 + 16);
    int rc = OTA_ERR_NO_MEM;
    if (best_len == NULL || best_dist == NULL || cost == NULL || choice == NULL || head == NULL ||
        prev == NULL || buf == NULL || suf == NULL || pre == NULL) {
        goto done;
    }
    for (size_t i = 0; i < 65536; i++) {
        head[i] = INT32_MIN;
    }
    /* The zero-filled window before the start counts as earlier positions -window..-1. */
    for (ptrdiff_t j = -(ptrdiff_t)window; j < 0; j++) {
        unsigned key = (unsigned)at(in, j) << 8 | at(in, j + 1);
        prev[(size_t)j & (window - 1)] = head[key];
        head[key] = (int32_t)j;
    }
    for (size_t i = 0; i < len; i++) {
        size_t limit = len - i < max_len ? len - i : max_len;
        size_t blen = 0, bdist = 0;
        if (i > 0 && best_len[i - 1] > 32) {
            /* Inside a long match: the same distance goes on at least one byte shorter; extend
             * it rather than search again (keeps big windows and lookaheads linear). */
            bdist = best_dist[i - 1];
            blen = best_len[i - 1] - 1u;
            while (blen < limit && at(in, (ptrdiff_t)(i + blen) - (ptrdiff_t)bdist) == in[i + blen]) {
                blen++;
            }
        } else if (limit >= 2) {
            unsigned key = (unsigned)in[i] << 8 | in[i + 1];
            unsigned budget = 1024; /* candidates tried: bounds the time for big windows */
            for (int32_t j = head[key];
                 j != INT32_MIN && (ptrdiff_t)i - j <= (ptrdiff_t)window && budget-- > 0;
                 j = prev[(size_t)j & (window - 1)]) {
                size_t l = 0;
                while (l < limit && at(in, (ptrdiff_t)j + (ptrdiff_t)l) == in[i + l]) {
                    l++;
                }
                if (l > blen) {
                    blen = l;
                    bdist = (size_t)((ptrdiff_t)i - j);
                    if (l == limit || l >= 128) { /* long enough: a reference costs the same */
                        break;
                    }
                }
            }
        }
        best_len[i] = (uint16_t)blen;
        best_dist[i] = (uint16_t)bdist;
        unsigned key = (unsigned)in[i] << 8 | (i + 1 < len ? in[i + 1] : 0);
        prev[i & (window - 1)] = head[key];
        head[key] = (int32_t)i;
    }
    /* Cheapest parse, from the end: cost[i] = bits to code in[i..]. A reference from i may end
     * anywhere in [i+2, i+best_len[i]] at the same price, so it needs the cheapest cost in that
     * range: for ranges within two 128-byte blocks (all of them for lookaheads up to 2^7) that is
     * the cheaper of the block suffix minimum at the start and the block prefix minimum at the
     * end (kept as offsets), which makes the parse linear. */
    enum {
        BLK = 128
    };
    cost[len] = 0;
    suf[len] = 0;
    pre[len] = 0;
    for (size_t i = len; i-- > 0;) {
        uint32_t c = lit_cost + cost[i + 1];
        uint16_t pick = 0;
        size_t a = i + 2, b = i + best_len[i];
        if (best_len[i] >= 2) {
            if (b - a < BLK && a / BLK != b / BLK) {
                size_t k1 = a + suf[a], k2 = b - pre[b];
                size_t k = cost[k2] < cost[k1] ? k2 : k1;
                if (ref_cost + cost[k] < c) {
                    c = ref_cost + cost[k];
                    pick = (uint16_t)(k - i);
                }
            } else {
                /* One block, or a huge lookahead: the longest 256 lengths and the shortest 16. */
                size_t lo = best_len[i] > 256 ? best_len[i] - 255u : 2u;
                for (size_t l = 2; l <= best_len[i]; l = (l == 16 && lo > 17) ? lo : l + 1) {
                    uint32_t cc = ref_cost + cost[i + l];
                    if (cc < c) {
                        c = cc;
                        pick = (uint16_t)l;
                    }
                }
            }
        }
        cost[i] = c;
        choice[i] = pick;
        suf[i] = (uint8_t)((i + 1) % BLK == 0 || cost[i] <= cost[i + 1 + suf[i + 1]] ? 0 : 1 + suf[i + 1]);
        if (i % BLK == 0) {
            size_t end = i + BLK - 1 < len ? i + BLK - 1 : len;
            pre[i] = 0;
            for (size_t j = i + 1; j <= end; j++) {
                pre[j] = (uint8_t)(cost[j] < cost[j - 1 - pre[j - 1]] ? 0 : 1 + pre[j - 1]);
            }
        }
    }
    bit_writer_t w = {.buf = buf};
    for (size_t i = 0; i < len;) {
        if (choice[i] == 0) {
            put_bits(&w, 1, 1);
            put_bits(&w, in[i], 8);
            i++;
        } else {
            put_bits(&w, 0, 1);
            put_bits(&w, best_dist[i] - 1u, window_bits);
            put_bits(&w, choice[i] - 1u, lookahead_bits);
            i += choice[i];
        }
    }
    if (w.nbits > 0) {
        put_bits(&w, 0, 8 - w.nbits); /* zero padding, as heatshrink's encoder */
    }
    *out = buf;
    *out_len = w.len;
    buf = NULL;
    rc = OTA_OK;
done:
    free(best_len);
    free(best_dist);
    free(cost);
    free(choice);
    free(suf);
    free(pre);
    free(head);
    free(prev);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * bsdiff matching
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    bool oom;
} growbuf_t;

static void gb_reserve(growbuf_t *g, size_t more)
{
    if (g->oom || g->len + more <= g->cap) {
        return;
    }
    size_t cap = g->cap ? g->cap : 4096;
    while (cap < g->len + more) {
        cap *= 2;
    }
    uint8_t *p = realloc(g->buf, cap);
    if (p == NULL) {
        g->oom = true;
        return;
    }
    g->buf = p;
    g->cap = cap;
}

static void gb_put_size(growbuf_t *g, int64_t v)
{
    gb_reserve(g, 10);
    if (!g->oom) {
        g->len += ota_delta_put_size(g->buf + g->len, v);
    }
}

static size_t match_len(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen, i = 0;
    while (i < n && a[i] == b[i]) {
        i++;
    }
    return i;
}

/* Longest match of @p nw in @p old among the suffixes SA[st..en] (binary search). */
static size_t bsd_search(const saidx_t *sa, const uint8_t *old, size_t old_len, const uint8_t *nw,
                         size_t nw_len, size_t st, size_t en, size_t *pos)
{
    while (en - st >= 2) {
        size_t x = st + (en - st) / 2;
        size_t ox = (size_t)sa[x];
        size_t n = old_len - ox < nw_len ? old_len - ox : nw_len;
        if (memcmp(old + ox, nw, n) < 0) {
            st = x;
        } else {
            en = x;
        }
    }
    size_t x = match_len(old + sa[st], old_len - (size_t)sa[st], nw, nw_len);
    size_t y = match_len(old + sa[en], old_len - (size_t)sa[en], nw, nw_len);
    if (x > y) {
        *pos = (size_t)sa[st];
        return x;
    }
    *pos = (size_t)sa[en];
    return y;
}

static void emit_chunk(growbuf_t *g, const uint8_t *old, const uint8_t *nw, size_t lastscan, size_t lastpos,
                       size_t lenf, size_t extra, int64_t adjust, delta_make_stats_t *st)
{
    gb_put_size(g, (int64_t)lenf);
    gb_reserve(g, lenf);
    if (!g->oom) {
        for (size_t i = 0; i < lenf; i++) {
            g->buf[g->len++] = (uint8_t)(nw[lastscan + i] - old[lastpos + i]);
        }
    }
    gb_put_size(g, (int64_t)extra);
    gb_reserve(g, extra);
    if (!g->oom) {
        memcpy(g->buf + g->len, nw + lastscan + lenf, extra);
        g->len += extra;
    }
    gb_put_size(g, adjust);
    st->chunks++;
    st->diff_bytes += lenf;
    st->extra_bytes += extra;
}

/* A chunk waiting to be written: an empty chunk that follows (no diff, no extra: bsdiff emits one
 * when a match starts right where the previous ended) only adds its adjustment to it: appliers take
 * empty chunks, but merging them saves their bytes. */
typedef struct {
    bool have;
    size_t lastscan, lastpos, lenf, extra;
    int64_t adjust;
} pending_chunk_t;

static void flush_chunk(growbuf_t *g, const uint8_t *old, const uint8_t *nw, pending_chunk_t *p,
                        delta_make_stats_t *st)
{
    if (p->have && (p->lenf > 0 || p->extra > 0 || p->adjust != 0)) {
        emit_chunk(g, old, nw, p->lastscan, p->lastpos, p->lenf, p->extra, p->adjust, st);
    }
    p->have = false;
}

static void add_chunk(growbuf_t *g, const uint8_t *old, const uint8_t *nw, pending_chunk_t *p,
                      size_t lastscan, size_t lastpos, size_t lenf, size_t extra, int64_t adjust,
                      delta_make_stats_t *st)
{
    if (lenf == 0 && extra == 0 && p->have) {
        p->adjust += adjust;
        return;
    }
    flush_chunk(g, old, nw, p, st);
    *p = (pending_chunk_t){true, lastscan, lastpos, lenf, extra, adjust};
}

/* The chunk stream of a sequential patch: data-format size 0, then (diff, extra, adjustment)s. */
static int make_chunks(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len, growbuf_t *g,
                       delta_make_stats_t *st)
{
    gb_put_size(g, 0);
    if (old_len == 0) {
        emit_chunk(g, old, nw, 0, 0, 0, new_len, 0, st);
        return g->oom ? OTA_ERR_NO_MEM : OTA_OK;
    }
    if (old_len > INT32_MAX) {
        return OTA_ERR_INVALID_SIZE;
    }
    saidx_t *sa = malloc(old_len * sizeof *sa);
    if (sa == NULL || divsufsort(old, sa, (saidx_t)old_len) != 0) {
        free(sa);
        return OTA_ERR_NO_MEM;
    }
    pending_chunk_t pending = {0};
    size_t scan = 0, len = 0, pos = 0, lastscan = 0, lastpos = 0;
    ptrdiff_t lastoffset = 0;
    while (scan < new_len) {
        size_t oldscore = 0;
        size_t scsc;
        for (scsc = scan += len; scan < new_len; scan++) {
            len = bsd_search(sa, old, old_len, nw + scan, new_len - scan, 0, old_len - 1, &pos);
            for (; scsc < scan + len; scsc++) {
                ptrdiff_t o = (ptrdiff_t)scsc + lastoffset;
                if (o >= 0 && (size_t)o < old_len && old[o] == nw[scsc]) {
                    oldscore++;
                }
            }
            if ((len == oldscore && len != 0) || len > oldscore + 8) {
                break;
            }
            ptrdiff_t o = (ptrdiff_t)scan + lastoffset;
            if (o >= 0 && (size_t)o < old_len && old[o] == nw[scan]) {
                oldscore--;
            }
        }
        if (len != oldscore || scan == new_len) {
            /* Extend the previous match forwards and this one backwards, as far as that pays. */
            ptrdiff_t s = 0, sf = 0;
            size_t lenf = 0;
            for (size_t i = 0; lastscan + i < scan && lastpos + i < old_len;) {
                if (old[lastpos + i] == nw[lastscan + i]) {
                    s++;
                }
                i++;
                if (s * 2 - (ptrdiff_t)i > sf * 2 - (ptrdiff_t)lenf) {
                    sf = s;
                    lenf = i;
                }
            }
            size_t lenb = 0;
            if (scan < new_len) {
                ptrdiff_t sb = 0;
                s = 0;
                for (size_t i = 1; scan >= lastscan + i && pos >= i; i++) {
                    if (old[pos - i] == nw[scan - i]) {
                        s++;
                    }
                    if (s * 2 - (ptrdiff_t)i > sb * 2 - (ptrdiff_t)lenb) {
                        sb = s;
                        lenb = i;
                    }
                }
            }
            if (lastscan + lenf > scan - lenb) {
                size_t overlap = (lastscan + lenf) - (scan - lenb), lens = 0;
                ptrdiff_t ss = 0;
                s = 0;
                for (size_t i = 0; i < overlap; i++) {
                    if (nw[lastscan + lenf - overlap + i] == old[lastpos + lenf - overlap + i]) {
                        s++;
                    }
                    if (nw[scan - lenb + i] == old[pos - lenb + i]) {
                        s--;
                    }
                    if (s > ss) {
                        ss = s;
                        lens = i + 1;
                    }
                }
                lenf = lenf + lens - overlap;
                lenb -= lens;
            }
            size_t extra = (scan - lenb) - (lastscan + lenf);
            int64_t adjust = (int64_t)(pos - lenb) - (int64_t)(lastpos + lenf);
            add_chunk(g, old, nw, &pending, lastscan, lastpos, lenf, extra, adjust, st);
            lastscan = scan - lenb;
            lastpos = pos - lenb;
            lastoffset = (ptrdiff_t)pos - (ptrdiff_t)scan;
        }
    }
    flush_chunk(g, old, nw, &pending, st);
    free(sa);
    return g->oom ? OTA_ERR_NO_MEM : OTA_OK;
}

int delta_make(const uint8_t *old, size_t old_len, const uint8_t *new_img, size_t new_len,
               const delta_make_options_t *opt, uint8_t **patch, size_t *patch_len, delta_make_stats_t *stats)
{
    delta_make_options_t o = opt ? *opt : (delta_make_options_t){0};
    unsigned w = o.window_bits ? o.window_bits : 8, l = o.lookahead_bits ? o.lookahead_bits : 7;
    delta_make_stats_t st_local;
    delta_make_stats_t *st = stats ? stats : &st_local;
    memset(st, 0, sizeof *st);
    if (!ota_hs_params_valid(w, l)) {
        return OTA_ERR_DELTA_HS_PARAMS;
    }
    uint8_t base[OTA_DELTA_SHA256_LEN];
    if (o.esp_header) {
        if (o.base_sha256 != NULL) {
            memcpy(base, o.base_sha256, sizeof base);
        } else {
            int err = ota_delta_validation_hash(old, old_len, base, NULL);
            if (err != OTA_OK) {
                return err;
            }
        }
    }
    growbuf_t chunks = {0};
    int rc = OTA_OK;
    if (new_len > 0) {
        rc = make_chunks(old, old_len, new_img, new_len, &chunks, st);
    }
    st->uncompressed_bytes = chunks.len;
    uint8_t *comp = NULL;
    size_t comp_len = 0;
    if (rc == OTA_OK && new_len > 0) {
        rc = delta_hs_encode(chunks.buf, chunks.len, w, l, &comp, &comp_len);
    }
    free(chunks.buf);
    if (rc != OTA_OK) {
        return rc;
    }
    uint8_t *p = malloc(OTA_DELTA_HEADER_MAX + comp_len);
    if (p == NULL) {
        free(comp);
        return OTA_ERR_NO_MEM;
    }
    size_t n = 0;
    if (o.esp_header) {
        /* esp_delta_ota_patch_gen.py: magic, the base's validation hash (what esptool image_info
         * prints as "Validation Hash: ... (valid)"), zero padding to 64 bytes. */
        memset(p, 0, OTA_DELTA_ESP_HEADER_LEN);
        p[0] = (uint8_t)OTA_DELTA_ESP_MAGIC;
        p[1] = (uint8_t)(OTA_DELTA_ESP_MAGIC >> 8);
        p[2] = (uint8_t)(OTA_DELTA_ESP_MAGIC >> 16);
        p[3] = (uint8_t)(OTA_DELTA_ESP_MAGIC >> 24);
        memcpy(p + 4, base, OTA_DELTA_SHA256_LEN);
        n = OTA_DELTA_ESP_HEADER_LEN;
    }
    p[n++] = (uint8_t)(OTA_DELTA_PATCH_TYPE_SEQUENTIAL << 4 | OTA_DELTA_COMPRESSION_HEATSHRINK);
    n += ota_delta_put_size(p + n, (int64_t)new_len);
    if (new_len > 0) {
        p[n++] = (uint8_t)((w - 4) << 4 | (l - 3));
        memcpy(p + n, comp, comp_len);
        n += comp_len;
    }
    free(comp);
    *patch = p;
    *patch_len = n;
    return OTA_OK;
}
