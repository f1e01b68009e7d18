//! One test binary: request tests (HTML and API), model tests and task
//! tests. Every test gets its own database next to TEST_DATABASE_URL
//! (SQLite by default, PostgreSQL in CI), seeded with the demo county.
mod models;
mod requests;
mod support;
mod tasks;
