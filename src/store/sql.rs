//! The thin query layer every statement of the store goes through.
//!
//! Statements are written once, with `?N` placeholders; parameters are [`Value`]s (a
//! small enum any backend can bind) and rows are read by index or column name into Rust
//! types through [`FromColumn`]. Keeping the store's SQL behind these few calls —
//! [`Conn::execute`], [`Conn::query_row`], [`Conn::query_opt`], [`Conn::query_map`] —
//! is what lets the same statements run on another backend, with branches only where the
//! dialects truly differ.
//!
//! On SQLite every statement goes through rusqlite's statement cache, so the embedded
//! store prepares each statement once per connection. On PostgreSQL (the synchronous
//! `postgres` client) `?N` becomes `$N`, each statement is prepared once per connection
//! and kept, values bind to whatever type the server inferred for a parameter (an integer
//! to `int4` or `int8`, a boolean to an integer column), and columns are read by their
//! type.
//!
//! A transaction is a [`Tx`]: it begins on creation, is committed by [`Tx::commit`], and
//! rolls back when dropped uncommitted. It dereferences to the [`Conn`], so helpers take
//! `&Conn` and are called with a transaction or a bare connection alike.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use postgres::types::{IsNull, ToSql, Type};

use super::{Result, StoreError};

/// How many prepared statements SQLite keeps per connection: more than the store has, so
/// none is prepared twice.
const STATEMENT_CACHE: usize = 256;

/// The PostgreSQL advisory lock every write transaction holds (any fixed number; "rdln").
const WRITE_LOCK: i64 = 0x72646c6e;

/// A parameter or a column value, as both backends know them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
}

/// A Rust value that binds as a statement parameter.
pub trait ToValue {
    fn to_value(&self) -> Value<'_>;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value<'_> {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value<'_> {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Bool(*self)
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_to_value!(i64, i32, u32, u16, u8);

impl ToValue for usize {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for u64 {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for Value<'_> {
    fn to_value(&self) -> Value<'_> {
        match self {
            Value::Text(s) => Value::Text(Cow::Borrowed(s)),
            Value::Blob(b) => Value::Blob(Cow::Borrowed(b)),
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(*i),
            Value::Real(r) => Value::Real(*r),
            Value::Bool(b) => Value::Bool(*b),
        }
    }
}

/// A statement's parameters: a tuple, an array, or `params![…]`.
pub trait Params {
    fn values(&self) -> Vec<Value<'_>>;
}

impl Params for () {
    fn values(&self) -> Vec<Value<'_>> {
        Vec::new()
    }
}

impl<T: ToValue, const N: usize> Params for [T; N] {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(ToValue::to_value).collect()
    }
}

impl Params for &[&dyn ToValue] {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

impl Params for Vec<Value<'_>> {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(ToValue::to_value).collect()
    }
}

macro_rules! tuple_params {
    ($($name:ident . $i:tt),+) => {
        impl<$($name: ToValue),+> Params for ($($name,)+) {
            fn values(&self) -> Vec<Value<'_>> {
                vec![$(self.$i.to_value()),+]
            }
        }
    };
}
tuple_params!(A.0);
tuple_params!(A.0, B.1);
tuple_params!(A.0, B.1, C.2);
tuple_params!(A.0, B.1, C.2, D.3);
tuple_params!(A.0, B.1, C.2, D.3, E.4);
tuple_params!(A.0, B.1, C.2, D.3, E.4, F.5);
tuple_params!(A.0, B.1, C.2, D.3, E.4, F.5, G.6);
tuple_params!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7);
tuple_params!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8);
tuple_params!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9);
tuple_params!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10);
tuple_params!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11);
tuple_params!(
    A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11, M.12
);
tuple_params!(
    A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11, M.12, N.13
);
tuple_params!(
    A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11, M.12, N.13, O.14
);
tuple_params!(
    A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11, M.12, N.13, O.14, P.15
);

/// Parameters of mixed types, more than a tuple comfortably holds.
macro_rules! params {
    ($($v:expr),* $(,)?) => {
        &[$(&$v as &dyn $crate::store::sql::ToValue),*] as &[&dyn $crate::store::sql::ToValue]
    };
}
pub(crate) use params;

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Bool(b) => ValueRef::Integer(i64::from(*b)),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A Rust type a column reads into.
pub trait FromColumn: Sized {
    /// Converts a column's value; the error says what was found instead.
    fn from_value(v: Value<'_>) -> Result<Self, String>;
}

impl<T: FromColumn> FromColumn for Option<T> {
    fn from_value(v: Value<'_>) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

fn found(v: &Value<'_>) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Int(i) => format!("the integer {i}"),
        Value::Real(r) => format!("the number {r}"),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Text(s) => format!("the text {s:?}"),
        Value::Blob(b) => format!("{} bytes", b.len()),
    }
}

impl FromColumn for i64 {
    fn from_value(v: Value<'_>) -> Result<Self, String> {
        match v {
            Value::Int(i) => Ok(i),
            Value::Bool(b) => Ok(i64::from(b)),
            v => Err(format!("expected an integer, found {}", found(&v))),
        }
    }
}

impl FromColumn for usize {
    fn from_value(v: Value<'_>) -> Result<Self, String> {
        let i = i64::from_value(v)?;
        usize::try_from(i).map_err(|_| format!("expected a count, found {i}"))
    }
}

impl FromColumn for u16 {
    fn from_value(v: Value<'_>) -> Result<Self, String> {
        let i = i64::from_value(v)?;
        u16::try_from(i).map_err(|_| format!("expected a small number, found {i}"))
    }
}

impl FromColumn for bool {
    fn from_value(v: Value<'_>) -> Result<Self, String> {
        match v {
            Value::Bool(b) => Ok(b),
            Value::Int(i) => Ok(i != 0),
            v => Err(format!("expected a boolean, found {}", found(&v))),
        }
    }
}

impl FromColumn for f64 {
    fn from_value(v: Value<'_>) -> Result<Self, String> {
        match v {
            Value::Real(r) => Ok(r),
            Value::Int(i) => Ok(i as f64),
            v => Err(format!("expected a number, found {}", found(&v))),
        }
    }
}

impl FromColumn for String {
    fn from_value(v: Value<'_>) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.into_owned()),
            v => Err(format!("expected text, found {}", found(&v))),
        }
    }
}

impl FromColumn for Vec<u8> {
    fn from_value(v: Value<'_>) -> Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b.into_owned()),
            Value::Text(s) => Ok(s.into_owned().into_bytes()),
            v => Err(format!("expected bytes, found {}", found(&v))),
        }
    }
}

impl FromColumn for Value<'static> {
    fn from_value(v: Value<'_>) -> Result<Self, String> {
        Ok(match v {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(i),
            Value::Real(r) => Value::Real(r),
            Value::Bool(b) => Value::Bool(b),
            Value::Text(s) => Value::Text(Cow::Owned(s.into_owned())),
            Value::Blob(b) => Value::Blob(Cow::Owned(b.into_owned())),
        })
    }
}

/// A column named by its position or its name.
pub trait ColumnIndex: Copy + std::fmt::Display {
    fn lite(self, row: &rusqlite::Row<'_>) -> rusqlite::Result<usize>;
    fn pg(self, row: &postgres::Row) -> Option<usize>;
}

impl ColumnIndex for usize {
    fn lite(self, _: &rusqlite::Row<'_>) -> rusqlite::Result<usize> {
        Ok(self)
    }

    fn pg(self, row: &postgres::Row) -> Option<usize> {
        (self < row.len()).then_some(self)
    }
}

impl ColumnIndex for &str {
    fn lite(self, row: &rusqlite::Row<'_>) -> rusqlite::Result<usize> {
        row.as_ref().column_index(self)
    }

    fn pg(self, row: &postgres::Row) -> Option<usize> {
        row.columns().iter().position(|c| c.name() == self)
    }
}

/// One result row.
#[derive(Debug)]
pub enum Row<'a, 'b> {
    Lite(&'a rusqlite::Row<'b>),
    Pg(&'a postgres::Row),
}

impl Row<'_, '_> {
    /// The column `i` (a position or a name) as a `T`.
    pub fn get<I: ColumnIndex, T: FromColumn>(&self, i: I) -> Result<T> {
        T::from_value(self.value(i)?).map_err(|message| StoreError::Column {
            column: i.to_string(),
            message,
        })
    }

    /// Appends the text column `i` to `buf`, without a string of its own (for listings
    /// of many rows); false, and nothing appended, when it is NULL.
    pub fn push_text<I: ColumnIndex>(&self, i: I, buf: &mut String) -> Result<bool> {
        match self.value(i)? {
            Value::Null => Ok(false),
            Value::Text(s) => {
                buf.push_str(&s);
                Ok(true)
            }
            v => Err(StoreError::Column {
                column: i.to_string(),
                message: format!("expected text, found {}", found(&v)),
            }),
        }
    }

    fn value<I: ColumnIndex>(&self, i: I) -> Result<Value<'_>> {
        Ok(match self {
            Row::Lite(r) => {
                let idx = i.lite(r)?;
                lite_value(r.get_ref(idx)?)
            }
            Row::Pg(r) => {
                let idx = i.pg(r).ok_or_else(|| StoreError::Column {
                    column: i.to_string(),
                    message: "no such column in the result".into(),
                })?;
                pg_value(r, idx)?
            }
        })
    }
}

fn lite_value(v: rusqlite::types::ValueRef<'_>) -> Value<'_> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => Value::Blob(Cow::Borrowed(b)),
    }
}

/// Reads a PostgreSQL column by its type.
fn pg_value(r: &postgres::Row, i: usize) -> Result<Value<'_>> {
    let ty = r.columns()[i].type_().clone();
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::Int);
    Ok(match ty {
        Type::INT8 => int(r.try_get(i)?),
        Type::INT4 => int(r.try_get::<_, Option<i32>>(i)?.map(i64::from)),
        Type::INT2 => int(r.try_get::<_, Option<i16>>(i)?.map(i64::from)),
        Type::BOOL => r
            .try_get::<_, Option<bool>>(i)?
            .map_or(Value::Null, Value::Bool),
        Type::FLOAT8 => r
            .try_get::<_, Option<f64>>(i)?
            .map_or(Value::Null, Value::Real),
        Type::FLOAT4 => r
            .try_get::<_, Option<f32>>(i)?
            .map_or(Value::Null, |v| Value::Real(f64::from(v))),
        Type::BYTEA => r
            .try_get::<_, Option<&[u8]>>(i)?
            .map_or(Value::Null, |b| Value::Blob(Cow::Borrowed(b))),
        _ => r
            .try_get::<_, Option<&str>>(i)?
            .map_or(Value::Null, |s| Value::Text(Cow::Borrowed(s))),
    })
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Value<'_> {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Value::Real(r) => match *ty {
                Type::FLOAT4 => (*r as f32).to_sql(ty, out),
                _ => r.to_sql(ty, out),
            },
            Value::Bool(b) => match *ty {
                Type::INT8 => i64::from(*b).to_sql(ty, out),
                Type::INT4 => i32::from(*b).to_sql(ty, out),
                Type::INT2 => i16::from(*b).to_sql(ty, out),
                _ => b.to_sql(ty, out),
            },
            Value::Text(s) => s.as_ref().to_sql(ty, out),
            Value::Blob(b) => b.as_ref().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// Rewrites SQLite's `?N` placeholders as PostgreSQL's `$N`, leaving quoted text alone.
pub fn pg_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '?') => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A PostgreSQL connection and the statements prepared on it.
pub struct Pg {
    /// Always there until the connection is dropped.
    client: RefCell<Option<postgres::Client>>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
}

impl std::fmt::Debug for Pg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pg")
            .field("statements", &self.statements.borrow().len())
            .finish()
    }
}

impl Pg {
    /// Wraps a connected client.
    pub fn new(client: postgres::Client) -> Pg {
        Pg {
            client: RefCell::new(Some(client)),
            statements: RefCell::new(HashMap::new()),
        }
    }

    /// Runs `f` with the client.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<T> {
        match self.client.borrow_mut().as_mut() {
            Some(c) => Ok(f(c)?),
            None => Err(StoreError::Task(
                "the PostgreSQL connection is closed".into(),
            )),
        }
    }

    fn statement(&self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.with(|c| c.prepare(&pg_placeholders(sql)))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), prepared.clone());
        Ok(prepared)
    }

    fn query<P: Params>(&self, sql: &str, params: P) -> Result<Vec<postgres::Row>> {
        let stmt = self.statement(sql)?;
        let values = params.values();
        let refs: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        self.with(|c| c.query(&stmt, &refs))
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        // The client closes its connection on its own runtime, which must not happen on
        // a thread that runs async tasks: hand it to a plain thread there.
        if tokio::runtime::Handle::try_current().is_ok()
            && let Some(client) = self.client.get_mut().take()
        {
            std::thread::spawn(move || drop(client));
        }
    }
}

/// A connection to the database.
#[derive(Debug)]
pub enum Conn {
    Lite(rusqlite::Connection),
    Pg(Box<Pg>),
}

impl Conn {
    /// Wraps an open SQLite connection, with a statement cache large enough for every
    /// statement the store runs.
    ///
    /// The query planner's stability guarantee is on: a plan never depends on the values
    /// bound to a statement. Without it SQLite plans some statements for their values (a
    /// check's `MAX(number)` of an article's versions among them) and prepares them
    /// again every time other values are bound, so the statement cache spared nothing for
    /// them. No statement of the store needs a bound value to choose its index (the
    /// partial indexes are matched by literal conditions).
    pub fn lite(conn: rusqlite::Connection) -> Conn {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        if let Err(e) = conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        ) {
            // Only slower: statements are then prepared again for new values.
            tracing::warn!(error = %e, "cannot set SQLite's query planner stability guarantee");
        }
        Conn::Lite(conn)
    }

    /// The SQLite connection, on SQLite.
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::Lite(c) => Some(c),
            Conn::Pg(_) => None,
        }
    }

    /// Whether this is a PostgreSQL connection.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Conn::Pg(_))
    }

    /// Runs a statement; returns how many rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        match self {
            Conn::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.values()))?)
            }
            Conn::Pg(pg) => {
                let stmt = pg.statement(sql)?;
                let values = params.values();
                let refs: Vec<&(dyn ToSql + Sync)> =
                    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                let n = pg.with(|c| c.execute(&stmt, &refs))?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
        }
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Lite(c) => Ok(c.execute_batch(sql)?),
            Conn::Pg(pg) => pg.with(|c| c.batch_execute(sql)),
        }
    }

    /// Every row of a query, each read by `f`.
    pub fn query_map<T, P, F>(&self, sql: &str, params: P, mut f: F) -> Result<Vec<T>>
    where
        P: Params,
        F: FnMut(&Row<'_, '_>) -> Result<T>,
    {
        match self {
            Conn::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(params.values()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(f(&Row::Lite(r))?);
                }
                Ok(out)
            }
            Conn::Pg(pg) => pg
                .query(sql, params)?
                .iter()
                .map(|r| f(&Row::Pg(r)))
                .collect(),
        }
    }

    /// The first row of a query, if there is one.
    pub fn query_opt<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<Option<T>>
    where
        P: Params,
        F: FnOnce(&Row<'_, '_>) -> Result<T>,
    {
        match self {
            Conn::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(params.values()))?;
                match rows.next()? {
                    Some(r) => Ok(Some(f(&Row::Lite(r))?)),
                    None => Ok(None),
                }
            }
            Conn::Pg(pg) => match pg.query(sql, params)?.first() {
                Some(r) => Ok(Some(f(&Row::Pg(r))?)),
                None => Ok(None),
            },
        }
    }

    /// The first row of a query that always returns one (a count, `RETURNING`).
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_, '_>) -> Result<T>,
    {
        self.query_opt(sql, params, f)?
            .ok_or(StoreError::Sql(rusqlite::Error::QueryReturnedNoRows))
    }

    /// Begins a write transaction that holds the database's write lock from its start:
    /// it waits for another writer instead of failing half-way, and what it reads cannot
    /// be changed by another writer before it commits. On SQLite that is `BEGIN
    /// IMMEDIATE`; on PostgreSQL a transaction-scoped advisory lock that every write
    /// transaction of every worker takes, except the claims ([`Conn::claim`]), so that
    /// writes that read before they write behave exactly as on SQLite: the
    /// compare-and-set of a check against the latest version, an entry's identity
    /// resolved through every article's addresses before it is inserted, a move that
    /// joins two articles, the schema migrations (readers are never blocked).
    pub fn write(&mut self) -> Result<Tx<'_>> {
        match self {
            Conn::Lite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Conn::Pg(pg) => pg.with(|c| {
                c.batch_execute(&format!(
                    "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
                ))
            })?,
        }
        Ok(Tx {
            conn: self,
            open: true,
        })
    }

    /// Begins a transaction for claims: on SQLite the same as [`Conn::write`] (`BEGIN
    /// IMMEDIATE`: SQLite has no row locks, so a claim takes the file's write lock); on
    /// PostgreSQL a plain transaction without the advisory lock, whose statements lock
    /// the rows they claim (`SELECT … FOR UPDATE SKIP LOCKED`): workers claiming at once
    /// each take rows the others have not locked, and none waits for another.
    pub fn claim(&mut self) -> Result<Tx<'_>> {
        match self {
            Conn::Lite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Conn::Pg(pg) => pg.with(|c| c.batch_execute("BEGIN"))?,
        }
        Ok(Tx {
            conn: self,
            open: true,
        })
    }
}

/// An open transaction: committed by [`Tx::commit`], rolled back when dropped.
#[derive(Debug)]
pub struct Tx<'a> {
    conn: &'a Conn,
    open: bool,
}

impl Tx<'_> {
    /// Commits; a commit that fails leaves the transaction to roll back on drop.
    pub fn commit(mut self) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing of a failed transaction is kept; if even the rollback fails the
            // connection is broken and the next statement says so.
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(error = %e, "rolling back a transaction failed");
            }
        }
    }
}
