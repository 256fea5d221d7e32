//! Log in, sign up, log out.

use super::{Layout, messages, render, render_with, session};
use crate::{AppState, accounts, accounts::Registration, auth, domain::IdType, error::AppError};
use askama::Template;
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Query, Redirect},
};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Next {
    next: Option<String>,
}

/// Only a path on this site: a log-in link must not send anyone elsewhere.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.into(),
        _ => "/me".into(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    layout: &'a Layout,
    next: String,
    login: String,
    error: Option<String>,
}

#[handler]
pub async fn login_form(
    req: &Request,
    Data(state): Data<&AppState>,
    Query(q): Query<Next>,
) -> Response {
    let layout = Layout::of(state, req).await;
    let next = local_path(q.next.as_deref());
    if layout.user.is_some() {
        return Redirect::see_other(next).into_response();
    }
    render(
        state,
        &layout,
        &LoginPage {
            layout: &layout,
            next,
            login: String::new(),
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
    csrf: Option<String>,
}

/// A form that fails the cross-site check: the page is shown again, nothing is done.
fn stale_form() -> String {
    "页面已过期，请重新提交。".into()
}

#[handler]
pub async fn login(
    req: &Request,
    Data(state): Data<&AppState>,
    Form(form): Form<LoginForm>,
) -> Response {
    let layout = Layout::of(state, req).await;
    let next = local_path(form.next.as_deref());
    let error = if !session::csrf_ok(req, form.csrf.as_deref()) {
        stale_form()
    } else {
        match auth::login(state, form.login.trim(), &form.password).await {
            Ok(signed_in) => {
                let mut resp = Redirect::see_other(next).into_response();
                session::start_session(state, &mut resp, &signed_in.token, signed_in.expires_at);
                return resp;
            }
            Err(e) => messages::for_error(&e),
        }
    };
    render_with(
        state,
        &layout,
        StatusCode::UNPROCESSABLE_ENTITY,
        &LoginPage {
            layout: &layout,
            next,
            login: form.login,
            error: Some(error),
        },
    )
}

#[handler]
pub async fn logout(
    req: &Request,
    Data(state): Data<&AppState>,
    Form(form): Form<session::CsrfForm>,
) -> Response {
    if !session::csrf_ok(req, form.csrf.as_deref()) {
        let layout = Layout::of(state, req).await;
        return super::problem(
            state,
            &layout,
            StatusCode::FORBIDDEN,
            "页面已过期",
            stale_form(),
        );
    }
    if let Some(caller) = session::signed_in(state, req).await {
        // The token dies on the server too: a copied cookie is worth nothing after this.
        if let Err(e) = auth::logout(state, &caller).await {
            tracing::warn!(error = %e, "logout failed");
        }
    }
    let mut resp = Redirect::see_other("/").into_response();
    session::end_session(state, &mut resp);
    resp
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    layout: &'a Layout,
    form: RegisterForm,
    /// The district's streets (街道/乡镇) to choose from: the bureau's street reports count
    /// a citizen under the street they live in.
    streets: Vec<(i64, String)>,
    error: Option<String>,
    /// The field the error is about, so the page can point at it.
    error_field: String,
}

/// Every street of the district, by name, for the sign-up form (a district has tens).
async fn street_choices(state: &AppState) -> Vec<(i64, String)> {
    match crate::org::store::list_streets(&state.db, 1000, 0).await {
        Ok((streets, _)) => streets.into_iter().map(|s| (s.id, s.name)).collect(),
        Err(e) => {
            // The form still works without the list: the street is optional.
            tracing::warn!(error = %e, "streets not listed on the sign-up form");
            Vec::new()
        }
    }
}

impl RegisterForm {
    /// The chosen street: none when left at "暂不选择", refused when not a number.
    fn street_id(&self) -> Result<Option<i64>, AppError> {
        match self.street_id.trim() {
            "" => Ok(None),
            id => id
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid("street_id", "not a street id")),
        }
    }

    /// Whether `id` is the street this form chose (to keep the choice on a refusal).
    fn street_is(&self, id: &i64) -> bool {
        self.street_id.trim() == id.to_string()
    }
}

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    street_id: String,
    csrf: Option<String>,
}

#[handler]
pub async fn register_form(req: &Request, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    if layout.user.is_some() {
        return Redirect::see_other("/me").into_response();
    }
    render(
        state,
        &layout,
        &RegisterPage {
            layout: &layout,
            form: RegisterForm::default(),
            streets: street_choices(state).await,
            error: None,
            error_field: String::new(),
        },
    )
}

#[handler]
pub async fn register(
    req: &Request,
    Data(state): Data<&AppState>,
    Form(form): Form<RegisterForm>,
) -> Response {
    let layout = Layout::of(state, req).await;
    let outcome = if !session::csrf_ok(req, form.csrf.as_deref()) {
        Err((String::new(), stale_form()))
    } else {
        sign_up(state, &form).await
    };
    match outcome {
        Ok(resp) => resp,
        Err((field, error)) => render_with(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            &RegisterPage {
                layout: &layout,
                // The password is never sent back into the page.
                form: RegisterForm {
                    password: String::new(),
                    ..form
                },
                streets: street_choices(state).await,
                error: Some(error),
                error_field: field,
            },
        ),
    }
}

/// Signs the citizen up and in; on a refusal, the field at fault and what to fix.
async fn sign_up(state: &AppState, form: &RegisterForm) -> Result<Response, (String, String)> {
    let refused = |e: AppError| {
        let field = match &e {
            AppError::Invalid(i) => i.field.to_string(),
            AppError::Conflict { field, .. } => field.unwrap_or_default().to_string(),
            _ => String::new(),
        };
        (field, messages::for_error(&e))
    };
    accounts::register_citizen(
        state,
        Registration {
            name: form.name.trim(),
            id_type: Some(IdType::ResidentId),
            id_number: form.id_number.trim(),
            phone: form.phone.trim(),
            email: form.email.trim(),
            password: &form.password,
            street_id: form.street_id().map_err(refused)?,
        },
    )
    .await
    .map_err(refused)?;
    let signed_in = auth::login(state, form.phone.trim(), &form.password)
        .await
        .map_err(refused)?;
    let mut resp = Redirect::see_other("/sittings").into_response();
    session::start_session(state, &mut resp, &signed_in.token, signed_in.expires_at);
    Ok(resp)
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_on_this_site() {
        use super::local_path;
        assert_eq!(local_path(Some("/sittings/3/exam")), "/sittings/3/exam");
        assert_eq!(local_path(Some("https://evil.example/")), "/me");
        assert_eq!(local_path(Some("//evil.example/")), "/me");
        assert_eq!(local_path(Some("/\\evil.example")), "/me");
        assert_eq!(local_path(None), "/me");
    }
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage<'a> {
    layout: &'a Layout,
    sent: bool,
    valid_minutes: i64,
    error: Option<String>,
}

#[handler]
pub async fn forgot_form(req: &Request, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    render(
        state,
        &layout,
        &ForgotPage {
            layout: &layout,
            sent: false,
            valid_minutes: auth::RESET_LINK_VALID_MINUTES,
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    login: String,
    csrf: Option<String>,
}

/// Mails a reset link (`auth::request_password_reset`); the page says the same whether or
/// not the account exists.
#[handler]
pub async fn forgot(
    req: &Request,
    Data(state): Data<&AppState>,
    Form(form): Form<ForgotForm>,
) -> Response {
    let layout = Layout::of(state, req).await;
    let error = if !session::csrf_ok(req, form.csrf.as_deref()) {
        Some(stale_form())
    } else if form.login.trim().is_empty() {
        Some(messages::for_field("login").to_string())
    } else {
        match auth::request_password_reset(state, &form.login).await {
            Ok(()) => None,
            Err(e) => Some(messages::for_error(&e)),
        }
    };
    render_with(
        state,
        &layout,
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &ForgotPage {
            layout: &layout,
            sent: error.is_none(),
            valid_minutes: auth::RESET_LINK_VALID_MINUTES,
            error,
        },
    )
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage<'a> {
    layout: &'a Layout,
}

/// Where a mailed link lands (enrolment or reset): the form posts to
/// `POST /api/v1/auth/password-setup` with the link's token.
#[handler]
pub async fn set_password(req: &Request, Data(state): Data<&AppState>) -> Response {
    let layout = Layout::of(state, req).await;
    render(state, &layout, &SetPasswordPage { layout: &layout })
}
