// The async workloads, shared word for word by both contenders: each
// main.rs defines `Db` (open, point_select) over its crate and includes
// this file.
//
// point_select: CALLS sequential `call`s, each one point select by primary
// key through a cached statement, awaited before the next (what a request
// handler does); on a current-thread runtime and on a 2-worker one.
// point_select_4tasks: the same number of calls from 4 concurrent tasks
// sharing one connection (calls queue on its thread).

use std::time::Instant;

const ROWS: i64 = 1000;
const CALLS: i64 = 100_000;

fn runtime(kind: &str) -> tokio::runtime::Runtime {
    match kind {
        "current" => tokio::runtime::Builder::new_current_thread().build().unwrap(),
        _ => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    }
}

async fn sequential(db: &Db, calls: i64) -> i64 {
    let mut sum = 0;
    for i in 0..calls {
        sum += db.point_select(1 + (i * 7919) % ROWS).await;
    }
    sum
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let workload = args.get(1).map(String::as_str).unwrap_or("point_select_current");
    let calls: i64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(CALLS);
    let (flavor, tasks) = match workload {
        "point_select_current" => ("current", 1),
        "point_select_multi" => ("multi", 1),
        "point_select_4tasks" => ("multi", 4),
        other => panic!("unknown workload {other}"),
    };
    let rt = runtime(flavor);
    rt.block_on(async {
        let db = Db::open(ROWS).await;
        // Warm-up: the thread, the statement cache, the pages.
        sequential(&db, 1000).await;
        let start = Instant::now();
        let sum = if tasks == 1 {
            sequential(&db, calls).await
        } else {
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    let db = db.clone();
                    tokio::spawn(async move { sequential(&db, calls / tasks).await })
                })
                .collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        };
        let ns = start.elapsed().as_nanos();
        println!("{workload}\t{ns}\t{sum}");
    });
}
