//! `medcode serve`: the coder's workbench: an HTTP API under `/v1`, a review UI, and reviewers'
//! decisions kept in SQLite.
//!
//! Only with the `serve` feature (on by default). The pipeline knows nothing of this module:
//! the dependency runs one way, from here to [`crate::pipeline::Engine`].

pub mod export;
pub mod store;
