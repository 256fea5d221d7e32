//! End-to-end tests over HTTP. Run on the embedded defaults by `cargo test`; `.ci/run`
//! runs them again with TEST_DATABASE_URL and TEST_REDIS_URL set.

mod admission;
mod auth;
mod authz;
mod banks;
mod browser;
mod certificates;
mod cli;
mod console_pages;
mod courses;
mod exam;
mod health;
mod helpers;
mod mailsink;
mod mock_exams;
mod org;
mod pages;
mod practice;
mod reports;
mod sittings;
mod study;
