//! Reviewers' decisions and the queue of notes, in SQLite.
