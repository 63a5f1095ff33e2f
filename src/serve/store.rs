//! Reviewers' decisions and the queue of notes, in SQLite.
//!
//! A [`Store`] keeps the notes waiting for review, each with the report medcode made for it,
//! and every decision a reviewer takes on a code: accept it, reject it, change it to another
//! code, or add a code medcode missed. Decisions are appended and never updated or deleted
//! (triggers refuse both), so the `decisions` table is the audit trail; the current decision
//! on a code of a note is its latest row ([`current`]).
//!
//! Every call is one SQLite transaction behind a mutex, committed with `synchronous=FULL`: a
//! decision [`Store::decide`] returned survives a crash or a power cut. Calls block; from async
//! code, run them on `tokio::task::spawn_blocking`.
//!
//! Not for coding (the pipeline never reads it) nor for many writers: it is one file for one
//! server process. Accepted codes leave it through [`crate::serve::export`].

use std::path::Path;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use rusqlite_migration::{M, Migrations};
use serde::Serialize;

use crate::code::CodeSystem;
use crate::report::{Report, Status};
use crate::setting::Setting;
use crate::span::Span;

/// A note's place in the queue: its row id. Queue order is the order of keys.
pub type NoteKey = i64;

/// How long a call waits for a lock held by another connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema, one step per version (kept in SQLite's `user_version`). Append steps; never
/// edit one that has shipped.
const MIGRATION_STEPS: &[M<'static>] = &[M::up(
    "CREATE TABLE notes (
        key INTEGER PRIMARY KEY,
        note_id TEXT NOT NULL UNIQUE,
        text TEXT NOT NULL,
        setting TEXT NOT NULL,
        date_of_service TEXT,
        meta TEXT,
        report TEXT NOT NULL,
        added_at TEXT NOT NULL,
        suggestions INTEGER NOT NULL,
        needs_review INTEGER NOT NULL,
        lowest_confidence REAL,
        systems INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'unreviewed'
            CHECK (state IN ('unreviewed', 'in_progress', 'done')),
        decided INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX notes_state ON notes (state);
    CREATE TABLE suggestions (
        note_key INTEGER NOT NULL REFERENCES notes (key),
        position INTEGER NOT NULL,
        system TEXT NOT NULL,
        code TEXT NOT NULL,
        title TEXT NOT NULL,
        evidence_start INTEGER,
        evidence_end INTEGER,
        PRIMARY KEY (note_key, system, code)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        note_key INTEGER NOT NULL REFERENCES notes (key),
        system TEXT NOT NULL,
        code TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'change', 'add')),
        new_code TEXT,
        reason TEXT,
        evidence_start INTEGER,
        evidence_end INTEGER,
        reviewer TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        medcode_version TEXT NOT NULL,
        rules_fingerprint TEXT NOT NULL
    ) STRICT;
    CREATE INDEX decisions_note ON decisions (note_key, id);
    CREATE TRIGGER decisions_never_updated BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are an audit trail: never updated'); END;
    CREATE TRIGGER decisions_never_deleted BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are an audit trail: never deleted'); END;",
)];

/// The store's migrations.
pub const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_STEPS);

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("{doing}: {source}")]
    Sqlite {
        /// What was being done.
        doing: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The schema could not be brought up to date.
    #[error("updating the review database: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// Something stored does not read back (a report, a name).
    #[error("the review database is damaged: {what}")]
    Corrupt {
        /// What does not read.
        what: String,
    },
    /// A decision was refused; the message says why, in plain English.
    #[error("{0}")]
    Invalid(String),
    /// No note has this key.
    #[error("no note {0} in the review queue")]
    NoSuchNote(NoteKey),
}

/// Adds what was being done to a SQLite error.
trait Doing<T> {
    fn doing(self, what: &'static str) -> Result<T, StoreError>;
}

impl<T> Doing<T> for rusqlite::Result<T> {
    fn doing(self, doing: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite { doing, source })
    }
}

/// A note to queue, with the report medcode made for it.
#[derive(Debug, Clone, Copy)]
pub struct NewNote<'a> {
    /// The note's id, unique in the queue.
    pub note_id: &'a str,
    /// Its text.
    pub text: &'a str,
    /// Inpatient or outpatient.
    pub setting: Setting,
    /// The date of service, as given.
    pub date_of_service: Option<&'a str>,
    /// Input fields medcode does not read, kept to join the output back.
    pub meta: Option<&'a serde_json::Map<String, serde_json::Value>>,
    /// medcode's report on it.
    pub report: &'a Report,
}

/// What [`Store::add_notes`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Added {
    /// The keys of the notes queued, in order.
    pub keys: Vec<NoteKey>,
    /// Ids of notes not queued because a note with that id was already there.
    pub skipped: Vec<String>,
}

/// Defines a small enum with snake_case names, `name()`, `ALL` and `FromStr`.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used in the API and the database.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = StoreError;

            fn from_str(text: &str) -> Result<$name, StoreError> {
                $name::ALL.iter().copied().find(|v| v.name() == text).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.name()).collect();
                    StoreError::Invalid(format!(
                        "`{}` is not one of: {}",
                        text.chars().take(40).collect::<String>(),
                        names.join(", ")
                    ))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// How far review of a note has got.
    ReviewState {
        /// No decision yet.
        Unreviewed = "unreviewed",
        /// Some suggestions have no decision yet.
        InProgress = "in_progress",
        /// Every suggestion has a decision (a note without suggestions: after its first decision).
        Done = "done",
    }
}

named_enum! {
    /// What a reviewer decided about a code.
    Action {
        /// The suggestion is right.
        Accept = "accept",
        /// The suggestion is wrong (with a reason).
        Reject = "reject",
        /// The right code is another one (the new code).
        Change = "change",
        /// A code medcode did not suggest (with the text that supports it).
        Add = "add",
    }
}

/// Which notes a page shows; every field left `None` matches every note.
#[derive(Default, Clone, Debug)]
pub struct QueueFilter {
    /// Notes with (true) or without (false) a suggestion that needs review.
    pub needs_review: Option<bool>,
    /// Notes with at least one suggestion in this system.
    pub system: Option<CodeSystem>,
    /// Notes whose lowest suggestion confidence is below this.
    pub below_confidence: Option<f32>,
    /// Notes in this review state.
    pub state: Option<ReviewState>,
    /// Notes whose id contains this text (ASCII case ignored).
    pub note_id: Option<String>,
}

/// One note in a page of the queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueRow {
    /// Its key.
    pub key: NoteKey,
    /// Its id.
    pub note_id: String,
    /// Inpatient or outpatient.
    pub setting: Setting,
    /// Suggestions in its report.
    pub suggestions: u32,
    /// Suggestions that need review.
    pub needs_review: u32,
    /// Suggestions with a current decision.
    pub decided: u32,
    /// How far its review has got.
    pub state: ReviewState,
    /// The lowest confidence of its suggestions.
    pub lowest_confidence: Option<f32>,
    /// The systems of its suggestions.
    pub systems: Vec<CodeSystem>,
}

/// Counts over the whole queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Notes queued.
    pub notes: u64,
    /// Notes without a decision.
    pub unreviewed: u64,
    /// Notes partly reviewed.
    pub in_progress: u64,
    /// Notes with a decision on every suggestion.
    pub done: u64,
}

/// A page of the queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueuePage {
    /// The notes, in queue order.
    pub rows: Vec<QueueRow>,
    /// Notes matching the filter, on every page.
    pub total: u64,
    /// The whole queue, whatever the filter.
    pub progress: Progress,
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    /// The code's system.
    pub system: CodeSystem,
    /// The code decided on (for Add, the code added).
    pub code: String,
    /// What was decided.
    pub action: Action,
    /// For Change only: the right code.
    pub new_code: Option<String>,
    /// Why; required for Reject.
    pub reason: Option<String>,
    /// For Add (required): the text the reviewer selected, as byte offsets into the note.
    pub evidence: Option<Span>,
    /// Who decided.
    pub reviewer: String,
    /// The medcode version serving the review.
    pub medcode_version: String,
    /// The rules fingerprint of the report reviewed.
    pub rules_fingerprint: String,
}

/// A recorded decision: one row of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Its id, increasing in the order decisions were taken.
    pub id: i64,
    /// The note.
    pub key: NoteKey,
    /// The code's system.
    pub system: CodeSystem,
    /// The code decided on.
    pub code: String,
    /// What was decided.
    pub action: Action,
    /// For Change: the right code.
    pub new_code: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The text the reviewer selected.
    pub evidence: Option<Span>,
    /// Who decided.
    pub reviewer: String,
    /// When, RFC 3339 in UTC.
    pub decided_at: String,
    /// The medcode version serving the review.
    pub medcode_version: String,
    /// The rules fingerprint of the report reviewed.
    pub rules_fingerprint: String,
}

/// A queued note with its report and every decision on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredNote {
    /// Its key.
    pub key: NoteKey,
    /// Its id.
    pub note_id: String,
    /// Its text.
    pub text: String,
    /// Inpatient or outpatient.
    pub setting: Setting,
    /// The date of service, as given.
    pub date_of_service: Option<String>,
    /// Input fields medcode does not read.
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
    /// medcode's report.
    pub report: Report,
    /// Every decision, oldest first: the audit trail.
    pub decisions: Vec<Decision>,
    /// The note before it in the queue.
    pub previous: Option<NoteKey>,
    /// The note after it in the queue.
    pub next: Option<NoteKey>,
}

/// The codes a note ends up with after review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteCodes {
    /// The note's key.
    pub key: NoteKey,
    /// Its id.
    pub note_id: String,
    /// Inpatient or outpatient.
    pub setting: Setting,
    /// Its text (evidence spans point into it).
    pub text: String,
    /// Its final codes: suggestions in report order, then codes added, in the order decided.
    pub codes: Vec<FinalCode>,
}

/// A code a reviewer accepted, changed to or added.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinalCode {
    /// Its system.
    pub system: CodeSystem,
    /// The code (for Change, the new code).
    pub code: String,
    /// Its title from the report, or empty when the report does not have it.
    pub title: String,
    /// Accept, Change or Add.
    pub action: Action,
    /// The text supporting it: the reviewer's selection, else the suggestion's first evidence.
    pub evidence: Option<Span>,
    /// Who decided.
    pub reviewer: String,
    /// When, RFC 3339 in UTC.
    pub decided_at: String,
}

/// The current decisions: the latest per (system, code), in the order each code was first
/// decided. `decisions` must be oldest first, as [`StoredNote::decisions`] is.
pub fn current(decisions: &[Decision]) -> Vec<&Decision> {
    let mut out: Vec<&Decision> = Vec::new();
    for d in decisions {
        match out
            .iter_mut()
            .find(|c| c.system == d.system && c.code == d.code)
        {
            Some(slot) => *slot = d,
            None => out.push(d),
        }
    }
    out
}

/// The queue and its decisions in one SQLite database. `Send + Sync`: share it in an `Arc`.
#[derive(Debug)]
pub struct Store {
    connection: Mutex<Connection>,
}

impl Store {
    /// Opens the database at `path`, creating it if missing, and brings its schema up to date.
    ///
    /// # Errors
    /// [`StoreError`] when the file cannot be opened or migrated.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let connection = Connection::open(path).doing("opening the review database")?;
        Store::prepare(connection)
    }

    /// A store in memory, for tests and throwaway sessions.
    ///
    /// # Errors
    /// [`StoreError`] when SQLite cannot start.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let connection = Connection::open_in_memory().doing("opening a database in memory")?;
        Store::prepare(connection)
    }

    fn prepare(mut connection: Connection) -> Result<Store, StoreError> {
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .doing("setting the busy timeout")?;
        let _mode: String = connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .doing("turning on write-ahead logging")?;
        // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on a power cut.
        connection
            .pragma_update(None, "synchronous", "FULL")
            .doing("setting synchronous=FULL")?;
        connection
            .pragma_update(None, "foreign_keys", "ON")
            .doing("turning on foreign keys")?;
        MIGRATIONS.to_latest(&mut connection)?;
        Ok(Store {
            connection: Mutex::new(connection),
        })
    }

    /// The connection. A panic while it was held leaves it usable: the transaction it was in
    /// rolled back when dropped.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues notes, in one transaction. A note whose id is already queued is skipped.
    ///
    /// # Errors
    /// [`StoreError`]; nothing is queued then.
    pub fn add_notes(&self, notes: &[NewNote]) -> Result<Added, StoreError> {
        let mut connection = self.lock();
        let tx = immediate(&mut connection)?;
        let added_at = now();
        let mut added = Added::default();
        for note in notes {
            match insert_note(&tx, note, &added_at)? {
                Some(key) => added.keys.push(key),
                None => added.skipped.push(note.note_id.to_string()),
            }
        }
        tx.commit().doing("committing the notes")?;
        Ok(added)
    }

    /// A page of the notes matching `filter`, in queue order, with counts.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn page(
        &self,
        filter: &QueueFilter,
        offset: u64,
        limit: u64,
    ) -> Result<QueuePage, StoreError> {
        let connection = self.lock();
        let (clause, mut values) = filter_clause(filter);
        let total: i64 = connection
            .query_row(
                &format!("SELECT count(*) FROM notes {clause}"),
                rusqlite::params_from_iter(values.iter()),
                |row| row.get(0),
            )
            .doing("counting the queue")?;
        values.push(Value::Integer(clamp_i64(limit)));
        values.push(Value::Integer(clamp_i64(offset)));
        let sql = format!(
            "SELECT key, note_id, setting, suggestions, needs_review, decided, state,
                    lowest_confidence, systems
             FROM notes {clause} ORDER BY key LIMIT ? OFFSET ?"
        );
        let mut statement = connection.prepare(&sql).doing("reading the queue")?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(values.iter()), queue_row)
            .doing("reading the queue")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .doing("reading the queue")?;
        Ok(QueuePage {
            rows,
            total: total.max(0) as u64,
            progress: progress(&connection)?,
        })
    }

    /// A note with its report, its decisions and its neighbours in the queue.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when its report or meta do not read back.
    pub fn note(&self, key: NoteKey) -> Result<Option<StoredNote>, StoreError> {
        let connection = self.lock();
        let raw = connection
            .query_row(
                "SELECT note_id, text, setting, date_of_service, meta, report,
                    (SELECT max(key) FROM notes WHERE key < ?1),
                    (SELECT min(key) FROM notes WHERE key > ?1)
                 FROM notes WHERE key = ?1",
                [key],
                raw_note,
            )
            .optional()
            .doing("reading a note")?;
        let Some(raw) = raw else {
            return Ok(None);
        };
        let meta = (raw.meta.as_deref())
            .map(|m| from_json(m, "meta", key))
            .transpose()?;
        Ok(Some(StoredNote {
            key,
            report: from_json(&raw.report, "report", key)?,
            meta,
            note_id: raw.note_id,
            text: raw.text,
            setting: raw.setting,
            date_of_service: raw.date_of_service,
            decisions: decisions_of(&connection, key)?,
            previous: raw.previous,
            next: raw.next,
        }))
    }

    /// Records a decision and updates the note's review state, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] (with why) for a decision that does not make sense,
    /// [`StoreError::NoSuchNote`] for an unknown key.
    pub fn decide(&self, key: NoteKey, decision: &NewDecision) -> Result<Decision, StoreError> {
        check_shape(decision)?;
        let mut connection = self.lock();
        let tx = immediate(&mut connection)?;
        let (text, suggestions): (String, i64) = tx
            .query_row(
                "SELECT text, suggestions FROM notes WHERE key = ?",
                [key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .doing("reading the note decided on")?
            .ok_or(StoreError::NoSuchNote(key))?;
        if let Some(span) = decision.evidence {
            check_span(span, &text)?;
        }
        if decision.action != Action::Add && !known_code(&tx, key, decision)? {
            return Err(StoreError::Invalid(format!(
                "{} {} is not suggested for this note and has no earlier decision: add it instead",
                decision.system, decision.code
            )));
        }
        let recorded = insert_decision(&tx, key, decision)?;
        update_state(&tx, key, suggestions)?;
        tx.commit().doing("committing the decision")?;
        Ok(recorded)
    }

    /// Every note with at least one final code, in queue order.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn accepted(&self) -> Result<Vec<NoteCodes>, StoreError> {
        let connection = self.lock();
        let keys: Vec<NoteKey> = connection
            .prepare("SELECT DISTINCT note_key FROM decisions ORDER BY note_key")
            .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
            .doing("listing the notes decided on")?;
        let mut out = Vec::new();
        for key in keys {
            if let Some(codes) = note_codes(&connection, key)?.filter(|n| !n.codes.is_empty()) {
                out.push(codes);
            }
        }
        Ok(out)
    }

    /// The final codes of one note (possibly none), or `None` for an unknown key.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn note_codes(&self, key: NoteKey) -> Result<Option<NoteCodes>, StoreError> {
        note_codes(&self.lock(), key)
    }
}

/// A note as read from its row, JSON still as text.
struct RawNote {
    note_id: String,
    text: String,
    setting: Setting,
    date_of_service: Option<String>,
    meta: Option<String>,
    report: String,
    previous: Option<NoteKey>,
    next: Option<NoteKey>,
}

fn raw_note(row: &rusqlite::Row) -> rusqlite::Result<RawNote> {
    Ok(RawNote {
        note_id: row.get(0)?,
        text: row.get(1)?,
        setting: named(row, 2, |s| s.parse().ok())?,
        date_of_service: row.get(3)?,
        meta: row.get(4)?,
        report: row.get(5)?,
        previous: row.get(6)?,
        next: row.get(7)?,
    })
}

/// Reads stored JSON back; JSON that does not read means the database is damaged.
fn from_json<T: serde::de::DeserializeOwned>(
    json: &str,
    what: &str,
    key: NoteKey,
) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        what: format!("the {what} of note {key}: {e}"),
    })
}

/// The current time, RFC 3339 in UTC to the millisecond.
fn now() -> String {
    format!("{:.3}", jiff::Timestamp::now())
}

fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A write transaction that takes the lock at once (no upgrade deadlock with a reader).
fn immediate(connection: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .doing("starting a transaction")
}

/// Reads a text column through `parse`; a value it refuses is a conversion failure.
fn named<T>(
    row: &rusqlite::Row,
    index: usize,
    parse: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unexpected value `{text}`").into(),
        )
    })
}

fn system_bit(system: CodeSystem) -> i64 {
    match system {
        CodeSystem::Icd10Cm => 1,
        CodeSystem::Cpt => 2,
        CodeSystem::Hcpcs => 4,
    }
}

fn span_columns(span: Option<Span>) -> (Option<i64>, Option<i64>) {
    let to = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    (span.map(|s| to(s.start)), span.map(|s| to(s.end)))
}

fn span_from(start: Option<i64>, end: Option<i64>) -> Option<Span> {
    let (start, end) = (usize::try_from(start?).ok()?, usize::try_from(end?).ok()?);
    (start <= end).then_some(Span { start, end })
}

/// Inserts a note and its suggestions; `None` when its id is already queued.
fn insert_note(
    tx: &Transaction,
    note: &NewNote,
    added_at: &str,
) -> Result<Option<NoteKey>, StoreError> {
    let report = serde_json::to_string(note.report).map_err(|e| StoreError::Corrupt {
        what: format!("the report of {} does not encode: {e}", note.note_id),
    })?;
    let meta = note
        .meta
        .map(|m| serde_json::Value::Object(m.clone()).to_string());
    let s = &note.report.suggestions;
    let needs_review = s.iter().filter(|s| s.status == Status::NeedsReview).count();
    let lowest = s.iter().map(|s| f64::from(s.confidence)).reduce(f64::min);
    let systems = s.iter().fold(0, |bits, s| bits | system_bit(s.system));
    let inserted = tx
        .execute(
            "INSERT INTO notes (note_id, text, setting, date_of_service, meta, report, added_at,
                suggestions, needs_review, lowest_confidence, systems)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (note_id) DO NOTHING",
            params![
                note.note_id,
                note.text,
                note.setting.name(),
                note.date_of_service,
                meta,
                report,
                added_at,
                s.len() as i64,
                needs_review as i64,
                lowest,
                systems
            ],
        )
        .doing("queueing a note")?;
    if inserted == 0 {
        return Ok(None);
    }
    let key = tx.last_insert_rowid();
    insert_suggestions(tx, key, note.report)?;
    Ok(Some(key))
}

fn insert_suggestions(tx: &Transaction, key: NoteKey, report: &Report) -> Result<(), StoreError> {
    let mut statement = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO suggestions
                (note_key, position, system, code, title, evidence_start, evidence_end)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .doing("queueing suggestions")?;
    for (position, s) in report.suggestions.iter().enumerate() {
        let (start, end) = span_columns(s.evidence.first().map(|e| e.span));
        statement
            .execute(params![
                key,
                position as i64,
                s.system.name(),
                s.code,
                s.title,
                start,
                end
            ])
            .doing("queueing suggestions")?;
    }
    Ok(())
}

/// The WHERE clause of a filter and its parameters.
fn filter_clause(filter: &QueueFilter) -> (String, Vec<Value>) {
    let mut terms: Vec<&str> = Vec::new();
    let mut values = Vec::new();
    if let Some(needs) = filter.needs_review {
        terms.push(if needs {
            "needs_review > 0"
        } else {
            "needs_review = 0"
        });
    }
    if let Some(system) = filter.system {
        terms.push("systems & ? != 0");
        values.push(Value::Integer(system_bit(system)));
    }
    if let Some(below) = filter.below_confidence {
        terms.push("lowest_confidence < ?");
        values.push(Value::Real(f64::from(below)));
    }
    if let Some(state) = filter.state {
        terms.push("state = ?");
        values.push(Value::Text(state.name().to_string()));
    }
    if let Some(id) = &filter.note_id {
        terms.push("instr(lower(note_id), lower(?)) > 0");
        values.push(Value::Text(id.clone()));
    }
    if terms.is_empty() {
        return (String::new(), values);
    }
    (format!("WHERE {}", terms.join(" AND ")), values)
}

fn queue_row(row: &rusqlite::Row) -> rusqlite::Result<QueueRow> {
    let bits: i64 = row.get(8)?;
    let count = |i: usize| row.get::<_, i64>(i).map(|n| u32::try_from(n).unwrap_or(0));
    Ok(QueueRow {
        key: row.get(0)?,
        note_id: row.get(1)?,
        setting: named(row, 2, |s| s.parse().ok())?,
        suggestions: count(3)?,
        needs_review: count(4)?,
        decided: count(5)?,
        state: named(row, 6, |s| s.parse().ok())?,
        lowest_confidence: row.get::<_, Option<f64>>(7)?.map(|c| c as f32),
        systems: (CodeSystem::ALL.into_iter())
            .filter(|s| bits & system_bit(*s) != 0)
            .collect(),
    })
}

fn progress(connection: &Connection) -> Result<Progress, StoreError> {
    connection
        .query_row(
            "SELECT count(*), coalesce(sum(state = 'unreviewed'), 0),
                coalesce(sum(state = 'in_progress'), 0), coalesce(sum(state = 'done'), 0)
             FROM notes",
            [],
            |row| {
                let n = |i: usize| row.get::<_, i64>(i).map(|n| n.max(0) as u64);
                Ok(Progress {
                    notes: n(0)?,
                    unreviewed: n(1)?,
                    in_progress: n(2)?,
                    done: n(3)?,
                })
            },
        )
        .doing("counting progress")
}

/// The columns [`decision_row`] reads, in order.
const DECISION_COLUMNS: &str = "id, note_key, system, code, action, new_code, reason,
    evidence_start, evidence_end, reviewer, decided_at, medcode_version, rules_fingerprint";

fn decision_row(row: &rusqlite::Row) -> rusqlite::Result<Decision> {
    Ok(Decision {
        id: row.get(0)?,
        key: row.get(1)?,
        system: named(row, 2, CodeSystem::parse)?,
        code: row.get(3)?,
        action: named(row, 4, |s| s.parse().ok())?,
        new_code: row.get(5)?,
        reason: row.get(6)?,
        evidence: span_from(row.get(7)?, row.get(8)?),
        reviewer: row.get(9)?,
        decided_at: row.get(10)?,
        medcode_version: row.get(11)?,
        rules_fingerprint: row.get(12)?,
    })
}

/// Every decision on a note, oldest first.
fn decisions_of(connection: &Connection, key: NoteKey) -> Result<Vec<Decision>, StoreError> {
    let sql = format!("SELECT {DECISION_COLUMNS} FROM decisions WHERE note_key = ? ORDER BY id");
    connection
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_map([key], decision_row)?.collect())
        .doing("reading decisions")
}

/// Refuses a decision that does not make sense whatever the note.
fn check_shape(d: &NewDecision) -> Result<(), StoreError> {
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
    let problem = if d.code.trim().is_empty() {
        Some("a decision needs the code it is about")
    } else if d.reviewer.trim().is_empty() {
        Some("a decision needs the reviewer's name")
    } else if d.action == Action::Reject && blank(&d.reason) {
        Some("rejecting a code needs a reason")
    } else if d.action == Action::Change && blank(&d.new_code) {
        Some("changing a code needs the new code")
    } else if d.action == Action::Change && d.new_code.as_deref().map(str::trim) == Some(&d.code) {
        Some("changing a code needs a new code different from the old one")
    } else if d.action != Action::Change && d.new_code.is_some() {
        Some("only a change has a new code")
    } else if d.action == Action::Add && d.evidence.is_none() {
        Some("adding a code needs the text that supports it: select it in the note")
    } else {
        None
    };
    problem.map_or(Ok(()), |p| Err(StoreError::Invalid(p.to_string())))
}

/// Refuses a span that is empty or not inside `text` on character boundaries.
fn check_span(span: Span, text: &str) -> Result<(), StoreError> {
    let inside = span.start < span.end
        && span.end <= text.len()
        && text.is_char_boundary(span.start)
        && text.is_char_boundary(span.end);
    if inside {
        return Ok(());
    }
    Err(StoreError::Invalid(format!(
        "the selected text {}..{} is not inside the note ({} bytes)",
        span.start,
        span.end,
        text.len()
    )))
}

/// True when the code is suggested for the note or already has a decision.
fn known_code(tx: &Transaction, key: NoteKey, d: &NewDecision) -> Result<bool, StoreError> {
    tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM suggestions WHERE note_key = ?1 AND system = ?2 AND code = ?3)
             OR EXISTS (SELECT 1 FROM decisions WHERE note_key = ?1 AND system = ?2 AND code = ?3)",
        params![key, d.system.name(), d.code.trim()],
        |row| row.get(0),
    )
    .doing("looking up the code decided on")
}

fn insert_decision(
    tx: &Transaction,
    key: NoteKey,
    d: &NewDecision,
) -> Result<Decision, StoreError> {
    let trimmed = |s: &Option<String>| s.as_deref().map(|s| s.trim().to_string());
    let recorded = Decision {
        id: 0,
        key,
        system: d.system,
        code: d.code.trim().to_string(),
        action: d.action,
        new_code: trimmed(&d.new_code),
        reason: trimmed(&d.reason).filter(|r| !r.is_empty()),
        evidence: d.evidence,
        reviewer: d.reviewer.trim().to_string(),
        decided_at: now(),
        medcode_version: d.medcode_version.clone(),
        rules_fingerprint: d.rules_fingerprint.clone(),
    };
    let (start, end) = span_columns(recorded.evidence);
    tx.execute(
        "INSERT INTO decisions (note_key, system, code, action, new_code, reason, evidence_start,
            evidence_end, reviewer, decided_at, medcode_version, rules_fingerprint)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            key,
            recorded.system.name(),
            recorded.code,
            recorded.action.name(),
            recorded.new_code,
            recorded.reason,
            start,
            end,
            recorded.reviewer,
            recorded.decided_at,
            recorded.medcode_version,
            recorded.rules_fingerprint
        ],
    )
    .doing("recording the decision")?;
    Ok(Decision {
        id: tx.last_insert_rowid(),
        ..recorded
    })
}

/// Recounts the suggestions decided and sets the note's state.
fn update_state(tx: &Transaction, key: NoteKey, suggestions: i64) -> Result<(), StoreError> {
    let (decided, any): (i64, bool) = tx
        .query_row(
            "SELECT (SELECT count(*) FROM suggestions s WHERE s.note_key = ?1 AND EXISTS (
                    SELECT 1 FROM decisions d
                    WHERE d.note_key = ?1 AND d.system = s.system AND d.code = s.code)),
                EXISTS (SELECT 1 FROM decisions WHERE note_key = ?1)",
            [key],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .doing("counting the decisions of a note")?;
    let state = if !any {
        ReviewState::Unreviewed
    } else if decided >= suggestions {
        ReviewState::Done
    } else {
        ReviewState::InProgress
    };
    tx.execute(
        "UPDATE notes SET decided = ?, state = ? WHERE key = ?",
        params![decided, state.name(), key],
    )
    .doing("updating the review state")?;
    Ok(())
}

/// A suggestion as kept in the `suggestions` table.
struct Suggested {
    system: CodeSystem,
    code: String,
    title: String,
    evidence: Option<Span>,
}

fn suggested_of(connection: &Connection, key: NoteKey) -> Result<Vec<Suggested>, StoreError> {
    connection
        .prepare_cached(
            "SELECT system, code, title, evidence_start, evidence_end FROM suggestions
             WHERE note_key = ? ORDER BY position",
        )
        .and_then(|mut s| {
            s.query_map([key], |row| {
                Ok(Suggested {
                    system: named(row, 0, CodeSystem::parse)?,
                    code: row.get(1)?,
                    title: row.get(2)?,
                    evidence: span_from(row.get(3)?, row.get(4)?),
                })
            })?
            .collect()
        })
        .doing("reading suggestions")
}

fn note_codes(connection: &Connection, key: NoteKey) -> Result<Option<NoteCodes>, StoreError> {
    let head = connection
        .query_row(
            "SELECT note_id, setting, text FROM notes WHERE key = ?",
            [key],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    named(row, 1, |s| s.parse::<Setting>().ok())?,
                    row.get::<_, String>(2)?,
                ))
            },
        )
        .optional()
        .doing("reading a note")?;
    let Some((note_id, setting, text)) = head else {
        return Ok(None);
    };
    let decisions = decisions_of(connection, key)?;
    let codes = final_codes(&decisions, &suggested_of(connection, key)?);
    Ok(Some(NoteCodes {
        key,
        note_id,
        setting,
        text,
        codes,
    }))
}

/// The final codes: suggestions in report order, then the rest in first-decided order; a code
/// reached twice (accepted, and changed to) is listed once. The evidence is the reviewer's
/// latest selection on the code (an Add's), else the suggestion's first evidence.
fn final_codes(decisions: &[Decision], suggested: &[Suggested]) -> Vec<FinalCode> {
    let find = |system: CodeSystem, code: &str| {
        (suggested.iter()).position(|s| s.system == system && s.code == code)
    };
    let selected = |d: &Decision| {
        (decisions.iter().rev())
            .filter(|e| e.system == d.system && e.code == d.code)
            .find_map(|e| e.evidence)
    };
    let mut ranked: Vec<(usize, FinalCode)> = Vec::new();
    for (order, d) in current(decisions).into_iter().enumerate() {
        let code = match d.action {
            Action::Reject => continue,
            Action::Change => d.new_code.clone().unwrap_or_default(),
            Action::Accept | Action::Add => d.code.clone(),
        };
        let listed = |(_, f): &(usize, FinalCode)| f.system == d.system && f.code == code;
        if ranked.iter().any(listed) {
            continue;
        }
        let at = find(d.system, &d.code);
        let title = find(d.system, &code).map(|i| suggested[i].title.clone());
        let final_code = FinalCode {
            system: d.system,
            title: title.unwrap_or_default(),
            code,
            action: d.action,
            evidence: selected(d).or(at.and_then(|i| suggested[i].evidence)),
            reviewer: d.reviewer.clone(),
            decided_at: d.decided_at.clone(),
        };
        ranked.push((at.unwrap_or(suggested.len() + order), final_code));
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, f)| f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Evidence, Suggestion};

    type Spec<'a> = (CodeSystem, &'a str, Status, f32, Option<(usize, usize)>);

    fn evidence(start: usize, end: usize) -> Evidence {
        serde_json::from_value(serde_json::json!({
            "text": "", "span": {"start": start, "end": end}, "chars": {"start": start, "end": end},
            "start": {"line": 1, "column": 1}, "end": {"line": 1, "column": 1},
            "section": "unlabeled", "section_heading": null, "rule": "r", "term": "t",
            "source": "rule", "modifiers": []
        }))
        .unwrap()
    }

    fn report(note_id: &str, specs: &[Spec]) -> Report {
        let suggestions = specs
            .iter()
            .map(|&(system, code, status, confidence, span)| Suggestion {
                code: code.to_string(),
                system,
                title: format!("Title of {code}"),
                status,
                confidence,
                rule: "r".into(),
                reason: "because".into(),
                evidence: span.map(|(s, e)| evidence(s, e)).into_iter().collect(),
                units: None,
                flags: vec![],
            })
            .collect();
        Report {
            schema_version: 1,
            note_id: note_id.into(),
            medcode_version: "0.0.0".into(),
            rules_fingerprint: "fp".into(),
            setting: Setting::Outpatient,
            dictionary_release: "2026".into(),
            suggestions,
            rejected: vec![],
            checks: vec![],
            warnings: vec![],
            trace: None,
            meta: None,
        }
    }

    const TEXT: &str = "Synthetic note: type 2 diabetes. Knee x-ray done. Héllo.";

    fn two_codes() -> Report {
        report(
            "n1",
            &[
                (
                    CodeSystem::Icd10Cm,
                    "E11.9",
                    Status::Suggested,
                    0.9,
                    Some((16, 31)),
                ),
                (CodeSystem::Cpt, "73560", Status::NeedsReview, 0.5, None),
            ],
        )
    }

    fn store_with(reports: &[(&str, &Report)]) -> (Store, Vec<NoteKey>) {
        let store = Store::open_in_memory().unwrap();
        let notes: Vec<NewNote> = reports
            .iter()
            .map(|(id, report)| NewNote {
                note_id: id,
                text: TEXT,
                setting: Setting::Outpatient,
                date_of_service: Some("2026-12-01"),
                meta: None,
                report,
            })
            .collect();
        let keys = store.add_notes(&notes).unwrap().keys;
        (store, keys)
    }

    fn decision(system: CodeSystem, code: &str, action: Action) -> NewDecision {
        NewDecision {
            system,
            code: code.into(),
            action,
            new_code: None,
            reason: None,
            evidence: None,
            reviewer: "ana".into(),
            medcode_version: "0.0.0".into(),
            rules_fingerprint: "fp".into(),
        }
    }

    fn state_of(store: &Store, key: NoteKey) -> (ReviewState, u32) {
        let page = store.page(&QueueFilter::default(), 0, 100).unwrap();
        let row = page.rows.iter().find(|r| r.key == key).unwrap();
        (row.state, row.decided)
    }

    #[test]
    fn the_store_is_shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Store>();
    }

    #[test]
    fn decisions_are_stamped_in_utc_to_the_millisecond() {
        let r = two_codes();
        let (store, keys) = store_with(&[("n1", &r)]);
        let d = decision(CodeSystem::Cpt, "73560", Action::Accept);
        let at = store.decide(keys[0], &d).unwrap().decided_at;
        assert!(at.parse::<jiff::Timestamp>().is_ok(), "{at}");
        assert!(
            at.ends_with('Z') && at.len() == "2026-12-07T19:00:00.000Z".len(),
            "{at}"
        );
    }

    #[test]
    fn migrations_validate() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn names_read_back() {
        for s in ReviewState::ALL {
            assert_eq!(s.name().parse::<ReviewState>().unwrap(), *s);
        }
        for a in Action::ALL {
            assert_eq!(a.name().parse::<Action>().unwrap(), *a);
        }
        assert!(matches!(
            "maybe".parse::<Action>(),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn notes_already_queued_are_skipped() {
        let r = two_codes();
        let (store, keys) = store_with(&[("n1", &r), ("n2", &r), ("n1", &r)]);
        assert_eq!(keys.len(), 2);
        let again = NewNote {
            note_id: "n2",
            text: TEXT,
            setting: Setting::Inpatient,
            date_of_service: None,
            meta: None,
            report: &r,
        };
        let added = store.add_notes(&[again]).unwrap();
        assert_eq!(added.skipped, vec!["n2".to_string()]);
        let page = store.page(&QueueFilter::default(), 0, 10).unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(
            page.rows[0].systems,
            vec![CodeSystem::Icd10Cm, CodeSystem::Cpt]
        );
        assert_eq!(page.rows[0].lowest_confidence, Some(0.5));
    }

    #[test]
    fn decisions_move_the_state_and_keep_the_trail() {
        let r = two_codes();
        let (store, keys) = store_with(&[("n0", &r), ("n1", &r), ("n2", &r)]);
        let key = keys[1];
        assert_eq!(state_of(&store, key), (ReviewState::Unreviewed, 0));
        let first = store.decide(key, &decision(CodeSystem::Icd10Cm, "E11.9", Action::Accept));
        assert_eq!(first.unwrap().key, key);
        assert_eq!(state_of(&store, key), (ReviewState::InProgress, 1));
        let mut reject = decision(CodeSystem::Icd10Cm, "E11.9", Action::Reject);
        reject.reason = Some("not documented".into());
        store.decide(key, &reject).unwrap();
        assert_eq!(state_of(&store, key), (ReviewState::InProgress, 1));
        store
            .decide(key, &decision(CodeSystem::Cpt, "73560", Action::Accept))
            .unwrap();
        assert_eq!(state_of(&store, key), (ReviewState::Done, 2));
        let note = store.note(key).unwrap().unwrap();
        assert_eq!((note.previous, note.next), (Some(keys[0]), Some(keys[2])));
        let actions: Vec<Action> = note.decisions.iter().map(|d| d.action).collect();
        assert_eq!(actions, [Action::Accept, Action::Reject, Action::Accept]);
        let now: Vec<(&str, Action)> = (current(&note.decisions).iter())
            .map(|d| (d.code.as_str(), d.action))
            .collect();
        assert_eq!(now, [("E11.9", Action::Reject), ("73560", Action::Accept)]);
        let progress = store.page(&QueueFilter::default(), 0, 1).unwrap().progress;
        assert_eq!(
            (progress.notes, progress.unreviewed, progress.done),
            (3, 2, 1)
        );
    }

    #[test]
    fn invalid_decisions_are_refused_in_plain_english() {
        let r = two_codes();
        let (store, keys) = store_with(&[("n1", &r)]);
        let key = keys[0];
        let base = || decision(CodeSystem::Icd10Cm, "E11.9", Action::Accept);
        type Case = (&'static str, NoteKey, NewDecision, &'static str);
        let cases: Vec<Case> = vec![
            (
                "reject without reason",
                key,
                NewDecision {
                    action: Action::Reject,
                    reason: Some("  ".into()),
                    ..base()
                },
                "needs a reason",
            ),
            (
                "change without code",
                key,
                NewDecision {
                    action: Action::Change,
                    ..base()
                },
                "needs the new code",
            ),
            (
                "change to itself",
                key,
                NewDecision {
                    action: Action::Change,
                    new_code: Some("E11.9".into()),
                    ..base()
                },
                "different",
            ),
            (
                "new code on accept",
                key,
                NewDecision {
                    new_code: Some("E11.8".into()),
                    ..base()
                },
                "only a change",
            ),
            (
                "add without evidence",
                key,
                NewDecision {
                    action: Action::Add,
                    code: "I10".into(),
                    ..base()
                },
                "select it",
            ),
            (
                "add past the end",
                key,
                NewDecision {
                    action: Action::Add,
                    code: "I10".into(),
                    evidence: Some(Span::new(50, 500)),
                    ..base()
                },
                "not inside",
            ),
            (
                "add mid-character",
                key,
                NewDecision {
                    action: Action::Add,
                    code: "I10".into(),
                    evidence: Some(Span::new(52, 53)),
                    ..base()
                },
                "not inside",
            ),
            (
                "empty selection",
                key,
                NewDecision {
                    action: Action::Add,
                    code: "I10".into(),
                    evidence: Some(Span::new(3, 3)),
                    ..base()
                },
                "not inside",
            ),
            (
                "no reviewer",
                key,
                NewDecision {
                    reviewer: " ".into(),
                    ..base()
                },
                "reviewer",
            ),
            (
                "no code",
                key,
                NewDecision {
                    code: "".into(),
                    ..base()
                },
                "code it is about",
            ),
            (
                "accept unsuggested",
                key,
                NewDecision {
                    code: "I10".into(),
                    ..base()
                },
                "add it instead",
            ),
            ("unknown note", key + 99, base(), "no note"),
        ];
        for (name, key, d, expected) in cases {
            let err = store.decide(key, &d).expect_err(name);
            assert!(err.to_string().contains(expected), "{name}: {err}");
            let is_kind = matches!(err, StoreError::Invalid(_) | StoreError::NoSuchNote(_));
            assert!(is_kind, "{name}: {err:?}");
        }
        assert!(store.note(key).unwrap().unwrap().decisions.is_empty());
        assert_eq!(state_of(&store, key), (ReviewState::Unreviewed, 0));
    }

    #[test]
    fn final_codes_follow_the_report_then_additions() {
        let r = two_codes();
        let (store, keys) = store_with(&[("n1", &r), ("n2", &r)]);
        let key = keys[0];
        let mut add = decision(CodeSystem::Icd10Cm, "I10", Action::Add);
        add.evidence = Some(Span::new(33, 37));
        store.decide(key, &add).unwrap();
        let mut change = decision(CodeSystem::Cpt, "73560", Action::Change);
        change.new_code = Some("73562".into());
        store.decide(key, &change).unwrap();
        store
            .decide(key, &decision(CodeSystem::Icd10Cm, "E11.9", Action::Accept))
            .unwrap();
        let mut reject = decision(CodeSystem::Icd10Cm, "E11.9", Action::Reject);
        reject.reason = Some("wrong".into());
        store.decide(keys[1], &reject).unwrap();
        let codes = store.note_codes(key).unwrap().unwrap().codes;
        let got: Vec<(&str, Action, &str, Option<Span>)> = (codes.iter())
            .map(|c| (c.code.as_str(), c.action, c.title.as_str(), c.evidence))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "E11.9",
                    Action::Accept,
                    "Title of E11.9",
                    Some(Span::new(16, 31))
                ),
                ("73562", Action::Change, "", None),
                ("I10", Action::Add, "", Some(Span::new(33, 37))),
            ]
        );
        let accepted = store.accepted().unwrap();
        assert_eq!(
            accepted.len(),
            1,
            "a note with only rejections has no final code"
        );
        assert_eq!(accepted[0].note_id, "n1");
        assert!(store.note_codes(999).unwrap().is_none());
    }

    #[test]
    fn decisions_are_never_updated_or_deleted() {
        let r = two_codes();
        let (store, keys) = store_with(&[("n1", &r)]);
        store
            .decide(keys[0], &decision(CodeSystem::Cpt, "73560", Action::Accept))
            .unwrap();
        let connection = store.lock();
        assert!(
            connection
                .execute("UPDATE decisions SET code = 'x'", [])
                .is_err()
        );
        assert!(connection.execute("DELETE FROM decisions", []).is_err());
    }

    #[test]
    fn a_damaged_report_is_reported_as_corrupt() {
        let r = two_codes();
        let (store, keys) = store_with(&[("n1", &r)]);
        store
            .lock()
            .execute("UPDATE notes SET report = '{' WHERE key = ?", [keys[0]])
            .unwrap();
        assert!(matches!(
            store.note(keys[0]),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_file_store_keeps_notes_and_decisions_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("review.sqlite");
        let r = two_codes();
        let key = {
            let store = Store::open(&path).unwrap();
            let note = NewNote {
                note_id: "n1",
                text: TEXT,
                setting: Setting::Inpatient,
                date_of_service: None,
                meta: None,
                report: &r,
            };
            let key = store.add_notes(&[note]).unwrap().keys[0];
            let d = decision(CodeSystem::Icd10Cm, "E11.9", Action::Accept);
            store.decide(key, &d).unwrap();
            key
        };
        let store = Store::open(&path).unwrap();
        let note = store.note(key).unwrap().unwrap();
        assert_eq!((note.setting, note.report), (Setting::Inpatient, r));
        assert_eq!(note.decisions.len(), 1);
        // Committed decisions survive a store that is never closed (a crash, as far as SQLite
        // can tell: no checkpoint, no clean shutdown of the WAL).
        let d = decision(CodeSystem::Cpt, "73560", Action::Accept);
        let decided = store.decide(key, &d).unwrap();
        std::mem::forget(store);
        let reopened = Store::open(&path).unwrap();
        let trail = reopened.note(key).unwrap().unwrap().decisions;
        assert_eq!(trail.last(), Some(&decided));
        assert_eq!(state_of(&reopened, key), (ReviewState::Done, 2));
    }

    /// 5,000 small notes: note i has ICD-10-CM always, CPT when i % 3 == 0, HCPCS when
    /// i % 5 == 0, a needs-review suggestion when i % 4 == 0, confidence 0.3 when i % 10 == 0.
    #[test]
    fn a_large_queue_pages_with_every_filter() {
        let ids: Vec<String> = (0..5000).map(|i| format!("Note-{i:04}")).collect();
        let reports: Vec<Report> = (0..5000).map(large_queue_report).collect();
        let notes: Vec<NewNote> = (ids.iter().zip(&reports))
            .map(|(id, report)| NewNote {
                note_id: id,
                text: TEXT,
                setting: Setting::Outpatient,
                date_of_service: None,
                meta: None,
                report,
            })
            .collect();
        let store = Store::open_in_memory().unwrap();
        let keys = store.add_notes(&notes).unwrap().keys;
        // Every 7th note (715) gets a decision on its ICD-10-CM code: done when that is its only
        // suggestion (i not a multiple of 3 or 5: 381), in progress otherwise (334).
        for key in keys.iter().step_by(7) {
            let d = decision(CodeSystem::Icd10Cm, "E11.9", Action::Accept);
            store.decide(*key, &d).unwrap();
        }
        let cases: Vec<(&str, QueueFilter, u64)> = vec![
            ("all", QueueFilter::default(), 5000),
            (
                "needs review",
                QueueFilter {
                    needs_review: Some(true),
                    ..Default::default()
                },
                1250,
            ),
            (
                "no review needed",
                QueueFilter {
                    needs_review: Some(false),
                    ..Default::default()
                },
                3750,
            ),
            (
                "CPT",
                QueueFilter {
                    system: Some(CodeSystem::Cpt),
                    ..Default::default()
                },
                1667,
            ),
            (
                "HCPCS",
                QueueFilter {
                    system: Some(CodeSystem::Hcpcs),
                    ..Default::default()
                },
                1000,
            ),
            (
                "low confidence",
                QueueFilter {
                    below_confidence: Some(0.5),
                    ..Default::default()
                },
                500,
            ),
            (
                "in progress",
                QueueFilter {
                    state: Some(ReviewState::InProgress),
                    ..Default::default()
                },
                334,
            ),
            (
                "done",
                QueueFilter {
                    state: Some(ReviewState::Done),
                    ..Default::default()
                },
                381,
            ),
            (
                "unreviewed",
                QueueFilter {
                    state: Some(ReviewState::Unreviewed),
                    ..Default::default()
                },
                5000 - 715,
            ),
            (
                "id, any case",
                QueueFilter {
                    note_id: Some("note-01".into()),
                    ..Default::default()
                },
                100,
            ),
            (
                "combined",
                QueueFilter {
                    system: Some(CodeSystem::Cpt),
                    needs_review: Some(true),
                    ..Default::default()
                },
                417,
            ),
        ];
        for (name, filter, expected) in cases {
            let page = store.page(&filter, 10, 50).unwrap();
            assert_eq!(page.total, expected, "{name}");
            assert_eq!(
                page.rows.len() as u64,
                expected.saturating_sub(10).min(50),
                "{name}"
            );
            assert!(page.rows.windows(2).all(|w| w[0].key < w[1].key), "{name}");
            assert_eq!(page.progress.notes, 5000, "{name}");
        }
    }

    fn large_queue_report(i: usize) -> Report {
        let needs = if i.is_multiple_of(4) {
            Status::NeedsReview
        } else {
            Status::Suggested
        };
        let confidence = if i.is_multiple_of(10) { 0.3 } else { 0.8 };
        let mut specs: Vec<Spec> = vec![(CodeSystem::Icd10Cm, "E11.9", needs, confidence, None)];
        if i.is_multiple_of(3) {
            specs.push((CodeSystem::Cpt, "73560", Status::Suggested, 0.9, None));
        }
        if i.is_multiple_of(5) {
            specs.push((CodeSystem::Hcpcs, "J1100", Status::Suggested, 0.9, None));
        }
        report("x", &specs)
    }
}
