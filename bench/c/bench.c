/*
 * The C contender of the ferrolite benchmark suite: the same workloads as
 * bench/shared/workloads.rs, written against the SQLite C API directly.
 *
 * Usage: bench WORKLOAD N DATADIR
 * Prints one line: WORKLOAD<TAB>nanoseconds<TAB>checksum<TAB>key=value...
 * (wall-clock nanoseconds; extras: cpu_ns=process CPU time of the workload,
 * or for interrupt_latency max_ns=the slowest of its 20 interrupts).
 *
 * Keep this file in step with bench/shared/workloads.rs: same SQL, same data,
 * same checksums. The time is taken around the workload only; the measured
 * part runs inside bench_measured(), which `valgrind --tool=callgrind
 * --toggle-collect=bench_measured` uses to count only the workload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sqlite3.h"

typedef uint64_t u64;
typedef int64_t i64;

/* ------------------------------------------------------------------ util */

static void die(const char *what, sqlite3 *db) {
    fprintf(stderr, "bench-c: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
    exit(2);
}

static u64 now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

/* CPU time of the whole process (all threads). */
static u64 cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static sqlite3 *open_db(const char *path) {
    sqlite3 *db = NULL;
    /* The default flags of rusqlite and ferrolite. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                SQLITE_OPEN_URI;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) die("open", db);
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000); /* both Rust bindings default to 5 s */
    return db;
}

static void exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bench-c: %s: %s\n", sql, err);
        exit(2);
    }
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, unsigned flags) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, flags, &st, NULL) != SQLITE_OK) die(sql, db);
    return st;
}

static i64 query_i64(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = prepare(db, sql, 0);
    if (sqlite3_step(st) != SQLITE_ROW) die(sql, db);
    i64 v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* ------------------------------------------------------------------ data */

static const char *SQL_CREATE =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB)";
static const char *SQL_INSERT = "INSERT INTO t(id, i, r, t, b) VALUES (?1, ?2, ?3, ?4, ?5)";

static i64 gen_i(u64 k) { return (i64)((k * 2654435761ull) % 1000000007ull); }

static void fill_text(char buf[14], u64 k) {
    memcpy(buf, "txt-", 4);
    for (int j = 13; j >= 4; j--) {
        buf[j] = (char)('0' + k % 10);
        k /= 10;
    }
}

static void fill_blob(unsigned char buf[16], u64 k, i64 i) {
    u64 u = (u64)i;
    for (int j = 0; j < 8; j++) {
        buf[j] = (unsigned char)(k >> (8 * j));
        buf[8 + j] = (unsigned char)(u >> (8 * j));
    }
}

static i64 key(u64 j, u64 n) { return (i64)((j * 7919u) % n + 1); }

static u64 text_ck(const unsigned char *t, int len) {
    return (u64)len + (len > 0 ? t[len - 1] : 0);
}
static u64 blob_ck(const unsigned char *b, int len) {
    return (u64)len + (len > 0 ? b[0] : 0);
}

/* The measured part, in its own function for callgrind --toggle-collect. */
__attribute__((noinline)) u64 bench_measured(u64 (*f)(void *), void *arg) {
    u64 r = f(arg);
    __asm__ volatile("" ::: "memory");
    return r;
}

typedef struct {
    sqlite3 *db;
    u64 n, iters;
} Args;

static u64 cpu_spent; /* of the last timed() */

static u64 timed(u64 (*f)(void *), Args *a, u64 *checksum) {
    u64 c0 = cpu_ns();
    u64 t0 = now_ns();
    *checksum = bench_measured(f, a);
    u64 wall = now_ns() - t0;
    cpu_spent = cpu_ns() - c0;
    return wall;
}

/* Inserts rows 1..=n in one transaction; returns sum(changes) + last rowid. */
static u64 populate_rows(sqlite3 *db, u64 n) {
    exec(db, "BEGIN");
    sqlite3_stmt *st = prepare(db, SQL_INSERT, 0);
    char tb[14];
    unsigned char bb[16];
    u64 sum = 0;
    for (u64 k = 1; k <= n; k++) {
        i64 i = gen_i(k);
        fill_text(tb, k);
        fill_blob(bb, k, i);
        sqlite3_bind_int64(st, 1, (i64)k);
        sqlite3_bind_int64(st, 2, i);
        sqlite3_bind_double(st, 3, (double)k * 0.25);
        sqlite3_bind_text(st, 4, tb, 14, SQLITE_STATIC);
        sqlite3_bind_blob(st, 5, bb, 16, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) die("insert", db);
        sum += (u64)sqlite3_changes64(db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec(db, "COMMIT");
    return sum + (u64)sqlite3_last_insert_rowid(db);
}

static u64 w_populate(void *p) {
    Args *a = p;
    return populate_rows(a->db, a->n);
}

static void base_path(char *out, size_t cap, const char *dir, u64 n) {
    snprintf(out, cap, "%s/base-%llu.db", dir, (unsigned long long)n);
}

/* Creates DATADIR/base-N.db (WAL mode, table t with N rows) unless present. */
static void ensure_base(const char *dir, u64 n, char *path, size_t cap) {
    base_path(path, cap, dir, n);
    if (access(path, F_OK) == 0) return;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid());
    unlink(tmp);
    sqlite3 *db = open_db(tmp);
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, SQL_CREATE);
    populate_rows(db, n);
    if (sqlite3_close(db) != SQLITE_OK) die("close", db);
    if (rename(tmp, path) != 0) {
        perror("rename");
        exit(2);
    }
}

/* Opens the base DB with a page cache big enough for all of it, and warms it. */
static sqlite3 *open_base(const char *path) {
    sqlite3 *db = open_db(path);
    exec(db, "PRAGMA cache_size=-262144");
    (void)query_i64(db, "SELECT sum(length(t) + length(b) + i) FROM t");
    return db;
}

/* ------------------------------------------------------------ workloads */

static u64 w_point_select(void *p) { /* in one read transaction */
    Args *a = p;
    exec(a->db, "BEGIN");
    sqlite3_stmt *st = prepare(a->db, "SELECT t FROM t WHERE id = ?1", 0);
    u64 sum = 0;
    for (u64 j = 0; j < a->iters; j++) {
        sqlite3_bind_int64(st, 1, key(j, a->n));
        if (sqlite3_step(st) != SQLITE_ROW) die("point select", a->db);
        const unsigned char *t = sqlite3_column_text(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        char *s = malloc((size_t)len + 1); /* an owned String */
        memcpy(s, t, (size_t)len);
        sum += text_ck((unsigned char *)s, len);
        free(s);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec(a->db, "COMMIT");
    return sum;
}

static u64 w_point_select_autocommit(void *p) {
    Args *a = p;
    sqlite3_stmt *st = prepare(a->db, "SELECT t FROM t WHERE id = ?1", 0);
    u64 sum = 0;
    for (u64 j = 0; j < a->iters; j++) {
        sqlite3_bind_int64(st, 1, key(j, a->n));
        if (sqlite3_step(st) != SQLITE_ROW) die("point select", a->db);
        const unsigned char *t = sqlite3_column_text(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        char *s = malloc((size_t)len + 1);
        memcpy(s, t, (size_t)len);
        sum += text_ck((unsigned char *)s, len);
        free(s);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return sum;
}

static u64 w_point_select_by_name(void *p) {
    Args *a = p;
    exec(a->db, "BEGIN");
    sqlite3_stmt *st = prepare(a->db, "SELECT id, i, r, b, t FROM t WHERE id = ?1", 0);
    int ncol = sqlite3_column_count(st);
    u64 sum = 0;
    for (u64 j = 0; j < a->iters; j++) {
        sqlite3_bind_int64(st, 1, key(j, a->n));
        if (sqlite3_step(st) != SQLITE_ROW) die("point select", a->db);
        /* The same work as a binding's by-name lookup: a case-insensitive
         * search of the column names, per row. */
        int c = 0;
        while (c < ncol && sqlite3_stricmp(sqlite3_column_name(st, c), "t") != 0) c++;
        if (c == ncol) die("no column t", a->db);
        const unsigned char *t = sqlite3_column_text(st, c);
        int len = sqlite3_column_bytes(st, c);
        char *s = malloc((size_t)len + 1);
        memcpy(s, t, (size_t)len);
        sum += text_ck((unsigned char *)s, len);
        free(s);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec(a->db, "COMMIT");
    return sum;
}

static u64 scan(sqlite3 *db, int owned) {
    sqlite3_stmt *st = prepare(db, "SELECT id, i, r, t, b FROM t", 0);
    u64 sum = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        i64 id = sqlite3_column_int64(st, 0);
        i64 i = sqlite3_column_int64(st, 1);
        double r = sqlite3_column_double(st, 2);
        const unsigned char *t = sqlite3_column_text(st, 3);
        int tl = sqlite3_column_bytes(st, 3);
        const unsigned char *b = sqlite3_column_blob(st, 4);
        int bl = sqlite3_column_bytes(st, 4);
        sum += (u64)id + (u64)i + (u64)(i64)r;
        if (owned) {
            unsigned char *ts = malloc((size_t)tl + 1), *bs = malloc((size_t)bl + 1);
            memcpy(ts, t, (size_t)tl);
            memcpy(bs, b, (size_t)bl);
            sum += text_ck(ts, tl) + blob_ck(bs, bl);
            free(ts);
            free(bs);
        } else {
            sum += text_ck(t, tl) + blob_ck(b, bl);
        }
    }
    if (rc != SQLITE_DONE) die("scan", db);
    sqlite3_finalize(st);
    return sum;
}
static u64 w_scan_borrowed(void *p) { return scan(((Args *)p)->db, 0); }
static u64 w_scan_owned(void *p) { return scan(((Args *)p)->db, 1); }

#define SMALL_ROWS 1000
static const char *HIT_SQL[4] = {
    "SELECT i FROM t WHERE id = ?1",
    "SELECT length(t) FROM t WHERE id = ?1",
    "SELECT length(b) + id FROM t WHERE id = ?1",
    "SELECT i % 1000 FROM t WHERE id = ?1",
};
#define MISS_N 32
static char MISS_SQL[MISS_N][64];

static i64 run_i64(sqlite3 *db, sqlite3_stmt *st, i64 k) {
    sqlite3_bind_int64(st, 1, k);
    if (sqlite3_step(st) != SQLITE_ROW) die("query row", db);
    i64 v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

static u64 w_cached_hit(void *p) {
    Args *a = p;
    sqlite3_stmt *st[4];
    for (int s = 0; s < 4; s++) st[s] = prepare(a->db, HIT_SQL[s], SQLITE_PREPARE_PERSISTENT);
    u64 sum = 0;
    for (u64 j = 0; j < a->iters; j++)
        sum += (u64)run_i64(a->db, st[j % 4], key(j, SMALL_ROWS));
    for (int s = 0; s < 4; s++) sqlite3_finalize(st[s]);
    return sum;
}

static u64 uncached(Args *a, const char *const *sqls, u64 nsql) {
    u64 sum = 0;
    for (u64 j = 0; j < a->iters; j++) {
        sqlite3_stmt *st = prepare(a->db, sqls[j % nsql], 0);
        sum += (u64)run_i64(a->db, st, key(j, SMALL_ROWS));
        sqlite3_finalize(st);
    }
    return sum;
}
static u64 w_cached_miss(void *p) {
    const char *sqls[MISS_N];
    for (int s = 0; s < MISS_N; s++) sqls[s] = MISS_SQL[s];
    return uncached(p, sqls, MISS_N);
}
static u64 w_uncached(void *p) { return uncached(p, HIT_SQL, 4); }

static void twice(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    sqlite3_result_int64(ctx, 2 * sqlite3_value_int64(argv[0]));
}
static u64 w_udf(void *p) {
    return (u64)query_i64(((Args *)p)->db, "SELECT sum(twice(i)) FROM t");
}

static u64 w_small_txn(void *p) {
    Args *a = p;
    sqlite3_stmt *begin = prepare(a->db, "BEGIN IMMEDIATE", SQLITE_PREPARE_PERSISTENT);
    sqlite3_stmt *ins =
        prepare(a->db, "INSERT INTO s(v, t) VALUES (?1, ?2)", SQLITE_PREPARE_PERSISTENT);
    sqlite3_stmt *commit = prepare(a->db, "COMMIT", SQLITE_PREPARE_PERSISTENT);
    char tb[14];
    u64 sum = 0;
    for (u64 k = 1; k <= a->iters; k++) {
        if (sqlite3_step(begin) != SQLITE_DONE) die("begin", a->db);
        sqlite3_reset(begin);
        fill_text(tb, k);
        sqlite3_bind_int64(ins, 1, (i64)k);
        sqlite3_bind_text(ins, 2, tb, 14, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) die("insert", a->db);
        sqlite3_reset(ins);
        sum += (u64)sqlite3_last_insert_rowid(a->db);
        if (sqlite3_step(commit) != SQLITE_DONE) die("commit", a->db);
        sqlite3_reset(commit);
    }
    sqlite3_finalize(begin);
    sqlite3_finalize(ins);
    sqlite3_finalize(commit);
    return sum;
}

/* concurrent_read: two threads, one connection each. */
typedef struct {
    const char *path;
    u64 n, iters, t, sum;
    pthread_barrier_t *barrier;
} Reader;

static void *reader(void *p) {
    Reader *r = p;
    sqlite3 *db = open_base(r->path);
    sqlite3_stmt *st = prepare(db, "SELECT t FROM t WHERE id = ?1", 0);
    pthread_barrier_wait(r->barrier);
    u64 sum = 0;
    for (u64 j = 0; j < r->iters; j++) {
        sqlite3_bind_int64(st, 1, key(2 * j + r->t, r->n));
        if (sqlite3_step(st) != SQLITE_ROW) die("point select", db);
        const unsigned char *t = sqlite3_column_text(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        char *s = malloc((size_t)len + 1);
        memcpy(s, t, (size_t)len);
        sum += text_ck((unsigned char *)s, len);
        free(s);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    r->sum = sum;
    return NULL;
}

/* interrupt_latency */
static const char *LONG_SQL =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) "
    "SELECT count(*) FROM c";

typedef struct {
    sqlite3 *db;
    u64 t0;
} Interrupter;

static void *interrupter(void *p) {
    Interrupter *it = p;
    struct timespec d = {0, 20 * 1000 * 1000};
    nanosleep(&d, NULL);
    __atomic_store_n(&it->t0, now_ns(), __ATOMIC_SEQ_CST);
    sqlite3_interrupt(it->db);
    return NULL;
}

static int cmp_u64(const void *a, const void *b) {
    u64 x = *(const u64 *)a, y = *(const u64 *)b;
    return x < y ? -1 : x > y;
}

/* ----------------------------------------------------------------- main */

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s WORKLOAD N DATADIR\n", argv[0]);
        return 2;
    }
    const char *w = argv[1];
    u64 n = strtoull(argv[2], NULL, 10);
    const char *dir = argv[3];
    char path[4096];
    Args a = {NULL, n, n};
    u64 ns = 0, ck = 0;
    for (int s = 0; s < MISS_N; s++)
        snprintf(MISS_SQL[s], sizeof MISS_SQL[s], "SELECT i + %d FROM t WHERE id = ?1", s);

    if (!strcmp(w, "setup")) {
        ensure_base(dir, n, path, sizeof path);
        printf("setup\t0\t0\n");
        return 0;
    } else if (!strcmp(w, "insert")) {
        a.db = open_db(":memory:");
        exec(a.db, SQL_CREATE);
        ns = timed(w_populate, &a, &ck);
    } else if (!strcmp(w, "point_select_txn") || !strcmp(w, "point_select_autocommit") ||
               !strcmp(w, "point_select_by_name") || !strcmp(w, "scan_borrowed") ||
               !strcmp(w, "scan_owned") || !strcmp(w, "udf")) {
        ensure_base(dir, n, path, sizeof path);
        a.db = open_base(path);
        if (!strcmp(w, "point_select_txn")) ns = timed(w_point_select, &a, &ck);
        else if (!strcmp(w, "point_select_autocommit")) {
            a.iters = n / 5;
            ns = timed(w_point_select_autocommit, &a, &ck);
        } else if (!strcmp(w, "point_select_by_name")) ns = timed(w_point_select_by_name, &a, &ck);
        else if (!strcmp(w, "scan_borrowed")) ns = timed(w_scan_borrowed, &a, &ck);
        else if (!strcmp(w, "scan_owned")) ns = timed(w_scan_owned, &a, &ck);
        else {
            if (sqlite3_create_function_v2(a.db, "twice", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                           NULL, twice, NULL, NULL, NULL) != SQLITE_OK)
                die("create_function", a.db);
            ns = timed(w_udf, &a, &ck);
        }
    } else if (!strcmp(w, "cached_prepare_hit") || !strcmp(w, "cached_prepare_miss") ||
               !strcmp(w, "query_row_uncached")) {
        a.db = open_db(":memory:");
        exec(a.db, SQL_CREATE);
        populate_rows(a.db, SMALL_ROWS);
        if (!strcmp(w, "cached_prepare_hit")) ns = timed(w_cached_hit, &a, &ck);
        else {
            a.iters = n / 10;
            ns = timed(!strcmp(w, "cached_prepare_miss") ? w_cached_miss : w_uncached, &a, &ck);
        }
    } else if (!strcmp(w, "small_txn")) {
        const char *tmpdir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/ferrolite-bench-small-c-%d.db", tmpdir ? tmpdir : "/tmp",
                 (int)getpid());
        char side[4200];
        unlink(path);
        a.db = open_db(path);
        exec(a.db, "PRAGMA journal_mode=WAL");
        exec(a.db, "PRAGMA synchronous=NORMAL");
        exec(a.db, "CREATE TABLE s(id INTEGER PRIMARY KEY, v INTEGER, t TEXT)");
        a.iters = n / 50;
        ns = timed(w_small_txn, &a, &ck);
        sqlite3_close(a.db);
        a.db = NULL;
        unlink(path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
    } else if (!strcmp(w, "concurrent_read")) {
        ensure_base(dir, n, path, sizeof path);
        pthread_barrier_t barrier;
        pthread_barrier_init(&barrier, NULL, 3);
        Reader r[2];
        pthread_t th[2];
        for (int t = 0; t < 2; t++) {
            r[t] = (Reader){path, n, n / 5, (u64)t, 0, &barrier};
            pthread_create(&th[t], NULL, reader, &r[t]);
        }
        pthread_barrier_wait(&barrier);
        u64 c0 = cpu_ns();
        u64 t0 = now_ns();
        for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
        ns = now_ns() - t0;
        cpu_spent = cpu_ns() - c0;
        ck = r[0].sum + r[1].sum;
    } else if (!strcmp(w, "interrupt_latency")) {
        a.db = open_db(":memory:");
        enum { RUNS = 20 };
        u64 lat[RUNS];
        for (int run = 0; run < RUNS; run++) {
            Interrupter it = {a.db, 0};
            pthread_t th;
            pthread_create(&th, NULL, interrupter, &it);
            sqlite3_stmt *st = prepare(a.db, LONG_SQL, 0);
            int rc = sqlite3_step(st);
            sqlite3_finalize(st); /* the Rust query_row returns after finalizing */
            u64 t1 = now_ns();
            pthread_join(th, NULL);
            if (rc != SQLITE_INTERRUPT) die("expected SQLITE_INTERRUPT", a.db);
            ck++;
            lat[run] = t1 - __atomic_load_n(&it.t0, __ATOMIC_SEQ_CST);
        }
        qsort(lat, RUNS, sizeof lat[0], cmp_u64);
        printf("%s\t%llu\t%llu\tmax_ns=%llu\n", w, (unsigned long long)((lat[9] + lat[10]) / 2),
               (unsigned long long)ck, (unsigned long long)lat[RUNS - 1]);
        sqlite3_close(a.db);
        return 0;
    } else {
        fprintf(stderr, "bench-c: unknown workload %s\n", w);
        return 2;
    }
    if (a.db && sqlite3_close(a.db) != SQLITE_OK) die("close", a.db);
    printf("%s\t%llu\t%llu\tcpu_ns=%llu\n", w, (unsigned long long)ns, (unsigned long long)ck,
           (unsigned long long)cpu_spent);
    return 0;
}
