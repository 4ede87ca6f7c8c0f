//! Our Rust declarations of the C API (`src/ffi/bindings.rs`, plus the
//! flag values written out in `src/lib.rs`) against the C compiler's view
//! of `sqlite3.h`, exported by `src/ffi/abi_shim.c` (compiled by build.rs
//! whenever it has a header: always in the vendored backend).

#![cfg(ferrolite_abi_shim)]

use std::collections::BTreeMap;
use std::ffi::{CStr, c_char};
use std::mem::{align_of, offset_of, size_of};

use ferrolite::{OpenFlags, PrepFlags, StatementStatus, ffi};

#[repr(C)]
struct Entry {
    name: *const c_char,
    value: i64,
}

unsafe extern "C" {
    static ferrolite_abi_version_number: i32;
    static ferrolite_abi_constants: Entry;
    static ferrolite_abi_sizes: Entry;
    static ferrolite_abi_offsets: Entry;
    static ferrolite_abi_aligns: Entry;
}

/// Reads a NULL-name-terminated table exported by the shim.
fn table(first: *const Entry) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let mut p = first;
    loop {
        // SAFETY: `p` points into a static array the shim terminates with
        // a NULL name; we stop there.
        let e = unsafe { &*p };
        if e.name.is_null() {
            break;
        }
        // SAFETY: names are C string literals.
        let name = unsafe { CStr::from_ptr(e.name) }.to_str().unwrap();
        assert!(
            out.insert(name.to_owned(), e.value).is_none(),
            "{name} twice"
        );
        // SAFETY: not past the terminator yet.
        p = unsafe { p.add(1) };
    }
    out
}

/// Compares `rust` (name, value) pairs with the C table, both ways: every
/// C entry must be checked by a Rust one.
fn compare(what: &str, c: BTreeMap<String, i64>, rust: &[(&str, i64)]) {
    assert!(!c.is_empty(), "shim exported no {what}");
    let mut mismatches = Vec::new();
    for (name, value) in rust {
        match c.get(*name) {
            Some(cv) if cv == value => {}
            Some(cv) => mismatches.push(format!("{name}: C {cv}, Rust {value}")),
            None => mismatches.push(format!("{name}: not exported by the shim")),
        }
    }
    for name in c.keys() {
        if !rust.iter().any(|(n, _)| n == name) {
            mismatches.push(format!("{name}: exported by the shim but not checked"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{what} differ:\n{}",
        mismatches.join("\n")
    );
}

macro_rules! consts {
    ($($name:ident),* $(,)?) => { [$((stringify!($name), i64::from(ffi::$name))),*] };
}

/// `("<C type>.<field>", offset)` for each field of the Rust type `$t`.
macro_rules! offsets {
    ($c:literal, $t:ty; $($f:ident),* $(,)?) => {
        [$((concat!($c, ".", stringify!($f)), offset_of!($t, $f) as i64)),*]
    };
}

#[test]
fn constants_match_the_header() {
    let c = table(&raw const ferrolite_abi_constants);
    let mut rust = consts![
        SQLITE_OK,
        SQLITE_ERROR,
        SQLITE_BUSY,
        SQLITE_LOCKED,
        SQLITE_INTERRUPT,
        SQLITE_READONLY,
        SQLITE_CANTOPEN,
        SQLITE_TOOBIG,
        SQLITE_CONSTRAINT,
        SQLITE_MISUSE,
        SQLITE_RANGE,
        SQLITE_NOTADB,
        SQLITE_ROW,
        SQLITE_DONE,
        SQLITE_IOERR_SHORT_READ,
        SQLITE_CONSTRAINT_UNIQUE,
        SQLITE_CONSTRAINT_FOREIGNKEY,
        SQLITE_CONSTRAINT_NOTNULL,
        SQLITE_ABORT_ROLLBACK,
        SQLITE_READONLY_DBMOVED,
        SQLITE_OPEN_READONLY,
        SQLITE_OPEN_READWRITE,
        SQLITE_OPEN_CREATE,
        SQLITE_OPEN_URI,
        SQLITE_OPEN_NOMUTEX,
        SQLITE_OPEN_FULLMUTEX,
        SQLITE_OPEN_MEMORY,
        SQLITE_OPEN_SHAREDCACHE,
        SQLITE_OPEN_PRIVATECACHE,
        SQLITE_OPEN_NOFOLLOW,
        SQLITE_OPEN_EXRESCODE,
        SQLITE_PREPARE_PERSISTENT,
        SQLITE_PREPARE_NO_VTAB,
        SQLITE_PREPARE_DONT_LOG,
        SQLITE_PREPARE_FROM_DDL,
        SQLITE_INTEGER,
        SQLITE_FLOAT,
        SQLITE_TEXT,
        SQLITE_BLOB,
        SQLITE_NULL,
        SQLITE_UTF8,
        SQLITE_DETERMINISTIC,
        SQLITE_DIRECTONLY,
        SQLITE_INNOCUOUS,
        SQLITE_SUBTYPE,
        SQLITE_LIMIT_LENGTH,
        SQLITE_LIMIT_WORKER_THREADS,
        SQLITE_TRACE_STMT,
        SQLITE_TRACE_CLOSE,
        SQLITE_DENY,
        SQLITE_IGNORE,
        SQLITE_READ,
        SQLITE_DBCONFIG_DEFENSIVE,
        SQLITE_SERIALIZE_NOCOPY,
        SQLITE_DESERIALIZE_FREEONCLOSE,
        SQLITE_INDEX_CONSTRAINT_EQ,
        SQLITE_INDEX_SCAN_UNIQUE,
        SQLITE_VTAB_INNOCUOUS,
        SQLITE_TXN_NONE,
        SQLITE_TXN_READ,
        SQLITE_TXN_WRITE,
        SQLITE_STMTSTATUS_FULLSCAN_STEP,
        SQLITE_STMTSTATUS_SORT,
        SQLITE_STMTSTATUS_AUTOINDEX,
        SQLITE_STMTSTATUS_VM_STEP,
        SQLITE_STMTSTATUS_REPREPARE,
        SQLITE_STMTSTATUS_RUN,
        SQLITE_STMTSTATUS_FILTER_MISS,
        SQLITE_STMTSTATUS_FILTER_HIT,
        SQLITE_STMTSTATUS_MEMUSED,
    ]
    .to_vec();
    // The session extension (declared by sqlite3.h only under
    // SQLITE_ENABLE_SESSION, which the shim defines for itself).
    rust.extend(consts![
        SQLITE_CHANGESET_DATA,
        SQLITE_CHANGESET_NOTFOUND,
        SQLITE_CHANGESET_CONFLICT,
        SQLITE_CHANGESET_CONSTRAINT,
        SQLITE_CHANGESET_FOREIGN_KEY,
        SQLITE_CHANGESET_OMIT,
        SQLITE_CHANGESET_REPLACE,
        SQLITE_CHANGESET_ABORT,
        SQLITE_SESSION_CONFIG_STRMSIZE,
        SQLITE_CHANGESETSTART_INVERT,
        SQLITE_CHANGESETAPPLY_NOSAVEPOINT,
        SQLITE_CHANGESETAPPLY_INVERT,
        SQLITE_CHANGESETAPPLY_IGNORENOOP,
        SQLITE_CHANGESETAPPLY_FKNOACTION,
        SQLITE_CHANGESETAPPLY_NOUPDATELOOP,
    ]);
    // Virtual tables.
    rust.extend(consts![
        SQLITE_INDEX_CONSTRAINT_GT,
        SQLITE_INDEX_CONSTRAINT_LE,
        SQLITE_INDEX_CONSTRAINT_LT,
        SQLITE_INDEX_CONSTRAINT_GE,
        SQLITE_INDEX_CONSTRAINT_MATCH,
        SQLITE_INDEX_CONSTRAINT_LIKE,
        SQLITE_INDEX_CONSTRAINT_GLOB,
        SQLITE_INDEX_CONSTRAINT_REGEXP,
        SQLITE_INDEX_CONSTRAINT_NE,
        SQLITE_INDEX_CONSTRAINT_ISNOT,
        SQLITE_INDEX_CONSTRAINT_ISNOTNULL,
        SQLITE_INDEX_CONSTRAINT_ISNULL,
        SQLITE_INDEX_CONSTRAINT_IS,
        SQLITE_INDEX_CONSTRAINT_LIMIT,
        SQLITE_INDEX_CONSTRAINT_OFFSET,
        SQLITE_INDEX_CONSTRAINT_FUNCTION,
        SQLITE_VTAB_CONSTRAINT_SUPPORT,
        SQLITE_VTAB_DIRECTONLY,
        SQLITE_VTAB_USES_ALL_SCHEMAS,
    ]);
    // sqlite3_db_status and sqlite3_status64.
    rust.extend(consts![
        SQLITE_DBSTATUS_LOOKASIDE_USED,
        SQLITE_DBSTATUS_CACHE_USED,
        SQLITE_DBSTATUS_SCHEMA_USED,
        SQLITE_DBSTATUS_STMT_USED,
        SQLITE_DBSTATUS_LOOKASIDE_HIT,
        SQLITE_DBSTATUS_LOOKASIDE_MISS_SIZE,
        SQLITE_DBSTATUS_LOOKASIDE_MISS_FULL,
        SQLITE_DBSTATUS_CACHE_HIT,
        SQLITE_DBSTATUS_CACHE_MISS,
        SQLITE_DBSTATUS_CACHE_WRITE,
        SQLITE_DBSTATUS_DEFERRED_FKS,
        SQLITE_DBSTATUS_CACHE_USED_SHARED,
        SQLITE_DBSTATUS_CACHE_SPILL,
        SQLITE_DBSTATUS_TEMPBUF_SPILL,
        SQLITE_DBSTATUS_MAX,
        SQLITE_STATUS_MEMORY_USED,
        SQLITE_STATUS_PAGECACHE_USED,
        SQLITE_STATUS_PAGECACHE_OVERFLOW,
        SQLITE_STATUS_SCRATCH_USED,
        SQLITE_STATUS_SCRATCH_OVERFLOW,
        SQLITE_STATUS_MALLOC_SIZE,
        SQLITE_STATUS_PARSER_STACK,
        SQLITE_STATUS_PAGECACHE_SIZE,
        SQLITE_STATUS_SCRATCH_SIZE,
        SQLITE_STATUS_MALLOC_COUNT,
    ]);
    // The opcodes Connection::file_control passes, and the rest.
    rust.extend(consts![
        SQLITE_FCNTL_SIZE_HINT,
        SQLITE_FCNTL_SIZE_LIMIT,
        SQLITE_FCNTL_CHUNK_SIZE,
        SQLITE_FCNTL_PERSIST_WAL,
        SQLITE_FCNTL_POWERSAFE_OVERWRITE,
        SQLITE_FCNTL_MMAP_SIZE,
        SQLITE_FCNTL_HAS_MOVED,
        SQLITE_FCNTL_LOCK_TIMEOUT,
        SQLITE_FCNTL_BLOCK_ON_CONNECT,
        SQLITE_FCNTL_DATA_VERSION,
        SQLITE_FCNTL_RESERVE_BYTES,
        SQLITE_ERROR_SNAPSHOT,
        SQLITE_DBCONFIG_MAX,
    ]);
    // The flag and status values the safe API spells out by hand must be the
    // header's too: checked under the C names, against the safe types.
    let safe: [(&str, i64); 17] = [
        (
            "SQLITE_OPEN_READONLY",
            OpenFlags::SQLITE_OPEN_READ_ONLY.bits().into(),
        ),
        (
            "SQLITE_OPEN_READWRITE",
            OpenFlags::SQLITE_OPEN_READ_WRITE.bits().into(),
        ),
        (
            "SQLITE_OPEN_CREATE",
            OpenFlags::SQLITE_OPEN_CREATE.bits().into(),
        ),
        ("SQLITE_OPEN_URI", OpenFlags::SQLITE_OPEN_URI.bits().into()),
        (
            "SQLITE_OPEN_MEMORY",
            OpenFlags::SQLITE_OPEN_MEMORY.bits().into(),
        ),
        (
            "SQLITE_OPEN_NOMUTEX",
            OpenFlags::SQLITE_OPEN_NO_MUTEX.bits().into(),
        ),
        (
            "SQLITE_OPEN_FULLMUTEX",
            OpenFlags::SQLITE_OPEN_FULL_MUTEX.bits().into(),
        ),
        (
            "SQLITE_OPEN_SHAREDCACHE",
            OpenFlags::SQLITE_OPEN_SHARED_CACHE.bits().into(),
        ),
        (
            "SQLITE_OPEN_PRIVATECACHE",
            OpenFlags::SQLITE_OPEN_PRIVATE_CACHE.bits().into(),
        ),
        (
            "SQLITE_OPEN_NOFOLLOW",
            OpenFlags::SQLITE_OPEN_NOFOLLOW.bits().into(),
        ),
        (
            "SQLITE_OPEN_EXRESCODE",
            OpenFlags::SQLITE_OPEN_EXRESCODE.bits().into(),
        ),
        (
            "SQLITE_PREPARE_PERSISTENT",
            PrepFlags::SQLITE_PREPARE_PERSISTENT.bits().into(),
        ),
        (
            "SQLITE_PREPARE_NO_VTAB",
            PrepFlags::SQLITE_PREPARE_NO_VTAB.bits().into(),
        ),
        (
            "SQLITE_PREPARE_DONT_LOG",
            PrepFlags::SQLITE_PREPARE_DONT_LOG.bits().into(),
        ),
        (
            "SQLITE_PREPARE_FROM_DDL",
            PrepFlags::SQLITE_PREPARE_FROM_DDL.bits().into(),
        ),
        ("SQLITE_STMTSTATUS_VM_STEP", StatementStatus::VmStep as i64),
        ("SQLITE_STMTSTATUS_MEMUSED", StatementStatus::MemUsed as i64),
    ];
    for (name, value) in safe {
        assert_eq!(c.get(name), Some(&value), "safe-API value of {name}");
    }
    // Every StatementStatus discriminant.
    for (name, s) in [
        (
            "SQLITE_STMTSTATUS_FULLSCAN_STEP",
            StatementStatus::FullscanStep,
        ),
        ("SQLITE_STMTSTATUS_SORT", StatementStatus::Sort),
        ("SQLITE_STMTSTATUS_AUTOINDEX", StatementStatus::AutoIndex),
        ("SQLITE_STMTSTATUS_REPREPARE", StatementStatus::RePrepare),
        ("SQLITE_STMTSTATUS_RUN", StatementStatus::Run),
        ("SQLITE_STMTSTATUS_FILTER_MISS", StatementStatus::FilterMiss),
        ("SQLITE_STMTSTATUS_FILTER_HIT", StatementStatus::FilterHit),
    ] {
        assert_eq!(c.get(name), Some(&(s as i64)), "{name}");
    }
    rust.sort();
    compare("constants", c, &rust);
}

#[test]
fn struct_sizes_match_the_header() {
    let c = table(&raw const ferrolite_abi_sizes);
    let sz = |n: usize| n as i64;
    compare(
        "sizes",
        c,
        &[
            ("sqlite3_module", sz(size_of::<ffi::sqlite3_module>())),
            ("sqlite3_vtab", sz(size_of::<ffi::sqlite3_vtab>())),
            (
                "sqlite3_vtab_cursor",
                sz(size_of::<ffi::sqlite3_vtab_cursor>()),
            ),
            (
                "sqlite3_index_info",
                sz(size_of::<ffi::sqlite3_index_info>()),
            ),
            (
                "struct sqlite3_index_constraint",
                sz(size_of::<ffi::sqlite3_index_info_sqlite3_index_constraint>()),
            ),
            (
                "struct sqlite3_index_orderby",
                sz(size_of::<ffi::sqlite3_index_info_sqlite3_index_orderby>()),
            ),
            (
                "struct sqlite3_index_constraint_usage",
                sz(size_of::<
                    ffi::sqlite3_index_info_sqlite3_index_constraint_usage,
                >()),
            ),
            (
                "sqlite3_io_methods",
                sz(size_of::<ffi::sqlite3_io_methods>()),
            ),
            ("sqlite3_file", sz(size_of::<ffi::sqlite3_file>())),
            ("sqlite3_vfs", sz(size_of::<ffi::sqlite3_vfs>())),
            (
                "sqlite3_mem_methods",
                sz(size_of::<ffi::sqlite3_mem_methods>()),
            ),
            ("sqlite3_int64", sz(size_of::<ffi::sqlite3_int64>())),
            ("sqlite3_uint64", sz(size_of::<ffi::sqlite3_uint64>())),
            (
                "sqlite3_destructor_type",
                sz(size_of::<ffi::sqlite3_destructor_type>()),
            ),
            ("sqlite3_snapshot", sz(size_of::<ffi::sqlite3_snapshot>())),
            ("fts5_api", sz(size_of::<ffi::fts5_api>())),
            ("Fts5ExtensionApi", sz(size_of::<ffi::Fts5ExtensionApi>())),
            ("fts5_tokenizer", sz(size_of::<ffi::fts5_tokenizer>())),
            ("fts5_tokenizer_v2", sz(size_of::<ffi::fts5_tokenizer_v2>())),
            ("Fts5PhraseIter", sz(size_of::<ffi::Fts5PhraseIter>())),
        ],
    );
}

#[test]
fn struct_alignments_match_the_header() {
    let c = table(&raw const ferrolite_abi_aligns);
    let al = |n: usize| n as i64;
    compare(
        "alignments",
        c,
        &[
            ("sqlite3_module", al(align_of::<ffi::sqlite3_module>())),
            ("sqlite3_vtab", al(align_of::<ffi::sqlite3_vtab>())),
            (
                "sqlite3_vtab_cursor",
                al(align_of::<ffi::sqlite3_vtab_cursor>()),
            ),
            (
                "sqlite3_index_info",
                al(align_of::<ffi::sqlite3_index_info>()),
            ),
            (
                "struct sqlite3_index_constraint",
                al(align_of::<ffi::sqlite3_index_info_sqlite3_index_constraint>()),
            ),
            (
                "struct sqlite3_index_orderby",
                al(align_of::<ffi::sqlite3_index_info_sqlite3_index_orderby>()),
            ),
            (
                "struct sqlite3_index_constraint_usage",
                al(align_of::<
                    ffi::sqlite3_index_info_sqlite3_index_constraint_usage,
                >()),
            ),
            ("sqlite3_snapshot", al(align_of::<ffi::sqlite3_snapshot>())),
            ("fts5_api", al(align_of::<ffi::fts5_api>())),
            ("Fts5ExtensionApi", al(align_of::<ffi::Fts5ExtensionApi>())),
            ("fts5_tokenizer", al(align_of::<ffi::fts5_tokenizer>())),
            (
                "fts5_tokenizer_v2",
                al(align_of::<ffi::fts5_tokenizer_v2>()),
            ),
            ("Fts5PhraseIter", al(align_of::<ffi::Fts5PhraseIter>())),
        ],
    );
}

#[test]
fn field_offsets_match_the_header() {
    let c = table(&raw const ferrolite_abi_offsets);
    let o = |n: usize| n as i64;
    use ffi::sqlite3_vfs as V;
    use ffi::{sqlite3_index_info as II, sqlite3_io_methods as IO, sqlite3_module as M};
    let mut rust = vec![
        ("sqlite3_module.xBestIndex", o(offset_of!(M, xBestIndex))),
        ("sqlite3_module.xShadowName", o(offset_of!(M, xShadowName))),
        ("sqlite3_module.xIntegrity", o(offset_of!(M, xIntegrity))),
        (
            "sqlite3_index_info.estimatedCost",
            o(offset_of!(II, estimatedCost)),
        ),
        (
            "sqlite3_index_info.estimatedRows",
            o(offset_of!(II, estimatedRows)),
        ),
        ("sqlite3_index_info.idxFlags", o(offset_of!(II, idxFlags))),
        ("sqlite3_index_info.colUsed", o(offset_of!(II, colUsed))),
        ("sqlite3_vfs.zName", o(offset_of!(V, zName))),
        (
            "sqlite3_vfs.xCurrentTimeInt64",
            o(offset_of!(V, xCurrentTimeInt64)),
        ),
        (
            "sqlite3_vfs.xNextSystemCall",
            o(offset_of!(V, xNextSystemCall)),
        ),
        ("sqlite3_io_methods.xShmMap", o(offset_of!(IO, xShmMap))),
        ("sqlite3_io_methods.xUnfetch", o(offset_of!(IO, xUnfetch))),
    ];
    // Every field of the FTS5 tables of function pointers: a field out of
    // order would call the wrong C function.
    rust.extend(offsets!("fts5_api", ffi::fts5_api;
        iVersion, xCreateTokenizer, xFindTokenizer, xCreateFunction,
        xCreateTokenizer_v2, xFindTokenizer_v2));
    rust.extend(offsets!("Fts5ExtensionApi", ffi::Fts5ExtensionApi;
        iVersion, xUserData, xColumnCount, xRowCount, xColumnTotalSize, xTokenize,
        xPhraseCount, xPhraseSize, xInstCount, xInst, xRowid, xColumnText, xColumnSize,
        xQueryPhrase, xSetAuxdata, xGetAuxdata, xPhraseFirst, xPhraseNext,
        xPhraseFirstColumn, xPhraseNextColumn, xQueryToken, xInstToken, xColumnLocale,
        xTokenize_v2));
    rust.extend(offsets!("fts5_tokenizer", ffi::fts5_tokenizer; xCreate, xDelete, xTokenize));
    rust.extend(offsets!("fts5_tokenizer_v2", ffi::fts5_tokenizer_v2;
        iVersion, xCreate, xDelete, xTokenize));
    rust.extend(offsets!("Fts5PhraseIter", ffi::Fts5PhraseIter; a, b));
    // The rest of the virtual-table structs.
    rust.extend(offsets!("sqlite3_index_info", II;
        nConstraint, aConstraint, nOrderBy, aOrderBy, aConstraintUsage, idxNum, idxStr,
        needToFreeIdxStr, orderByConsumed));
    rust.extend(offsets!("struct sqlite3_index_constraint",
        ffi::sqlite3_index_info_sqlite3_index_constraint; iColumn, op, usable, iTermOffset));
    rust.extend(offsets!("struct sqlite3_index_orderby",
        ffi::sqlite3_index_info_sqlite3_index_orderby; iColumn, desc));
    rust.extend(offsets!("struct sqlite3_index_constraint_usage",
        ffi::sqlite3_index_info_sqlite3_index_constraint_usage; argvIndex, omit));
    rust.extend(offsets!("sqlite3_vtab", ffi::sqlite3_vtab; pModule, nRef, zErrMsg));
    rust.extend(offsets!("sqlite3_vtab_cursor", ffi::sqlite3_vtab_cursor; pVtab));
    rust.extend(offsets!("sqlite3_module", M;
        iVersion, xCreate, xConnect, xDisconnect, xDestroy, xOpen, xClose, xFilter,
        xNext, xEof, xColumn, xRowid, xUpdate, xBegin, xSync, xCommit, xRollback,
        xFindFunction, xRename, xSavepoint, xRelease, xRollbackTo));
    compare("offsets", c, &rust);
}

/// The header we compiled against is the library we linked.
#[test]
fn linked_library_matches_its_header() {
    // SAFETY: a static int exported by the shim.
    let header = unsafe { ferrolite_abi_version_number };
    // SAFETY: no preconditions.
    let linked = unsafe { ffi::sqlite3_libversion_number() };
    assert_eq!(linked, header);
    assert_eq!(ferrolite::version_number(), linked);
    let dotted = format!(
        "{}.{}.{}",
        linked / 1_000_000,
        linked / 1000 % 1000,
        linked % 1000
    );
    assert_eq!(ferrolite::version(), dotted);
}

/// In the vendored backend, the library is exactly the header our
/// bindings were generated from.
#[cfg(not(feature = "libsqlite3-sys"))]
#[test]
fn vendored_library_is_the_bindings_version() {
    // SAFETY: no preconditions.
    let linked = unsafe { ffi::sqlite3_libversion_number() };
    assert_eq!(linked, ffi::SQLITE_VERSION_NUMBER);
    // SAFETY: static NUL-terminated string.
    let source_id = unsafe { CStr::from_ptr(ffi::sqlite3_sourceid()) };
    assert_eq!(
        source_id.to_bytes_with_nul(),
        ffi::SQLITE_SOURCE_ID.as_slice()
    );
    let version = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sqlite3-vendored/VERSION"
    ))
    .unwrap();
    assert!(
        version.contains(ferrolite::version()),
        "sqlite3-vendored/VERSION does not name {}:\n{version}",
        ferrolite::version()
    );
}
