/* Exports facts of sqlite3.h so tests/abi.rs can compare them with the
 * Rust declarations in src/ffi/bindings.rs (and the flag values written by
 * hand in src/lib.rs). Only tests read these. Each table ends with a
 * NULL name. */
#include <stddef.h>
#include "sqlite3.h"

struct ferrolite_abi_entry {
    const char *name;
    long long value;
};

#define C(x) { #x, (long long)(x) }
#define S(x) { #x, (long long)sizeof(x) }
#define O(t, f) { #t "." #f, (long long)offsetof(t, f) }

const int ferrolite_abi_version_number = SQLITE_VERSION_NUMBER;

const struct ferrolite_abi_entry ferrolite_abi_constants[] = {
    C(SQLITE_OK), C(SQLITE_ERROR), C(SQLITE_BUSY), C(SQLITE_LOCKED), C(SQLITE_INTERRUPT),
    C(SQLITE_READONLY), C(SQLITE_CANTOPEN), C(SQLITE_TOOBIG), C(SQLITE_CONSTRAINT),
    C(SQLITE_MISUSE), C(SQLITE_RANGE), C(SQLITE_NOTADB), C(SQLITE_ROW), C(SQLITE_DONE),
    C(SQLITE_IOERR_SHORT_READ), C(SQLITE_CONSTRAINT_UNIQUE), C(SQLITE_CONSTRAINT_FOREIGNKEY),
    C(SQLITE_CONSTRAINT_NOTNULL), C(SQLITE_ABORT_ROLLBACK), C(SQLITE_READONLY_DBMOVED),
    C(SQLITE_OPEN_READONLY), C(SQLITE_OPEN_READWRITE), C(SQLITE_OPEN_CREATE),
    C(SQLITE_OPEN_URI), C(SQLITE_OPEN_NOMUTEX), C(SQLITE_OPEN_FULLMUTEX), C(SQLITE_OPEN_MEMORY),
    C(SQLITE_OPEN_SHAREDCACHE), C(SQLITE_OPEN_PRIVATECACHE), C(SQLITE_OPEN_NOFOLLOW),
    C(SQLITE_OPEN_EXRESCODE), C(SQLITE_PREPARE_PERSISTENT), C(SQLITE_PREPARE_NO_VTAB),
    C(SQLITE_PREPARE_DONT_LOG), C(SQLITE_PREPARE_FROM_DDL), C(SQLITE_INTEGER), C(SQLITE_FLOAT),
    C(SQLITE_TEXT), C(SQLITE_BLOB), C(SQLITE_NULL), C(SQLITE_UTF8), C(SQLITE_DETERMINISTIC),
    C(SQLITE_DIRECTONLY), C(SQLITE_INNOCUOUS), C(SQLITE_SUBTYPE), C(SQLITE_LIMIT_LENGTH),
    C(SQLITE_LIMIT_WORKER_THREADS), C(SQLITE_TRACE_STMT), C(SQLITE_TRACE_CLOSE),
    C(SQLITE_DENY), C(SQLITE_IGNORE), C(SQLITE_READ), C(SQLITE_DBCONFIG_DEFENSIVE),
    C(SQLITE_SERIALIZE_NOCOPY), C(SQLITE_DESERIALIZE_FREEONCLOSE),
    C(SQLITE_INDEX_CONSTRAINT_EQ), C(SQLITE_INDEX_SCAN_UNIQUE), C(SQLITE_VTAB_INNOCUOUS),
    C(SQLITE_TXN_NONE), C(SQLITE_TXN_READ), C(SQLITE_TXN_WRITE),
    C(SQLITE_STMTSTATUS_FULLSCAN_STEP), C(SQLITE_STMTSTATUS_SORT),
    C(SQLITE_STMTSTATUS_AUTOINDEX), C(SQLITE_STMTSTATUS_VM_STEP),
    C(SQLITE_STMTSTATUS_REPREPARE), C(SQLITE_STMTSTATUS_RUN),
    C(SQLITE_STMTSTATUS_FILTER_MISS), C(SQLITE_STMTSTATUS_FILTER_HIT),
    C(SQLITE_STMTSTATUS_MEMUSED),
    { NULL, 0 },
};

const struct ferrolite_abi_entry ferrolite_abi_sizes[] = {
    S(sqlite3_module), S(sqlite3_vtab), S(sqlite3_vtab_cursor), S(sqlite3_index_info),
    S(struct sqlite3_index_constraint), S(struct sqlite3_index_orderby),
    S(struct sqlite3_index_constraint_usage), S(sqlite3_io_methods), S(sqlite3_file),
    S(sqlite3_vfs), S(sqlite3_mem_methods), S(sqlite3_int64), S(sqlite3_uint64),
    S(sqlite3_destructor_type),
    { NULL, 0 },
};

const struct ferrolite_abi_entry ferrolite_abi_offsets[] = {
    O(sqlite3_module, xBestIndex), O(sqlite3_module, xShadowName),
    O(sqlite3_module, xIntegrity), O(sqlite3_index_info, estimatedCost),
    O(sqlite3_index_info, estimatedRows), O(sqlite3_index_info, idxFlags),
    O(sqlite3_index_info, colUsed), O(sqlite3_vfs, zName), O(sqlite3_vfs, xCurrentTimeInt64),
    O(sqlite3_vfs, xNextSystemCall), O(sqlite3_io_methods, xShmMap),
    O(sqlite3_io_methods, xUnfetch),
    { NULL, 0 },
};
