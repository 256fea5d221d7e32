//! The few plain HTML pages people reach from a mail or a QR code (no front-end build).

use poem::{handler, web::Html};

/// The page's script, served from the binary: the Content-Security-Policy allows no inline
/// script.
#[handler]
pub fn set_password_js() -> poem::Response {
    use poem::IntoResponse;
    include_str!("../../assets/set-password.js")
        .with_content_type("text/javascript; charset=utf-8")
        .into_response()
}

/// Where the password-setup link in an enrolment mail lands: a form that posts to
/// `POST /api/v1/auth/password-setup`.
#[handler]
pub fn set_password() -> Html<&'static str> {
    Html(SET_PASSWORD)
}

const SET_PASSWORD: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>设置登录密码 · SafeCert</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;margin:.4rem 0;font-size:1rem}input,button{padding:.6rem}
#msg{margin-top:1rem}</style></head>
<body><h1>设置登录密码</h1>
<p>您的单位已为您报名培训考核。请设置登录密码（至少8位，包含字母、数字或符号中的两种）。</p>
<form id="f"><label>新密码<input type="password" id="p1" required minlength="8" autocomplete="new-password"></label>
<label>再次输入<input type="password" id="p2" required minlength="8" autocomplete="new-password"></label>
<button type="submit">设置密码</button></form><p id="msg" role="status"></p>
<script src="/assets/set-password.js"></script></body></html>"#;
