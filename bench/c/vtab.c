/* The C contender of the virtual-table benchmarks (bench/run-vtab.sh):
 * what a C programmer writes against the SQLite C API, mirrored by
 * bench/vtab/ferrolite and bench/vtab/rusqlite workload by workload.
 *
 *   bench-vtab-c WORKLOAD N
 *
 * prints WORKLOAD<TAB>nanoseconds<TAB>checksum<TAB>cpu_ns=... . The timed
 * part runs inside bench_measured(), which `valgrind --tool=callgrind
 * --toggle-collect=bench_measured` uses to count only the workload.
 *
 * Workloads (N is the row count of the scans, 1,000,000 in a full run):
 *   scan_cmodule  SELECT sum(value) FROM cseq: a C eponymous virtual table
 *                 over an int64 array of N values (the module below)
 *   scan_carray   SELECT sum(value) FROM carray(?1), the same array bound
 *                 with sqlite3_carray_bind (SQLITE_STATIC)
 *   in_carray     ITERS x SELECT count(*), sum(v) FROM t WHERE id IN
 *                 carray(?1): 10,000 ids against a 100,000-row table
 *   in_params     the same with IN (?,?,...,?) built, prepared, bound and
 *                 finalized for each query
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite3.h"

typedef uint64_t u64;
typedef int64_t i64;

#define IN_ROWS 100000
#define IN_IDS 10000
#define ITERS 20

static void die(const char *what, sqlite3 *db) {
    fprintf(stderr, "bench-vtab-c: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
    exit(2);
}

static u64 now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static u64 cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static sqlite3 *open_db(void) {
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                SQLITE_OPEN_URI;
    if (sqlite3_open_v2(":memory:", &db, flags, NULL) != SQLITE_OK) die("open", db);
    sqlite3_extended_result_codes(db, 1);
    return db;
}

static void exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bench-vtab-c: %s: %s\n", sql, err);
        exit(2);
    }
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(sql, db);
    return st;
}

/* The same data in every contender. */
static i64 gen(u64 k) { return (i64)((k * 2654435761ull) % 1000000007ull); }
static i64 in_id(u64 j) { return (i64)((j * 7919u) % IN_ROWS + 1); }

/* ------------------------------------------------------ the C module */

typedef struct {
    const i64 *a;
    i64 n;
} Seq;

typedef struct {
    sqlite3_vtab base;
    const Seq *seq;
} SeqTab;

typedef struct {
    sqlite3_vtab_cursor base;
    const i64 *a;
    i64 n, row;
} SeqCursor;

static int seqConnect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                      sqlite3_vtab **pp, char **err) {
    (void)argc; (void)argv; (void)err;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(value INTEGER)");
    if (rc != SQLITE_OK) return rc;
    SeqTab *t = sqlite3_malloc(sizeof(*t));
    if (!t) return SQLITE_NOMEM;
    memset(t, 0, sizeof(*t));
    t->seq = aux;
    *pp = &t->base;
    return SQLITE_OK;
}
static int seqDisconnect(sqlite3_vtab *t) { sqlite3_free(t); return SQLITE_OK; }
static int seqBestIndex(sqlite3_vtab *t, sqlite3_index_info *info) {
    info->estimatedCost = (double)((SeqTab *)t)->seq->n;
    info->estimatedRows = ((SeqTab *)t)->seq->n;
    return SQLITE_OK;
}
static int seqOpen(sqlite3_vtab *t, sqlite3_vtab_cursor **pp) {
    SeqCursor *c = sqlite3_malloc(sizeof(*c));
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof(*c));
    c->a = ((SeqTab *)t)->seq->a;
    c->n = ((SeqTab *)t)->seq->n;
    *pp = &c->base;
    return SQLITE_OK;
}
static int seqClose(sqlite3_vtab_cursor *c) { sqlite3_free(c); return SQLITE_OK; }
static int seqFilter(sqlite3_vtab_cursor *c, int idxNum, const char *idxStr, int argc,
                     sqlite3_value **argv) {
    (void)idxNum; (void)idxStr; (void)argc; (void)argv;
    ((SeqCursor *)c)->row = 0;
    return SQLITE_OK;
}
static int seqNext(sqlite3_vtab_cursor *c) { ((SeqCursor *)c)->row++; return SQLITE_OK; }
static int seqEof(sqlite3_vtab_cursor *c) {
    return ((SeqCursor *)c)->row >= ((SeqCursor *)c)->n;
}
static int seqColumn(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int i) {
    (void)i;
    SeqCursor *s = (SeqCursor *)c;
    sqlite3_result_int64(ctx, s->a[s->row]);
    return SQLITE_OK;
}
static int seqRowid(sqlite3_vtab_cursor *c, sqlite3_int64 *r) {
    *r = ((SeqCursor *)c)->row + 1;
    return SQLITE_OK;
}

static const sqlite3_module seqModule = {
    .iVersion = 1,
    .xCreate = NULL, /* eponymous only */
    .xConnect = seqConnect,
    .xBestIndex = seqBestIndex,
    .xDisconnect = seqDisconnect,
    .xDestroy = seqDisconnect,
    .xOpen = seqOpen,
    .xClose = seqClose,
    .xFilter = seqFilter,
    .xNext = seqNext,
    .xEof = seqEof,
    .xColumn = seqColumn,
    .xRowid = seqRowid,
};

/* ------------------------------------------------------- workloads */

__attribute__((noinline)) u64 bench_measured(u64 (*f)(void *), void *arg) {
    u64 r = f(arg);
    __asm__ volatile("" ::: "memory");
    return r;
}

typedef struct {
    sqlite3 *db;
    i64 *a;
    i64 n;
    i64 *ids;
} Args;

static u64 one_row_sum(sqlite3_stmt *st, sqlite3 *db) {
    if (sqlite3_step(st) != SQLITE_ROW) die("step", db);
    u64 ck = (u64)sqlite3_column_int64(st, 0);
    if (sqlite3_column_count(st) > 1) ck += (u64)sqlite3_column_int64(st, 1);
    return ck;
}

static u64 w_scan_cmodule(void *p) {
    Args *a = p;
    sqlite3_stmt *st = prepare(a->db, "SELECT sum(value) FROM cseq");
    u64 ck = one_row_sum(st, a->db);
    sqlite3_finalize(st);
    return ck;
}

static u64 w_scan_carray(void *p) {
    Args *a = p;
    sqlite3_stmt *st = prepare(a->db, "SELECT sum(value) FROM carray(?1)");
    if (sqlite3_carray_bind(st, 1, a->a, (int)a->n, SQLITE_CARRAY_INT64, SQLITE_STATIC) !=
        SQLITE_OK)
        die("carray_bind", a->db);
    u64 ck = one_row_sum(st, a->db);
    sqlite3_finalize(st);
    return ck;
}

static u64 w_in_carray(void *p) {
    Args *a = p;
    u64 ck = 0;
    sqlite3_stmt *st =
        prepare(a->db, "SELECT count(*), sum(v) FROM t WHERE id IN carray(?1)");
    for (int it = 0; it < ITERS; it++) {
        if (sqlite3_carray_bind(st, 1, a->ids, IN_IDS, SQLITE_CARRAY_INT64, SQLITE_STATIC) !=
            SQLITE_OK)
            die("carray_bind", a->db);
        ck += one_row_sum(st, a->db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return ck;
}

static u64 w_in_params(void *p) {
    Args *a = p;
    u64 ck = 0;
    for (int it = 0; it < ITERS; it++) {
        /* "SELECT ... IN (" + "?," x n + ")" */
        const char *head = "SELECT count(*), sum(v) FROM t WHERE id IN (";
        size_t hl = strlen(head);
        char *sql = malloc(hl + 2 * IN_IDS + 2);
        memcpy(sql, head, hl);
        char *q = sql + hl;
        for (int j = 0; j < IN_IDS; j++) {
            *q++ = '?';
            *q++ = j + 1 < IN_IDS ? ',' : ')';
        }
        *q = 0;
        sqlite3_stmt *st = prepare(a->db, sql);
        free(sql);
        for (int j = 0; j < IN_IDS; j++) sqlite3_bind_int64(st, j + 1, a->ids[j]);
        ck += one_row_sum(st, a->db);
        sqlite3_finalize(st);
    }
    return ck;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench-vtab-c WORKLOAD N\n");
        return 2;
    }
    const char *w = argv[1];
    i64 n = atoll(argv[2]);
    Args a = {0};
    a.db = open_db();
    a.n = n;
    a.a = malloc(sizeof(i64) * (size_t)(n > 0 ? n : 1));
    for (i64 k = 0; k < n; k++) a.a[k] = gen((u64)k);
    Seq seq = {a.a, n};
    if (sqlite3_create_module_v2(a.db, "cseq", &seqModule, &seq, NULL) != SQLITE_OK)
        die("create_module", a.db);
    a.ids = malloc(sizeof(i64) * IN_IDS);
    for (int j = 0; j < IN_IDS; j++) a.ids[j] = in_id((u64)j);

    u64 (*f)(void *) = NULL;
    if (!strcmp(w, "scan_cmodule")) f = w_scan_cmodule;
    else if (!strcmp(w, "scan_carray")) f = w_scan_carray;
    else if (!strcmp(w, "in_carray")) f = w_in_carray;
    else if (!strcmp(w, "in_params")) f = w_in_params;
    else {
        printf("%s\tSKIP\n", w);
        return 0;
    }
    if (!strncmp(w, "in_", 3)) {
        exec(a.db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)");
        exec(a.db, "BEGIN");
        sqlite3_stmt *ins = prepare(a.db, "INSERT INTO t VALUES (?1, ?2)");
        for (u64 k = 1; k <= IN_ROWS; k++) {
            sqlite3_bind_int64(ins, 1, (i64)k);
            sqlite3_bind_int64(ins, 2, gen(k));
            if (sqlite3_step(ins) != SQLITE_DONE) die("insert", a.db);
            sqlite3_reset(ins);
        }
        sqlite3_finalize(ins);
        exec(a.db, "COMMIT");
    }
    u64 c0 = cpu_ns(), t0 = now_ns();
    u64 ck = bench_measured(f, &a);
    u64 wall = now_ns() - t0, cpu = cpu_ns() - c0;
    printf("%s\t%llu\t%llu\tcpu_ns=%llu\n", w, (unsigned long long)wall, (unsigned long long)ck,
           (unsigned long long)cpu);
    sqlite3_close(a.db);
    free(a.a);
    free(a.ids);
    return 0;
}
