//! 管理后台: the bureau's console. Question banks (create, import a file in any format
//! SafeCert reads with its line-numbered problems shown, browse the questions a page at a
//! time) and sittings (schedule, see bookings, cancel). Every handler lets in the bureau only;
//! the domain functions it calls are the ones the JSON API calls.

use super::{Layout, Pager, form_sender, local, problem, refused, render, render_with, to_login};
use crate::{
    AppState,
    auth::Caller,
    courses,
    error::{AppError, AppResult},
    question_bank::{
        self,
        content::{QuestionKind, QuestionStatus},
        formats::Format,
        store::{Bank, QuestionFilter},
    },
    sittings::{self, SittingPlan, SittingStatus, Venue, VenueKind},
};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone, Utc};
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Multipart, Path, Query, Redirect},
};
use std::collections::HashMap;

mod bank_pages;
mod certificate_pages;
mod course_pages;
mod lesson_pages;
mod people_pages;
mod sitting_pages;

use bank_pages::kind_label;
pub use bank_pages::{
    bank_view, create_bank, import, question_view, retire_question, set_exam_only,
};
pub use certificate_pages::{certificates_list, reissue_certificate, revoke_certificate};
pub use course_pages::{course_view, courses_list, create_course, update_course};
pub use lesson_pages::{lessons_list as course_lessons, remove_lesson, save_lesson, upload_media};
pub use people_pages::{link_person, people};
pub use sitting_pages::{
    cancel_sitting, create_sitting, sitting_view, sittings_list, update_sitting,
};

/// Rows per page in every list here: no list loads a whole table.
const PAGE: i64 = 50;

/// A file larger than this is refused before it is read.
const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;

/// The signed-in bureau admin, or the response for everyone else (log in; 403).
async fn bureau(state: &AppState, req: &Request) -> Result<(Layout, Caller), Response> {
    let layout = Layout::of(state, req).await;
    let Some(caller) = layout.user.clone() else {
        return Err(to_login(req));
    };
    if !caller.is_bureau() {
        return Err(not_bureau(state, &layout));
    }
    Ok((layout, caller))
}

fn not_bureau(state: &AppState, layout: &Layout) -> Response {
    problem(
        state,
        layout,
        StatusCode::FORBIDDEN,
        "没有权限",
        "管理后台仅供区应急管理局管理员使用。".into(),
    )
}

/// A form's sender, who must be the bureau.
async fn bureau_form(
    state: &AppState,
    req: &Request,
    csrf: Option<&str>,
    back: &str,
) -> Result<(Layout, Caller), Response> {
    let (layout, caller) = form_sender(state, req, csrf, back).await?;
    if !caller.is_bureau() {
        return Err(not_bureau(state, &layout));
    }
    Ok((layout, caller))
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
    /// Words to look for (in a bank: in the questions' stems).
    q: Option<String>,
}

fn offset(page: i64) -> i64 {
    (page.max(1) - 1) * PAGE
}

fn pages(total: i64) -> i64 {
    ((total + PAGE - 1) / PAGE).max(1)
}

#[derive(Template)]
#[template(path = "admin.html")]
struct HomePage<'a> {
    layout: &'a Layout,
    banks: Vec<Bank>,
    banks_total: i64,
    courses: i64,
    pager: Pager,
}

/// The console's front page: the banks (paged) with a form to add one, and the other areas.
#[handler]
pub async fn home(
    req: &Request,
    Query(q): Query<PageQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let page = q.page.unwrap_or(1).max(1);
    let loaded = async {
        let (banks, total) =
            question_bank::store::list_banks(&state.db, PAGE, offset(page)).await?;
        let (_, courses) = courses::store::list(&state.db, 1, 0).await?;
        AppResult::Ok((banks, total, courses))
    }
    .await;
    let (banks, banks_total, courses) = match loaded {
        Ok(l) => l,
        Err(e) => return refused(state, &layout, &e),
    };
    render(
        state,
        &layout,
        &HomePage {
            layout: &layout,
            banks,
            banks_total,
            courses,
            pager: Pager::new(page, pages(banks_total), "/admin?page=", ""),
        },
    )
}

fn see_other(path: &str) -> Response {
    use poem::IntoResponse;
    Redirect::see_other(path).into_response()
}
