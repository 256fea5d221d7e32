//! `?limit=&offset=` paging shared by every list.

use poem_openapi::{
    Object,
    types::{ParseFromJSON, ToJSON},
};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// `{items, total}`: one page and the count of all matches.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Page<T: ParseFromJSON + ToJSON> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Clamps the requested window into a sane one.
pub fn window(limit: Option<i64>, offset: Option<i64>) -> (i64, i64) {
    (
        limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        offset.unwrap_or(0).max(0),
    )
}
