//! Virtual tables in safe Rust: a read-only table over a Rust collection
//! and a writable one.
//!
//! Run with `cargo run --example vtab`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::{CStr, c_int};
use std::ops::Bound;

use ferrolite::types::{Value, ValueRef};
use ferrolite::vtab::{
    self, Context, CreateVTab, Filters, IndexConstraintOp, IndexInfo, Inserts, UpdateVTab, Updates,
    VTab, VTabConnection, VTabCursor, VTabKind,
};
use ferrolite::{Connection, Error, Result};

// ---------------------------------------------------------------------------
// Read-only: the planets, with `WHERE name = ?` answered by a lookup.

struct Planet {
    name: &'static str,
    moons: i64,
    radius_km: f64,
}

const PLANETS: &[Planet] = &[
    Planet {
        name: "Mercury",
        moons: 0,
        radius_km: 2439.7,
    },
    Planet {
        name: "Venus",
        moons: 0,
        radius_km: 6051.8,
    },
    Planet {
        name: "Earth",
        moons: 1,
        radius_km: 6371.0,
    },
    Planet {
        name: "Mars",
        moons: 2,
        radius_km: 3389.5,
    },
    Planet {
        name: "Jupiter",
        moons: 95,
        radius_km: 69911.0,
    },
    Planet {
        name: "Saturn",
        moons: 146,
        radius_km: 58232.0,
    },
    Planet {
        name: "Uranus",
        moons: 28,
        radius_km: 25362.0,
    },
    Planet {
        name: "Neptune",
        moons: 16,
        radius_km: 24622.0,
    },
];

/// The table: the collection it reads (given as the module's aux data).
struct PlanetsTab {
    planets: &'static [Planet],
}

/// `idx_num` of a lookup by name.
const BY_NAME: c_int = 1;

impl<'vtab> VTab<'vtab> for PlanetsTab {
    type Aux = &'static [Planet];
    type Cursor = PlanetsCursor<'vtab>;

    fn connect(
        _db: &mut VTabConnection,
        aux: Option<&&'static [Planet]>,
        _module_name: &[u8],
        _database_name: &[u8],
        _table_name: &[u8],
        _args: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)> {
        let planets = aux.copied().unwrap_or(&[]);
        Ok((
            c"CREATE TABLE x(name TEXT, moons INTEGER, radius_km REAL)".into(),
            PlanetsTab { planets },
        ))
    }

    fn best_index(&self, info: &mut IndexInfo) -> Result<bool> {
        let by_name = info.constraints().position(|c| {
            c.column() == 0
                && c.operator() == IndexConstraintOp::SQLITE_INDEX_CONSTRAINT_EQ
                && c.is_usable()
        });
        if let Some(i) = by_name {
            let mut usage = info.constraint_usage(i);
            usage.set_argv_index(1); // its value is filter's argument 0
            usage.set_omit(true); // no need for SQLite to check it again
            info.set_idx_num(BY_NAME);
            info.set_estimated_cost(1.0);
            info.set_estimated_rows(1);
        } else {
            info.set_estimated_cost(self.planets.len() as f64);
        }
        Ok(true)
    }

    fn open(&'vtab self) -> Result<PlanetsCursor<'vtab>> {
        Ok(PlanetsCursor {
            planets: self.planets,
            rows: Vec::new(),
            pos: 0,
        })
    }
}

impl CreateVTab<'_> for PlanetsTab {
    const KIND: VTabKind = VTabKind::Default;
}

struct PlanetsCursor<'vtab> {
    planets: &'vtab [Planet],
    /// Indexes of the rows this scan returns.
    rows: Vec<usize>,
    pos: usize,
}

impl VTabCursor for PlanetsCursor<'_> {
    fn filter(&mut self, idx_num: c_int, _idx_str: Option<&str>, args: &Filters<'_>) -> Result<()> {
        self.rows.clear();
        self.pos = 0;
        if idx_num == BY_NAME {
            let name: String = args.get(0)?;
            self.rows
                .extend(self.planets.iter().position(|p| p.name == name));
        } else {
            self.rows.extend(0..self.planets.len());
        }
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        self.pos += 1;
        Ok(())
    }

    fn eof(&self) -> bool {
        self.pos >= self.rows.len()
    }

    fn column(&self, ctx: &mut Context, i: c_int) -> Result<()> {
        let p = &self.planets[self.rows[self.pos]];
        match i {
            0 => ctx.set_text(p.name),
            1 => ctx.set_i64(p.moons),
            _ => ctx.set_f64(p.radius_km),
        }
        Ok(())
    }

    fn rowid(&self) -> Result<i64> {
        Ok(self.rows[self.pos] as i64 + 1)
    }
}

// ---------------------------------------------------------------------------
// Writable: a to-do list kept in a BTreeMap. Table methods take `&self`
// (a cursor may be scanning while SQLite inserts), so the map is in a
// RefCell.

struct TodoTab {
    items: RefCell<BTreeMap<i64, (String, bool)>>,
}

impl<'vtab> VTab<'vtab> for TodoTab {
    type Aux = ();
    type Cursor = TodoCursor<'vtab>;

    fn connect(
        _db: &mut VTabConnection,
        _aux: Option<&()>,
        _module_name: &[u8],
        _database_name: &[u8],
        _table_name: &[u8],
        _args: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)> {
        Ok((
            c"CREATE TABLE x(task TEXT NOT NULL, done INTEGER)".into(),
            TodoTab {
                items: RefCell::default(),
            },
        ))
    }

    fn best_index(&self, info: &mut IndexInfo) -> Result<bool> {
        info.set_estimated_cost(self.items.borrow().len() as f64 + 1.0);
        Ok(true)
    }

    fn open(&'vtab self) -> Result<TodoCursor<'vtab>> {
        Ok(TodoCursor {
            tab: self,
            id: None,
        })
    }
}

impl CreateVTab<'_> for TodoTab {
    const KIND: VTabKind = VTabKind::Default;
}

impl UpdateVTab<'_> for TodoTab {
    fn delete(&self, rowid: ValueRef<'_>) -> Result<()> {
        self.items.borrow_mut().remove(&rowid.as_i64()?);
        Ok(())
    }

    fn insert(&self, args: &Inserts<'_>) -> Result<i64> {
        // args: [NULL, new rowid or NULL, task, done]
        let mut items = self.items.borrow_mut();
        let id = args
            .new_rowid()
            .unwrap_or_else(|| items.keys().next_back().map_or(1, |k| k + 1));
        let task: String = args.get(2)?;
        let done = args.get::<Option<bool>>(3)?.unwrap_or(false);
        if items.insert(id, (task, done)).is_some() {
            return Err(Error::ModuleError(format!("to-do {id} already exists")));
        }
        Ok(id)
    }

    fn update(&self, args: &Updates<'_>) -> Result<()> {
        // args: [old rowid, new rowid, task, done]
        let (old, new) = (args.get::<i64>(0)?, args.get::<i64>(1)?);
        let item = (args.get(2)?, args.get::<Option<bool>>(3)?.unwrap_or(false));
        let mut items = self.items.borrow_mut();
        items.remove(&old);
        items.insert(new, item);
        Ok(())
    }
}

/// Walks the ids in order; finds the next id from the current one, so
/// changes made while it scans are fine.
struct TodoCursor<'vtab> {
    tab: &'vtab TodoTab,
    id: Option<i64>,
}

impl VTabCursor for TodoCursor<'_> {
    fn filter(&mut self, _: c_int, _: Option<&str>, _: &Filters<'_>) -> Result<()> {
        self.id = self.tab.items.borrow().keys().next().copied();
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        if let Some(id) = self.id {
            let items = self.tab.items.borrow();
            self.id = items
                .range((Bound::Excluded(id), Bound::Unbounded))
                .next()
                .map(|(k, _)| *k);
        }
        Ok(())
    }

    fn eof(&self) -> bool {
        self.id.is_none()
    }

    fn column(&self, ctx: &mut Context, i: c_int) -> Result<()> {
        let items = self.tab.items.borrow();
        match self.id.and_then(|id| items.get(&id)) {
            Some((task, _)) if i == 0 => ctx.set_result(task.as_str()),
            Some((_, done)) => ctx.set_result(*done),
            None => ctx.set_result(Value::Null),
        }
    }

    fn rowid(&self) -> Result<i64> {
        self.id
            .ok_or_else(|| Error::ModuleError("no current row".into()))
    }
}

fn main() -> Result<()> {
    let db = Connection::open_in_memory()?;

    // Read-only table over a Rust collection.
    db.create_module(
        "planets",
        vtab::read_only_module::<PlanetsTab>(),
        Some(PLANETS),
    )?;
    db.execute_batch("CREATE VIRTUAL TABLE planets USING planets")?;
    println!("Planets with more than 10 moons:");
    let mut stmt =
        db.prepare("SELECT name, moons FROM planets WHERE moons > 10 ORDER BY moons DESC")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        println!(
            "  {:<8} {:>3}",
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?
        );
    }
    let radius: f64 = db.query_row(
        "SELECT radius_km FROM planets WHERE name = ?1",
        ["Mars"],
        |r| r.get(0),
    )?;
    println!("Mars: radius {radius} km (found by a lookup, not a scan)");

    // Writable table.
    db.create_module("todo", vtab::update_module::<TodoTab>(), None)?;
    db.execute_batch(
        "CREATE VIRTUAL TABLE todo USING todo;
         INSERT INTO todo(task) VALUES ('write the vtab'), ('test it'), ('ship it');
         UPDATE todo SET done = 1 WHERE task LIKE 'write%';
         DELETE FROM todo WHERE task = 'ship it';
         INSERT INTO todo(rowid, task) VALUES (10, 'celebrate');",
    )?;
    println!("To do:");
    let mut stmt = db.prepare("SELECT rowid, task, done FROM todo")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let done: bool = row.get(2)?;
        println!(
            "  {:>2}. [{}] {}",
            row.get::<_, i64>(0)?,
            if done { 'x' } else { ' ' },
            row.get::<_, String>(1)?
        );
    }
    // The table's own error reaches the caller with its message.
    let err = db
        .execute("INSERT INTO todo(rowid, task) VALUES (10, 'again')", [])
        .unwrap_err();
    println!("Inserting a duplicate: {err}");
    Ok(())
}
