//! The one place where errors become HTTP: `{code, message, field}` with a stable code.

use crate::error::AppError;
use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{ApiResponse, Object, payload::Json};

/// Every error the API returns has this shape.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ErrorBody {
    /// Stable, machine-readable snake_case code, e.g. `invalid_input`, `phone_taken`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The request field at fault, when there is one.
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
    /// For `import_invalid`: every line of the file at fault.
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<LineError>>,
}

/// A problem at one line (or spreadsheet row) of an uploaded file.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LineError {
    pub line: u64,
    pub reason: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>, field: Option<&str>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            field: field.map(str::to_string),
            errors: None,
        }
    }
}

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request could not be read (malformed JSON, a missing or mistyped field).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No valid bearer token, or a wrong login or password.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Signed in, but this is not yours to do.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Clashes with what is stored (a taken phone number, a full sitting).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The body's `Content-Type` is missing or not one this operation reads.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Readable but breaks a rule; `field` names the culprit.
    #[oai(status = 422)]
    Unprocessable(Json<ErrorBody>),
    /// Slow down: too many attempts.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>),
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// A dependency is down; retrying later is safe.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let message = err.to_string();
        match err {
            AppError::Invalid(invalid) => ApiError::Unprocessable(Json(ErrorBody::new(
                "invalid_input",
                format!("{}: {}", invalid.field, invalid.reason),
                Some(&invalid.field),
            ))),
            AppError::Unauthenticated => {
                ApiError::Unauthorized(Json(ErrorBody::new("unauthenticated", message, None)))
            }
            AppError::InvalidCredentials => {
                ApiError::Unauthorized(Json(ErrorBody::new("invalid_credentials", message, None)))
            }
            AppError::AccountLocked { .. } => {
                ApiError::TooManyRequests(Json(ErrorBody::new("account_locked", message, None)))
            }
            AppError::Forbidden { code, .. } => {
                ApiError::Forbidden(Json(ErrorBody::new(code, message, None)))
            }
            AppError::NotFound { code, .. } => {
                ApiError::NotFound(Json(ErrorBody::new(code, message, None)))
            }
            AppError::Conflict { code, field, .. } => {
                ApiError::Conflict(Json(ErrorBody::new(code, message, field)))
            }
            AppError::Unavailable { code, .. } => {
                ApiError::Unavailable(Json(ErrorBody::new(code, message, None)))
            }
            AppError::ImportInvalid(issues) => line_errors("import_invalid", message, issues),
            AppError::RosterInvalid(issues) => line_errors("roster_invalid", message, issues),
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                ApiError::Internal(Json(ErrorBody::new(
                    "internal",
                    "something went wrong on our side; it has been logged",
                    None,
                )))
            }
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        AppError::from(err).into()
    }
}

/// A 422 listing every line of an uploaded file at fault.
fn line_errors(
    code: &'static str,
    message: String,
    issues: Vec<crate::domain::LineIssue>,
) -> ApiError {
    let mut body = ErrorBody::new(code, message, None);
    body.errors = Some(
        issues
            .into_iter()
            .map(|i| LineError {
                line: i.line as u64,
                reason: i.reason,
            })
            .collect(),
    );
    ApiError::Unprocessable(Json(body))
}

impl From<crate::domain::Invalid> for ApiError {
    fn from(err: crate::domain::Invalid) -> Self {
        AppError::from(err).into()
    }
}

/// Turns errors raised outside our handlers (unknown paths, unreadable bodies, missing
/// tokens) into the same JSON shape. Errors our handlers built pass through unchanged.
pub async fn render_framework_error(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    if let Some(invalid) = err
        .downcast_ref::<poem_openapi::error::ParseRequestPayloadError>()
        .and_then(|e| schema_violation(&e.reason))
    {
        return ApiError::from(AppError::Invalid(invalid)).into_response();
    }
    let status = err.status();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if status.is_server_error() {
        tracing::error!(error = %err, "unhandled error");
        "something went wrong on our side; it has been logged".to_string()
    } else if status == StatusCode::UNAUTHORIZED {
        "sign in first: send Authorization: Bearer <token>".to_string()
    } else {
        err.to_string()
    };
    let body = ErrorBody::new(code, message, None);
    poem::web::Json(serde_json::json!({
        "code": body.code,
        "message": body.message,
    }))
    .with_status(status)
    .into_response()
}

/// A body field that breaks a constraint the document declares (length, pattern, range) is
/// the same mistake as one our own checks catch, so it gets the same 422 `invalid_input`
/// naming the field. poem-openapi reports it as "field `name` verification failed. maxLength(50)".
fn schema_violation(reason: &str) -> Option<crate::domain::Invalid> {
    let (_, rest) = reason.split_once("field `")?;
    let (field, rest) = rest.split_once('`')?;
    let (_, rule) = rest.split_once("verification failed. ")?;
    let (name, arg) = rule.split_once('(')?;
    let arg = arg.trim_end_matches(')');
    let bound = arg.split(',').next().unwrap_or(arg).trim();
    let exclusive = arg.contains("exclusive: true");
    let what = match name {
        "maxLength" => format!("最多 {bound} 个字符"),
        "minLength" => format!("至少 {bound} 个字符"),
        "maxItems" => format!("最多 {bound} 项"),
        "minItems" => format!("至少 {bound} 项"),
        "maximum" if exclusive => format!("须小于 {bound}"),
        "maximum" => format!("不能大于 {bound}"),
        "minimum" if exclusive => format!("须大于 {bound}"),
        "minimum" => format!("不能小于 {bound}"),
        "pattern" => "格式不对（见接口文档中此字段的 pattern）".to_string(),
        _ => format!("不符合接口文档的约束 {rule}"),
    };
    Some(crate::domain::Invalid::new(field.to_string(), what))
}

/// A panic inside a request: the client gets the usual 500 body, the log gets what panicked
/// (inside the request's span, so with its id). The connection stays usable.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    tracing::error!(panic = %what, "request panicked");
    poem::web::Json(serde_json::json!({
        "code": "internal",
        "message": "something went wrong on our side; it has been logged",
    }))
    .with_status(StatusCode::INTERNAL_SERVER_ERROR)
    .into_response()
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_violation_names_the_field_and_the_rule() {
        let invalid = schema_violation(
            "failed to parse \"RegisterRequest\": field `name` verification failed. maxLength(50)",
        )
        .unwrap();
        assert_eq!(invalid.field, "name");
        assert_eq!(invalid.reason, "最多 50 个字符");
        let invalid =
            schema_violation("field `pass_mark` verification failed. minimum(0, exclusive: true)")
                .unwrap();
        assert_eq!(invalid.reason, "须大于 0");
        assert!(schema_violation("expected object, found string").is_none());
    }

    #[tokio::test]
    async fn a_panic_becomes_the_usual_500_body() {
        let response = panic_response(Box::new("index out of bounds"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.into_body().into_string().await.unwrap();
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["code"], "internal");
        assert!(!body["message"].as_str().unwrap().contains("index"));
    }
}
