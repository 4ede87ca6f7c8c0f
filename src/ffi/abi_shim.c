/* Exports facts of sqlite3.h so tests/abi.rs can compare them with the
 * Rust declarations in src/ffi/bindings.rs (and the flag values written by
 * hand in src/lib.rs). Only tests read these. Each table ends with a
 * NULL name. */
#include <stddef.h>
/* The session extension's part of sqlite3.h (SQLITE_CHANGESET_*, ...) is
 * only declared when this is defined. Only its constants are read here, so
 * this works whatever the linked library was compiled with (both backends). */
#ifndef SQLITE_ENABLE_SESSION
#define SQLITE_ENABLE_SESSION 1
#endif
#include "sqlite3.h"

struct ferrolite_abi_entry {
    const char *name;
    long long value;
};

#define C(x) { #x, (long long)(x) }
#define S(x) { #x, (long long)sizeof(x) }
#define O(t, f) { #t "." #f, (long long)offsetof(t, f) }
#define A(x) { #x, (long long)_Alignof(x) }

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
    /* session extension */
    C(SQLITE_CHANGESET_DATA), C(SQLITE_CHANGESET_NOTFOUND), C(SQLITE_CHANGESET_CONFLICT),
    C(SQLITE_CHANGESET_CONSTRAINT), C(SQLITE_CHANGESET_FOREIGN_KEY), C(SQLITE_CHANGESET_OMIT),
    C(SQLITE_CHANGESET_REPLACE), C(SQLITE_CHANGESET_ABORT), C(SQLITE_SESSION_CONFIG_STRMSIZE),
    C(SQLITE_CHANGESETSTART_INVERT), C(SQLITE_CHANGESETAPPLY_NOSAVEPOINT),
    C(SQLITE_CHANGESETAPPLY_INVERT), C(SQLITE_CHANGESETAPPLY_IGNORENOOP),
    C(SQLITE_CHANGESETAPPLY_FKNOACTION), C(SQLITE_CHANGESETAPPLY_NOUPDATELOOP),
    /* virtual tables */
    C(SQLITE_INDEX_CONSTRAINT_GT), C(SQLITE_INDEX_CONSTRAINT_LE), C(SQLITE_INDEX_CONSTRAINT_LT),
    C(SQLITE_INDEX_CONSTRAINT_GE), C(SQLITE_INDEX_CONSTRAINT_MATCH),
    C(SQLITE_INDEX_CONSTRAINT_LIKE), C(SQLITE_INDEX_CONSTRAINT_GLOB),
    C(SQLITE_INDEX_CONSTRAINT_REGEXP), C(SQLITE_INDEX_CONSTRAINT_NE),
    C(SQLITE_INDEX_CONSTRAINT_ISNOT), C(SQLITE_INDEX_CONSTRAINT_ISNOTNULL),
    C(SQLITE_INDEX_CONSTRAINT_ISNULL), C(SQLITE_INDEX_CONSTRAINT_IS),
    C(SQLITE_INDEX_CONSTRAINT_LIMIT), C(SQLITE_INDEX_CONSTRAINT_OFFSET),
    C(SQLITE_INDEX_CONSTRAINT_FUNCTION), C(SQLITE_VTAB_CONSTRAINT_SUPPORT),
    C(SQLITE_VTAB_DIRECTONLY), C(SQLITE_VTAB_USES_ALL_SCHEMAS),
    /* sqlite3_db_status */
    C(SQLITE_DBSTATUS_LOOKASIDE_USED), C(SQLITE_DBSTATUS_CACHE_USED),
    C(SQLITE_DBSTATUS_SCHEMA_USED), C(SQLITE_DBSTATUS_STMT_USED),
    C(SQLITE_DBSTATUS_LOOKASIDE_HIT), C(SQLITE_DBSTATUS_LOOKASIDE_MISS_SIZE),
    C(SQLITE_DBSTATUS_LOOKASIDE_MISS_FULL), C(SQLITE_DBSTATUS_CACHE_HIT),
    C(SQLITE_DBSTATUS_CACHE_MISS), C(SQLITE_DBSTATUS_CACHE_WRITE),
    C(SQLITE_DBSTATUS_DEFERRED_FKS), C(SQLITE_DBSTATUS_CACHE_USED_SHARED),
    C(SQLITE_DBSTATUS_CACHE_SPILL), C(SQLITE_DBSTATUS_TEMPBUF_SPILL), C(SQLITE_DBSTATUS_MAX),
    /* sqlite3_status64 */
    C(SQLITE_STATUS_MEMORY_USED), C(SQLITE_STATUS_PAGECACHE_USED),
    C(SQLITE_STATUS_PAGECACHE_OVERFLOW), C(SQLITE_STATUS_SCRATCH_USED),
    C(SQLITE_STATUS_SCRATCH_OVERFLOW), C(SQLITE_STATUS_MALLOC_SIZE),
    C(SQLITE_STATUS_PARSER_STACK), C(SQLITE_STATUS_PAGECACHE_SIZE),
    C(SQLITE_STATUS_SCRATCH_SIZE), C(SQLITE_STATUS_MALLOC_COUNT),
    /* the opcodes of Connection::file_control */
    C(SQLITE_FCNTL_SIZE_HINT), C(SQLITE_FCNTL_SIZE_LIMIT), C(SQLITE_FCNTL_CHUNK_SIZE),
    C(SQLITE_FCNTL_PERSIST_WAL), C(SQLITE_FCNTL_POWERSAFE_OVERWRITE), C(SQLITE_FCNTL_MMAP_SIZE),
    C(SQLITE_FCNTL_HAS_MOVED), C(SQLITE_FCNTL_LOCK_TIMEOUT), C(SQLITE_FCNTL_BLOCK_ON_CONNECT),
    C(SQLITE_FCNTL_DATA_VERSION), C(SQLITE_FCNTL_RESERVE_BYTES),
    C(SQLITE_ERROR_SNAPSHOT), C(SQLITE_DBCONFIG_MAX),
    { NULL, 0 },
};

const struct ferrolite_abi_entry ferrolite_abi_sizes[] = {
    S(sqlite3_module), S(sqlite3_vtab), S(sqlite3_vtab_cursor), S(sqlite3_index_info),
    S(struct sqlite3_index_constraint), S(struct sqlite3_index_orderby),
    S(struct sqlite3_index_constraint_usage), S(sqlite3_io_methods), S(sqlite3_file),
    S(sqlite3_vfs), S(sqlite3_mem_methods), S(sqlite3_int64), S(sqlite3_uint64),
    S(sqlite3_destructor_type), S(sqlite3_snapshot), S(fts5_api), S(Fts5ExtensionApi),
    S(fts5_tokenizer), S(fts5_tokenizer_v2), S(Fts5PhraseIter),
    { NULL, 0 },
};

const struct ferrolite_abi_entry ferrolite_abi_aligns[] = {
    A(sqlite3_module), A(sqlite3_vtab), A(sqlite3_vtab_cursor), A(sqlite3_index_info),
    A(struct sqlite3_index_constraint), A(struct sqlite3_index_orderby),
    A(struct sqlite3_index_constraint_usage), A(sqlite3_snapshot), A(fts5_api),
    A(Fts5ExtensionApi), A(fts5_tokenizer), A(fts5_tokenizer_v2), A(Fts5PhraseIter),
    { NULL, 0 },
};

const struct ferrolite_abi_entry ferrolite_abi_offsets[] = {
    O(sqlite3_module, xBestIndex), O(sqlite3_module, xShadowName),
    O(sqlite3_module, xIntegrity), O(sqlite3_index_info, estimatedCost),
    O(sqlite3_index_info, estimatedRows), O(sqlite3_index_info, idxFlags),
    O(sqlite3_index_info, colUsed), O(sqlite3_vfs, zName), O(sqlite3_vfs, xCurrentTimeInt64),
    O(sqlite3_vfs, xNextSystemCall), O(sqlite3_io_methods, xShmMap),
    O(sqlite3_io_methods, xUnfetch),
    /* every field of the FTS5 tables of function pointers: a field out of
     * order would call the wrong function */
    O(fts5_api, iVersion), O(fts5_api, xCreateTokenizer), O(fts5_api, xFindTokenizer),
    O(fts5_api, xCreateFunction), O(fts5_api, xCreateTokenizer_v2),
    O(fts5_api, xFindTokenizer_v2),
    O(Fts5ExtensionApi, iVersion), O(Fts5ExtensionApi, xUserData),
    O(Fts5ExtensionApi, xColumnCount), O(Fts5ExtensionApi, xRowCount),
    O(Fts5ExtensionApi, xColumnTotalSize), O(Fts5ExtensionApi, xTokenize),
    O(Fts5ExtensionApi, xPhraseCount), O(Fts5ExtensionApi, xPhraseSize),
    O(Fts5ExtensionApi, xInstCount), O(Fts5ExtensionApi, xInst), O(Fts5ExtensionApi, xRowid),
    O(Fts5ExtensionApi, xColumnText), O(Fts5ExtensionApi, xColumnSize),
    O(Fts5ExtensionApi, xQueryPhrase), O(Fts5ExtensionApi, xSetAuxdata),
    O(Fts5ExtensionApi, xGetAuxdata), O(Fts5ExtensionApi, xPhraseFirst),
    O(Fts5ExtensionApi, xPhraseNext), O(Fts5ExtensionApi, xPhraseFirstColumn),
    O(Fts5ExtensionApi, xPhraseNextColumn), O(Fts5ExtensionApi, xQueryToken),
    O(Fts5ExtensionApi, xInstToken), O(Fts5ExtensionApi, xColumnLocale),
    O(Fts5ExtensionApi, xTokenize_v2),
    O(fts5_tokenizer, xCreate), O(fts5_tokenizer, xDelete), O(fts5_tokenizer, xTokenize),
    O(fts5_tokenizer_v2, iVersion), O(fts5_tokenizer_v2, xCreate),
    O(fts5_tokenizer_v2, xDelete), O(fts5_tokenizer_v2, xTokenize),
    O(Fts5PhraseIter, a), O(Fts5PhraseIter, b),
    /* the rest of the virtual-table structs */
    O(sqlite3_index_info, nConstraint), O(sqlite3_index_info, aConstraint),
    O(sqlite3_index_info, nOrderBy), O(sqlite3_index_info, aOrderBy),
    O(sqlite3_index_info, aConstraintUsage), O(sqlite3_index_info, idxNum),
    O(sqlite3_index_info, idxStr), O(sqlite3_index_info, needToFreeIdxStr),
    O(sqlite3_index_info, orderByConsumed),
    O(struct sqlite3_index_constraint, iColumn), O(struct sqlite3_index_constraint, op),
    O(struct sqlite3_index_constraint, usable),
    O(struct sqlite3_index_constraint, iTermOffset),
    O(struct sqlite3_index_orderby, iColumn), O(struct sqlite3_index_orderby, desc),
    O(struct sqlite3_index_constraint_usage, argvIndex),
    O(struct sqlite3_index_constraint_usage, omit),
    O(sqlite3_vtab, pModule), O(sqlite3_vtab, nRef), O(sqlite3_vtab, zErrMsg),
    O(sqlite3_vtab_cursor, pVtab),
    O(sqlite3_module, iVersion), O(sqlite3_module, xCreate), O(sqlite3_module, xConnect),
    O(sqlite3_module, xDisconnect), O(sqlite3_module, xDestroy), O(sqlite3_module, xOpen),
    O(sqlite3_module, xClose), O(sqlite3_module, xFilter), O(sqlite3_module, xNext),
    O(sqlite3_module, xEof), O(sqlite3_module, xColumn), O(sqlite3_module, xRowid),
    O(sqlite3_module, xUpdate), O(sqlite3_module, xBegin), O(sqlite3_module, xSync),
    O(sqlite3_module, xCommit), O(sqlite3_module, xRollback), O(sqlite3_module, xFindFunction),
    O(sqlite3_module, xRename), O(sqlite3_module, xSavepoint), O(sqlite3_module, xRelease),
    O(sqlite3_module, xRollbackTo),
    { NULL, 0 },
};
