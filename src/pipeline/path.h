/* The pipeline (not public API): one item's data path, source -> stages -> checker -> verifiers
 * -> target (include/ota/ota_path.h), with a small look-ahead buffer (so the checker can inspect
 * the first bytes before anything is erased), the partition writer as target, progress and
 * cancellation. A procedure opens it (ota_item_open) with the events of the engine that drives it;
 * the pipeline never calls the engine (src/service) otherwise: dependencies run one way,
 * service -> pipeline -> {stages, writer, source}.
 *
 * Files (src/pipeline/): path.c the object (open/close, input from the source, verifier list,
 * refusals), path_api.c the public ota_path_* wrappers, stages.c the stage driver (the chain's
 * buffers), resume.c resuming an interrupted install (and ota_item_put, which checkpoints),
 * stages_resume.c the stages' side of it, run.c the loop (check, next, one step), target.c the
 * target over the partition writer; the built-in pieces: stage_decrypt.c, stage_delta.c,
 * verifier_image.c, verifier_sig.c, the feature objects (features.c) and the refusals without
 * them (feature_absent.c). */
#ifndef OTA_PIPELINE_PATH_H
#define OTA_PIPELINE_PATH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_checker.h"
#include "ota/ota_path.h"
#include "ota/ota_service.h"
#include "ota/ota_stage.h"
#include "target.h"
#include "ota/ota_verifier.h"
#include "partition_writer.h"

/* Enough for an app image's header + first segment header + app description (288 bytes) and a
 * tone image's header + format-1 description (264 bytes): the first bytes a checker inspects. */
#define OTA_ITEM_PEEK_MAX OTA_CHECKER_PEEK_MAX

/* Verifiers one item can have (the procedure's own and the user's). */
#define OTA_ITEM_VERIFIERS_MAX 4u

struct ota_path;

/* How the pipeline reports to, and asks, whoever drives it (the engine: src/service/service.c
 * fills one for its items). Given when the item is opened; the pipeline calls nothing else above it. */
typedef struct {
    /** Open the item's source (ota_service_config_t.open_source with its ctx). */
    int (*open_source)(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                       const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *info);
    /** The streaming work buffer (one per engine). */
    uint8_t *(*work_buffer)(void *ctx, size_t *size);
    /** PROGRESS, rate-limited unless @p force. */
    void (*progress)(void *ctx, uint64_t bytes, int64_t total, bool force);
    /** The HTTP status (0: keep) and detail text (printf-style) of the item's RESULT event.
     *  Returns the text as kept (for the log line of a refusal: no copy on the item's stack). */
    const char *(*detail)(void *ctx, int http_status, const char *fmt, va_list ap);
    /** True once the run is to stop (the item fails OTA_ERR_CANCELLED at its next read). */
    bool (*cancelled)(void *ctx);
    /** After a chunk of ota_item_stream: true when the driver takes over the loop and calls
     *  ota_path_step once per step of its own (ota_service_step); false: loop to the end. */
    bool (*yield)(void *ctx, struct ota_path *path);
    /** The checker is about to run on a stream of @p total bytes (-1: unknown): get_progress's
     *  total (ESP-ADF's esp_ota_service_get_progress). May be NULL. */
    void (*checking)(void *ctx, int64_t total);
    /** True in a check-only run (ESP-ADF's check_update): nothing may be written, whatever a
     *  procedure's need_upgrade does. May be NULL (never). */
    bool (*check_only)(void *ctx);
} ota_path_events_t;

/* The stages of an item and their buffers (allocated with the first stage: none, no cost). The
 * buffers are slices of the service's work buffer: the stream's bytes, then one output area per
 * stage. Each area holds [pos, len) not yet taken by the next stage (or the writer). */
typedef struct {
    ota_stage_t stage[OTA_STAGE_MAX];
    size_t count;
    bool started; /* areas laid out, stages reset */
    uint8_t *raw; /* stream bytes read from the source */
    size_t raw_cap, raw_len, raw_pos;
    uint8_t *area[OTA_STAGE_MAX];
    size_t cap[OTA_STAGE_MAX], len[OTA_STAGE_MAX], pos[OTA_STAGE_MAX];
    bool done[OTA_STAGE_MAX]; /* finish() reported the end */
    bool source_ended;
    size_t lead;       /* stream bytes in item->peek that are the first input */
    uint64_t produced; /* output bytes the last stage produced (peek included) */
    uint64_t out_size; /* the output's size if a stage knows it (a patch's new size), 0 */
    /* resume: the stage record of the checkpoint being resumed from */
    bool resume_ok;
    ota_journal_stage_t resume_rec;
    bool forwarded;                 /* resume: the stream was read again for the first stage */
    size_t forward_pend;            /* its output kept for the next stage (stage_forward) */
    uint32_t spill_cur, spill_next; /* resume: where the journal's spill sectors take the next record */
    /* Record state (state_cap bytes; scratch when checkpointing) and the encoded stage record
     * (programmed into the journal slot by slot's worth), one block sized by ota_stages_buffers:
     * a chain without a RESUME_STATE stage (decrypt) saves a few bytes, not the 1 KiB a delta
     * applier's state may take, and a resume decodes records of any length. */
    uint8_t *state;
    size_t state_cap;
    uint8_t *rec;
} ota_item_stages_t;

typedef struct ota_path {
    const ota_path_events_t *events; /* the driver's (ota_item_open) */
    void *events_ctx;
    ota_device_t *device;
    const char *tag;             /* log tag of the procedure ("OTA_DEFAULT") */
    const char *uri;             /* the node's URI (owned by the service's list) */
    ota_source_config_t src_cfg; /* as the source was opened (for a reopen at the resume point) */
    ota_source_t *source;
    int64_t total;     /* stream size if known, else -1 */
    uint64_t consumed; /* stream bytes read from the source (without stages: handed out) */
    uint64_t out_pos;  /* output bytes handed to the writer side (with stages) */
    uint8_t peek[OTA_ITEM_PEEK_MAX];
    uint16_t peek_len; /* bytes in peek[]: stream bytes, or output bytes with stages */
    uint16_t peek_pos; /* bytes of peek[] already handed out */
    /* small fields together (the item is allocated with every procedure context) */
    uint8_t verifiers;        /* entries of verifier[] in use */
    int8_t failed_verifier;   /* index of the verifier that failed last, -1 none */
    bool detail_write_errors; /* a write error's text goes to the RESULT detail (the app's way) */
    bool bounded;             /* the source was opened for sector 0 only (see ota_item_open) */
    ota_partition_t target;
    ota_partition_writer_t writer;
    uint8_t *first_sector; /* the writer's RAM sector (sector_size bytes, allocated) */
    ota_checker_t checker; /* name NULL: none */
    ota_verifier_t verifier[OTA_ITEM_VERIFIERS_MAX];
    ota_item_stages_t *stages;  /* NULL: no stages */
    int (*activate)(void *ctx); /* after sector 0 is committed (the app: switch otadata); may be NULL */
    void *activate_ctx;
    ota_journal_checkpoint_t resume; /* checkpoint being resumed from (bytes_written 0: none) */
    uint32_t checkpoint_every;       /* bytes between checkpoints (a multiple of the sector size) */
    uint32_t next_checkpoint;
    uint16_t chunk;      /* the loop's piece (ota_item_stream), 0: the work buffer; kept for ota_path_step */
    int16_t pending_err; /* a source error (every OTA_ERR_* fits) that arrived after some bytes of a read */
    /* the target's version floor, kept in the install journal (ota_install_journal.h); NULL none.
     * The procedure's string (a pointer: no item grows by a version it may not have). */
    const char *journal_floor;
    /* who keeps it (the signature feature's ota_pw_floors), NULL: not kept (journal_floor NULL) */
    const struct ota_pw_floors *floors;
    /* the loop's callback (ota_item_stream), kept for ota_path_step when the driver steps it */
    void (*on_chunk)(struct ota_path *item, uint32_t at, size_t n);
} ota_item_t;

/**
 * Allocate the item's buffers and open @p node's URI with @p source (cert_pem of the node wins),
 * reporting through @p events (with @p events_ctx). @p target (may be NULL) is the partition the
 * item will write: if it holds an interrupted install of this URI, the first request asks only
 * for its sector 0 (the rest is on flash; see ota_item_read).
 */
int ota_item_open(ota_item_t *item, const ota_path_events_t *events, void *events_ctx, ota_device_t *device,
                  const ota_source_config_t *source, const ota_node_attr_t *node, const char *tag,
                  const ota_partition_info_t *target);
/** Next stream bytes straight from the source (not counted in item->consumed); reopens the rest of
 *  a sector-0-only request when the install is not resumed after all. */
int ota_item_input(ota_item_t *item, void *buf, size_t len);

/** Close the source and free the buffers (keeps the struct). */
void ota_item_close(ota_item_t *item);

/** Attach the HTTP status (0: keep) and a detail text to the item's RESULT event. */
void ota_item_detail(ota_item_t *item, int http_status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** The driver's work buffer. */
static inline uint8_t *ota_item_work_buffer(const ota_item_t *item, size_t *size)
{
    return item->events->work_buffer(item->events_ctx, size);
}

/** Reset / feed / snapshot every verifier, in order (path.c). feed records which one failed. */
int ota_item_verifiers_reset(ota_item_t *item);
int ota_item_verifiers_feed(ota_item_t *item, const uint8_t *data, size_t len);
/** The digest a checkpoint records: the first verifier that snapshots (OTA_ERR_NOT_SUPPORTED: none). */
int ota_item_verifiers_snapshot(ota_item_t *item, uint64_t *fed, uint8_t digest[32]);

/** The install journal header for this item (size, URI id, ETag if it fits; resume.c). */
void ota_item_journal_header(const ota_item_t *item, ota_journal_header_t *out);
/** At the end of sector 0 of an install being resumed: jump to the checkpoint, or start over
 *  (resume.c). @p buf is scratch. */
int ota_item_resume_at_sector0(ota_item_t *item, uint8_t *buf, size_t len);
/** The image as it will be after the commit: sector 0 from RAM, the rest from flash (@p arg: the
 *  partition writer; run.c). */
int ota_item_staged_read(void *arg, uint32_t off, void *buf, size_t len);

/** Make sure the first @p len stream bytes are in item->peek (len <= OTA_ITEM_PEEK_MAX). Returns
 * OTA_OK, OTA_ERR_IMG_TRUNCATED if the stream is shorter, or the source's error. Without stages. */
int ota_item_peek(ota_item_t *item, size_t len);

/**
 * Run the checker: decode ahead (through the stages, if any) until item->peek holds its peek_len
 * output bytes or the output ended, then call it. Nothing is erased. OTA_OK without a checker.
 */
int ota_item_check(ota_item_t *item);

/** Append a verifier (OTA_ERR_NO_MEM when full). */
int ota_item_add_verifier(ota_item_t *item, const ota_verifier_t *verifier);

/**
 * Start writing into item->target (which the procedure has set): a fresh install, or the
 * continuation of an interrupted one of the same image (see partition_writer.h). Resets the
 * verifiers.
 */
int ota_item_begin_write(ota_item_t *item);

/** Feed output bytes to the verifiers, then write them (begins the write at the first byte) and
 * checkpoint at sector boundaries when due (resume.c). */
int ota_item_put(ota_item_t *item, const uint8_t *data, size_t len);

/**
 * Next stream bytes (no stages): the unread peeked ones first, then the source. > 0, 0 at end,
 * < 0 error. Reads stop at sector boundaries (so checkpoints fall on them); when an install is
 * being resumed, the read after sector 0 replays the flash prefix through the verifiers, checks
 * it against the checkpoint and continues the source at the checkpoint.
 */
int ota_item_read(ota_item_t *item, void *buf, size_t len);

/**
 * Next output bytes, at most @p max, as a view valid until the next call: without stages read
 * into @p buf, with stages a view into the last stage's area. Stops at sector boundaries of the
 * output; handles the resume jump like ota_item_read. > 0, 0 at end (stages finished), < 0 error.
 */
int ota_item_next(ota_item_t *item, uint8_t *buf, size_t max, const uint8_t **out);

/** Read exactly @p len output bytes (OTA_ERR_IMG_TRUNCATED if the stream ends first). */
int ota_item_read_exact(ota_item_t *item, void *buf, size_t len);

/**
 * The common execute loop: ota_item_next -> ota_item_put in pieces of at most @p chunk bytes
 * (bounded by the work buffer; 0 or over 65535: the work buffer's size), calling @p on_chunk (may
 * be NULL) after each with the item (the procedure's context starts with it) and at = output
 * offset before the piece; then every verifier's finish.
 * Returns OTA_OK, or the first error (the verifier's message is attached to the RESULT event).
 */
int ota_item_stream(ota_item_t *item, size_t chunk,
                    void (*on_chunk)(ota_item_t *item, uint32_t at, size_t n));

/* ota_item_stream's positive return when the driver took over the loop after the first chunk
 * (events->yield said so); the caller returns it unchanged and the driver calls ota_path_step. */
#define OTA_ITEM_STREAM_DEFERRED 1

/* One more chunk of a stream the driver took over: 1 while more remains, OTA_OK once the stream
 * ended and the verifiers' finish() passed (with a forced 100 % PROGRESS), or an error. */
int ota_path_step(ota_item_t *item);

/* The item's progress counters: output bytes handed to the target side and stream bytes taken
 * from the source (the PROGRESS event's bytes), and the stream's size (-1 unknown). */
void ota_path_progress(const ota_item_t *item, uint64_t *stream_bytes, int64_t *total);

/** Output bytes handed out so far (stream bytes without stages). */
static inline uint64_t ota_item_position(const ota_item_t *item)
{
    return item->stages != NULL ? item->out_pos : item->consumed;
}

/** Stream offset consumed by the first stage (for a checkpoint): what was read, less what is
 *  buffered for it. */
static inline uint64_t ota_stages_source_offset(const ota_item_t *item)
{
    return item->consumed - (item->stages->raw_len - item->stages->raw_pos);
}

/** Progress against item->total: stream bytes consumed (with stages: by the first stage, else
 *  @p without_stages; run.c). */
uint64_t ota_item_stream_position(const ota_item_t *item, uint64_t without_stages);

/** The target: the item's partition writer (commit = write sector 0, then item->activate). */
void ota_item_target(ota_item_t *item, ota_target_t *out);

/** Log why the item is refused and attach it to the RESULT event; returns @p err. */
int ota_item_refuse(ota_item_t *item, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Refuse the item because its output of @p size bytes (decrypted when it has stages) is larger
 *  than its target partition (the check every procedure makes before the first erase).
 *  @return OTA_ERR_IMG_TOO_LARGE. */
int ota_item_refuse_too_large(ota_item_t *item, int64_t size);

/* --- stages (stages.c; their resume side in stages_resume.c) --------------------------------- *
 * The stage driver is linked only by a firmware that inserts a stage: only ota_stages_insert*
 * (reached from the decryption and delta features and ota_path_insert_stage) refer to it by name.
 * The loop that every firmware links (run.c, resume.c) calls the driver's entry points marked
 * OTA_STAGE_DRIVER below by weak reference, and only when item->stages is set, which only
 * ota_stages_insert does: without a stage the references stay unresolved (0) and the driver is
 * not linked from the library archive; with one, stages.c and stages_resume.c (stages.c calls
 * ota_stages_buffers) are linked and the references resolve to them. */
#ifndef OTA_STAGE_DRIVER_IMPL
#define OTA_STAGE_DRIVER __attribute__((weak))
#else
#define OTA_STAGE_DRIVER /* the definitions themselves are ordinary (stages.c, stages_resume.c) */
#endif

/** The source for the stages: up to @p len stream bytes (counted in item->consumed). */
int ota_item_source_read(ota_item_t *item, void *buf, size_t len);

/** Fill the peek with output bytes up to @p len or the end (*ended). */
OTA_STAGE_DRIVER int ota_stages_peek(ota_item_t *item, size_t len, bool *ended);
/** Next output bytes with stages (see ota_item_next). */
OTA_STAGE_DRIVER int ota_stages_next(ota_item_t *item, size_t max, const uint8_t **out);
/** True if a checkpoint may be taken now: every stage resumable, nothing buffered between them. */
OTA_STAGE_DRIVER bool ota_stages_at_clean_cut(const ota_item_t *item);
/** The chain id of the item's stages. */
OTA_STAGE_DRIVER uint32_t ota_stages_chain_id(const ota_item_t *item);
/** Make st->state hold at least @p need bytes (at most OTA_JOURNAL_STAGE_STATE_MAX) and st->rec
 *  their encoded record; a smaller buffer is replaced (its contents are not kept). OTA_OK,
 *  OTA_ERR_INVALID_SIZE (@p need too large) or OTA_ERR_NO_MEM. */
int ota_stages_buffers(ota_item_stages_t *st, size_t need);
/** The state bytes a checkpoint of the item's current stage chain can take. */
size_t ota_stages_state_need(const ota_item_stages_t *st);
/** Save every stage's state into item->stages->state (u16 len + bytes each); sets *len. */
int ota_stages_save(ota_item_t *item, size_t *len);
/** Can the interrupted install in the partition be resumed with these stages (the same chain, and
 *  the stage record of its last checkpoint readable)? Reads sector 0 into item->first_sector. */
OTA_STAGE_DRIVER bool ota_stages_resume_possible(ota_item_t *item, const ota_journal_header_t *journal);
/** Append the stages' record to the journal, before a checkpoint at @p written output bytes.
 *  @return OTA_OK; OTA_ERR_NOT_FOUND (no room: no checkpoint this time); flash errors. */
OTA_STAGE_DRIVER int ota_stages_record(ota_item_t *item, uint32_t written);
/** Restore (reset + restore) or rebuild the stages for a resume at output offset @p at. */
OTA_STAGE_DRIVER int ota_stages_restore(ota_item_t *item, uint32_t at, uint8_t *scratch, size_t scratch_size);
/** The checks a stage must pass to be added (required functions for its resume kind). */
bool ota_stage_valid(const ota_stage_t *stage);
/** Insert @p stage at @p index (>= count appends) of an item whose stream has not been read. */
int ota_stages_insert(ota_item_t *item, size_t index, const ota_stage_t *stage);
/** Put @p stage in front of an item without stages whose stream has only been peeked: the peeked
 * bytes become its first input (the delta stage, recognised from them). */
int ota_stages_insert_after_peek(ota_item_t *item, const ota_stage_t *stage);
/** Put @p stage after the others once their output's first bytes were peeked (a decrypted
 * stream that is a patch): the peeked bytes become its first input. */
int ota_stages_append_after_peek(ota_item_t *item, const ota_stage_t *stage);
/** Reopen the item's source at stream byte @p offset (same resource: size and ETag). */
int ota_item_source_seek(ota_item_t *item, uint64_t offset);
/** Forget buffered bytes (the source is reopened elsewhere); produced/out_pos become @p at. */
OTA_STAGE_DRIVER void ota_stages_jump(ota_item_t *item, uint64_t at);

#endif /* OTA_PIPELINE_PATH_H */
