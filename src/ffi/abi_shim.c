/* Exports facts of sqlite3.h so tests/abi.rs can compare them with the
 * Rust declarations in src/ffi/bindings.rs. Only tests read these. */
#include <stddef.h>
#include "sqlite3.h"

const int ferrolite_abi_version_number = SQLITE_VERSION_NUMBER;

const long long ferrolite_abi_constants[] = {
    SQLITE_OK, SQLITE_ERROR, SQLITE_BUSY, SQLITE_INTERRUPT, SQLITE_ROW, SQLITE_DONE,
    SQLITE_IOERR_SHORT_READ, SQLITE_CONSTRAINT_UNIQUE, SQLITE_OPEN_READWRITE,
    SQLITE_OPEN_CREATE, SQLITE_OPEN_URI, SQLITE_OPEN_NOMUTEX, SQLITE_OPEN_FULLMUTEX,
    SQLITE_OPEN_MEMORY, SQLITE_OPEN_EXRESCODE, SQLITE_PREPARE_PERSISTENT, SQLITE_UTF8,
    SQLITE_DETERMINISTIC, SQLITE_DIRECTONLY, SQLITE_INNOCUOUS, SQLITE_SUBTYPE,
    SQLITE_LIMIT_LENGTH, SQLITE_LIMIT_WORKER_THREADS, SQLITE_TRACE_STMT, SQLITE_TRACE_CLOSE,
    SQLITE_DENY, SQLITE_IGNORE, SQLITE_READ, SQLITE_DBCONFIG_DEFENSIVE,
    SQLITE_SERIALIZE_NOCOPY, SQLITE_DESERIALIZE_FREEONCLOSE, SQLITE_INDEX_CONSTRAINT_EQ,
    SQLITE_INDEX_SCAN_UNIQUE, SQLITE_VTAB_INNOCUOUS,
};

const size_t ferrolite_abi_sizes[] = {
    sizeof(sqlite3_module), sizeof(sqlite3_vtab), sizeof(sqlite3_vtab_cursor),
    sizeof(sqlite3_index_info), sizeof(struct sqlite3_index_constraint),
    sizeof(struct sqlite3_index_orderby), sizeof(struct sqlite3_index_constraint_usage),
    sizeof(sqlite3_io_methods), sizeof(sqlite3_file), sizeof(sqlite3_vfs),
    sizeof(sqlite3_mem_methods), sizeof(sqlite3_int64),
};

const size_t ferrolite_abi_offsets[] = {
    offsetof(sqlite3_module, xBestIndex), offsetof(sqlite3_module, xIntegrity),
    offsetof(sqlite3_index_info, estimatedRows), offsetof(sqlite3_index_info, colUsed),
    offsetof(sqlite3_vfs, xNextSystemCall),
};
