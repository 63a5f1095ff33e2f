//! Accepted codes out of the store: CSV, JSONL in the `gold_dev` shape, FHIR R4 Bundles.
