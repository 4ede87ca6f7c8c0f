/* A tiny SQLite extension for tests/load_extension.rs: hello(name) and a
 * second entry point that refuses to load. Built by the test with `cc`. */
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

static void hello(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const unsigned char *who = argc > 0 ? sqlite3_value_text(argv[0]) : 0;
  char *s = sqlite3_mprintf("hello, %s!", who ? (const char *)who : "world");
  if (s == 0) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, s, -1, sqlite3_free);
}

/* The default entry point for a file named hello_ext.so. */
#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_helloext_init(sqlite3 *db, char **pzErrMsg,
                          const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  (void)pzErrMsg;
  return sqlite3_create_function(db, "hello", -1,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0, hello,
                                 0, 0);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int refuse_init(sqlite3 *db, char **pzErrMsg,
                const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  (void)db;
  *pzErrMsg = sqlite3_mprintf("this extension refuses to load");
  return SQLITE_ERROR;
}
