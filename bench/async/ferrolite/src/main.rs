//! The ferrolite contender of the async benchmark (see ../shared.rs).

#[derive(Clone)]
struct Db(ferrolite::tokio::Connection);

impl Db {
    async fn open(rows: i64) -> Db {
        let conn = ferrolite::tokio::Connection::open_in_memory().await.unwrap();
        conn.call(move |c| {
            c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")?;
            let tx = c.transaction()?;
            for i in 1..=rows {
                tx.execute("INSERT INTO t VALUES (?1, ?2)", [i, i * 3])?;
            }
            tx.commit()
        })
        .await
        .unwrap();
        Db(conn)
    }

    async fn point_select(&self, id: i64) -> i64 {
        self.0
            .call(move |c| {
                c.prepare_cached("SELECT v FROM t WHERE id = ?1")?
                    .query_row([id], |r| r.get::<_, i64>(0))
            })
            .await
            .unwrap()
    }
}

include!("../../shared.rs");
