//! Loading a real extension (tests/ext/hello_ext.c, compiled here with
//! `cc` into a shared library). Needs feature `load_extension`.

#[test]
fn extension_loading_is_off_at_open_in_every_build() {
    // Some builds (libsqlite3-sys's bundled SQLite) enable the C API by
    // default; ferrolite turns it off when it opens a connection.
    use ferrolite::config::DbConfig;
    let conn = ferrolite::Connection::open_in_memory().unwrap();
    assert!(
        !conn
            .db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION)
            .unwrap()
    );
}

#[cfg(all(feature = "load_extension", unix))]
mod loading {
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;

    use ferrolite::{Connection, Error, LoadExtensionGuard, Result};

    /// The target triple of this test binary, for `cc` (which otherwise reads
    /// it from the environment of a build script).
    fn target() -> String {
        let arch = std::env::consts::ARCH;
        match std::env::consts::OS {
            "macos" => format!("{arch}-apple-darwin"),
            "freebsd" => format!("{arch}-unknown-freebsd"),
            _ => format!("{arch}-unknown-linux-gnu"),
        }
    }

    /// Builds the extension once per test binary; returns its path.
    fn extension() -> &'static Path {
        static LIB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
        let (_, path) = LIB.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            let out = dir.path().join(if cfg!(target_os = "macos") {
                "hello_ext.dylib"
            } else {
                "hello_ext.so"
            });
            let target = target();
            let compiler = cc::Build::new()
                .cargo_metadata(false)
                .cargo_warnings(false)
                .target(&target)
                .host(&target)
                .opt_level(0)
                .pic(true)
                .get_compiler();
            let status = compiler
                .to_command()
                .arg("-shared")
                .arg("-I")
                .arg(manifest.join("sqlite3-vendored"))
                .arg(manifest.join("tests/ext/hello_ext.c"))
                .arg("-o")
                .arg(&out)
                .status()
                .expect("run the C compiler");
            assert!(status.success(), "compiling the test extension failed");
            (dir, out)
        });
        path
    }

    fn hello(conn: &Connection) -> Result<String> {
        conn.query_row("SELECT hello('ferrolite')", [], |r| r.get(0))
    }

    #[test]
    fn loading_is_off_by_default() {
        let conn = Connection::open_in_memory().unwrap();
        // SAFETY: the test's own trusted library; loading is refused anyway.
        let err = unsafe { conn.load_extension(extension(), None::<&str>) }.unwrap_err();
        assert!(err.to_string().contains("not authorized"), "{err}");
        // Nor from SQL.
        let path = extension().to_str().unwrap().to_owned();
        let err = conn
            .query_row("SELECT load_extension(?1)", [&path], |_| Ok(()))
            .unwrap_err();
        assert!(err.to_string().contains("not authorized"), "{err}");
        assert!(hello(&conn).is_err(), "nothing was loaded");
    }

    #[test]
    fn guard_enables_loading_for_its_lifetime() -> Result<()> {
        let conn = Connection::open_in_memory()?;
        {
            // SAFETY: no untrusted SQL runs while the guard lives; the library
            // is the test's own.
            let _guard = unsafe { LoadExtensionGuard::new(&conn) }?;
            // SAFETY: as above.
            unsafe { conn.load_extension(extension(), None::<&str>) }?;
        }
        assert_eq!(hello(&conn)?, "hello, ferrolite!");
        // The guard is gone: loading is refused again, also from SQL.
        let path = extension().to_str().unwrap().to_owned();
        let err = conn
            .query_row("SELECT load_extension(?1)", [&path], |_| Ok(()))
            .unwrap_err();
        assert!(err.to_string().contains("not authorized"), "{err}");
        Ok(())
    }

    #[test]
    fn explicit_entry_points_and_failures() -> Result<()> {
        let conn = Connection::open_in_memory()?;
        // SAFETY: the test's own library; no untrusted SQL below.
        unsafe { conn.load_extension_enable() }?;
        // SAFETY: as above.
        unsafe { conn.load_extension(extension(), Some("sqlite3_helloext_init")) }?;
        assert_eq!(hello(&conn)?, "hello, ferrolite!");

        // The entry point's own error and message.
        // SAFETY: as above.
        let err = unsafe { conn.load_extension(extension(), Some("refuse_init")) }.unwrap_err();
        assert!(matches!(err, Error::SqliteFailure(..)));
        assert!(
            err.to_string().contains("this extension refuses to load"),
            "{err}"
        );

        // A missing entry point or library.
        // SAFETY: as above.
        let err = unsafe { conn.load_extension(extension(), Some("no_such_init")) }.unwrap_err();
        assert!(err.to_string().contains("no_such_init"), "{err}");
        // SAFETY: loading fails before any code runs.
        let err =
            unsafe { conn.load_extension("/nonexistent/libnothing", None::<&str>) }.unwrap_err();
        assert!(err.to_string().contains("nothing"), "{err}");
        // SAFETY: as above.
        let err = unsafe { conn.load_extension(extension(), Some("bad\0name")) }.unwrap_err();
        assert!(matches!(err, Error::NulError(_)));

        // From SQL, while enabled.
        let path = extension().to_str().unwrap().to_owned();
        let conn2 = Connection::open_in_memory()?;
        // SAFETY: as above.
        unsafe { conn2.load_extension_enable() }?;
        conn2.query_row("SELECT load_extension(?1)", [&path], |_| Ok(()))?;
        conn2.load_extension_disable()?;
        assert_eq!(hello(&conn2)?, "hello, ferrolite!");

        conn.load_extension_disable()?;
        // SAFETY: refused.
        assert!(unsafe { conn.load_extension(extension(), None::<&str>) }.is_err());
        Ok(())
    }
}
