//! `GET /query` and `/queryAll`, with `nextRecordsUrl` paging through server-side cursors and the
//! sf CLI's `columns=true` extension.

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};

use super::error::{ApiError, ErrorCode};
use super::http::Body;
use super::http::{ApiRequest, ApiResponse, ApiResult};
use super::org::Org;
use super::soql::eval;
use super::soql::key_order::{self, KeyOrder};

/// Default and bounds of the page size (`Sforce-Query-Options: batchSize=N`).
const DEFAULT_PAGE: usize = 2000;
const MIN_PAGE: usize = 200;
/// Open cursors kept; the oldest is dropped beyond this (its locator becomes invalid).
const MAX_CURSORS: usize = 200;

#[derive(Debug)]
struct Cursor {
    /// The records after the first page.
    records: Vec<Value>,
    /// How many records the first page held.
    first: usize,
    next: usize,
    page: usize,
    total: usize,
    all: bool,
    order: KeyOrder,
}

/// How many records the page that starts at record `position` holds, `remaining` records
/// being left: `page` (or all that remain), or, with `--short-pages SEED`, fewer than both
/// (at least 1) on the first page and on about half the others, as Salesforce may answer fewer
/// records than the batch size with `done: false`. A function of the seed and the position
/// only, so a run is reproducible.
fn page_len(short_pages: Option<u64>, position: usize, page: usize, remaining: usize) -> usize {
    let full = page.min(remaining);
    let Some(seed) = short_pages else {
        return full;
    };
    // splitmix64
    let mut z = seed ^ (position as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let short = position == 0 || z % 2 == 1;
    if !short || full < 2 {
        return full;
    }
    1 + (z >> 1) as usize % (full - 1)
}

/// A query answer, its keys in Salesforce's order.
fn answer(
    total: usize,
    done: bool,
    next: Option<&str>,
    records: &[Value],
    order: &KeyOrder,
) -> ApiResponse {
    ApiResponse {
        status: 200,
        headers: Vec::new(),
        body: Body::RawJson(key_order::page(total, done, next, records, order)),
    }
}

/// Open query cursors by locator.
#[derive(Debug, Default)]
pub struct Cursors {
    open: HashMap<String, Cursor>,
    order: VecDeque<String>,
    seq: u64,
}

fn page_size(req: &ApiRequest) -> usize {
    req.header("sforce-query-options")
        .and_then(|h| {
            h.split(',')
                .filter_map(|p| p.trim().strip_prefix("batchSize="))
                .next()
                .and_then(|n| n.trim().parse::<usize>().ok())
        })
        .map(|n| n.clamp(MIN_PAGE, DEFAULT_PAGE))
        .unwrap_or(DEFAULT_PAGE)
}

/// `query` / `queryAll` with `?q=`, or a locator segment.
pub fn handle(org: &Org, req: &ApiRequest, all: bool) -> ApiResult {
    if req.method != axum::http::Method::GET {
        return Err(ApiError::method_not_allowed(
            req.method.as_str(),
            "GET,HEAD",
        ));
    }
    let resource = if all { "queryAll" } else { "query" };
    if let Some(locator) = req.segments.get(1) {
        return next_page(org, req, resource, locator);
    }
    let soql = req.param("q").ok_or_else(|| {
        ApiError::bad(
            ErrorCode::MalformedQuery,
            "A query string has to be specified",
        )
    })?;
    let base = req.base();
    let result = {
        let store = org.store();
        eval::run(&org.schema, &store, soql, all, &base)?
    };
    if req.param("columns") == Some("true") {
        return Ok(ApiResponse::json(
            200,
            json!({
                "columnMetadata": result.columns,
                "entityName": result.object,
                "groupBy": false,
                "idSelected": result.columns.iter().any(|c| c["columnName"] == "Id"),
                "keyPrefix": result.key_prefix,
            }),
        ));
    }
    if result.count_only {
        return Ok(answer(result.total_size, true, None, &[], &result.order));
    }
    let page = page_size(req);
    let total = result.total_size;
    let order = result.order;
    let mut records = result.records;
    let first = page_len(org.short_pages, 0, page, records.len());
    if records.len() <= first {
        return Ok(answer(total, true, None, &records, &order));
    }
    let rest = records.split_off(first);
    let locator = {
        let mut cursors = org.cursors.lock().unwrap_or_else(|e| e.into_inner());
        cursors.seq += 1;
        let id = crate::schema::sfid::make("01g", "0E", cursors.seq);
        if cursors.order.len() >= MAX_CURSORS
            && let Some(old) = cursors.order.pop_front()
        {
            cursors.open.remove(&old);
        }
        cursors.order.push_back(id.clone());
        cursors.open.insert(
            id.clone(),
            Cursor {
                records: rest,
                first,
                next: 0,
                page,
                total,
                all,
                order: order.clone(),
            },
        );
        id
    };
    let next = format!("{base}/{resource}/{locator}-{first}");
    Ok(answer(total, false, Some(&next), &records, &order))
}

fn next_page(org: &Org, req: &ApiRequest, resource: &str, locator: &str) -> ApiResult {
    let invalid = || ApiError::bad(ErrorCode::InvalidQueryLocator, "invalid query locator");
    let (id, offset) = locator.rsplit_once('-').ok_or_else(invalid)?;
    let offset: usize = offset.parse().map_err(|_| invalid())?;
    let mut cursors = org.cursors.lock().unwrap_or_else(|e| e.into_inner());
    let cursor = cursors.open.get_mut(id).ok_or_else(invalid)?;
    // The locator names the absolute position; the first page was `first` records.
    let start = offset.checked_sub(cursor.first).ok_or_else(invalid)?;
    if start > cursor.records.len() {
        return Err(invalid());
    }
    let _ = cursor.all;
    let len = page_len(
        org.short_pages,
        offset,
        cursor.page,
        cursor.records.len() - start,
    );
    let end = (start + len).min(cursor.records.len());
    let records: Vec<Value> = cursor.records[start..end].to_vec();
    cursor.next = end;
    let done = end >= cursor.records.len();
    let total = cursor.total;
    let base = req.base();
    let next = (!done).then(|| format!("{base}/{resource}/{id}-{}", offset + (end - start)));
    let resp = answer(total, done, next.as_deref(), &records, &cursor.order);
    if done {
        cursors.open.remove(id);
        cursors.order.retain(|o| o != id);
    }
    Ok(resp)
}
