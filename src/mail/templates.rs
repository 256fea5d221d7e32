//! The wording of every mail, in Chinese, plain text.

use super::OutgoingMail;
use chrono::{DateTime, FixedOffset, Utc};

/// Times in mail are China Standard Time (UTC+8), as people there read them.
pub fn local_time(t: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    t.with_timezone(&cst)
        .format("%Y年%m月%d日 %H:%M")
        .to_string()
}

/// The facts about a booking that mails repeat.
pub struct BookingFacts<'a> {
    pub registration_id: i64,
    pub name: &'a str,
    pub email: &'a str,
    pub course_title: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub venue: &'a str,
    pub seat: i64,
    pub ticket_number: &'a str,
    pub base_url: &'a str,
}

fn booking_lines(f: &BookingFacts<'_>) -> String {
    format!(
        "考试科目：{}\n考试时间：{} 至 {}（北京时间）\n考试地点：{}\n座位号：{}\n准考证号：{}\n",
        f.course_title,
        local_time(f.starts_at),
        local_time(f.ends_at),
        f.venue,
        f.seat,
        f.ticket_number
    )
}

pub fn registration_confirmed(f: &BookingFacts<'_>) -> OutgoingMail {
    OutgoingMail {
        kind: "registration_confirmed",
        dedupe_key: None,
        to_address: f.email.to_string(),
        to_name: f.name.to_string(),
        subject: format!("报名成功：{}", f.course_title),
        body: format!(
            "{}，您好：\n\n您已成功报名以下考试。\n\n{}\n请登录 {} 下载准考证，考试当天携带本人有效身份证件按时参加。\n\n区应急管理局 SafeCert",
            f.name,
            booking_lines(f),
            f.base_url
        ),
        attachment: None,
    }
}

pub fn reminder(f: &BookingFacts<'_>) -> OutgoingMail {
    OutgoingMail {
        kind: "reminder",
        dedupe_key: Some(format!("reminder:{}", f.registration_id)),
        to_address: f.email.to_string(),
        to_name: f.name.to_string(),
        subject: format!("考试提醒：{} 将于24小时内开始", f.course_title),
        body: format!(
            "{}，您好：\n\n您报名的考试即将开始。\n\n{}\n请提前到场（线上考试请提前登录），携带本人有效身份证件。\n\n区应急管理局 SafeCert",
            f.name,
            booking_lines(f)
        ),
        attachment: None,
    }
}

pub fn registration_cancelled(f: &BookingFacts<'_>, reason: &str) -> OutgoingMail {
    OutgoingMail {
        kind: "registration_cancelled",
        dedupe_key: None,
        to_address: f.email.to_string(),
        to_name: f.name.to_string(),
        subject: format!("报名已取消：{}", f.course_title),
        body: format!(
            "{}，您好：\n\n您的以下考试报名已取消。\n\n{}\n原因：{}\n\n如需参加考试，请重新选择场次报名。\n\n区应急管理局 SafeCert",
            f.name,
            booking_lines(f),
            reason
        ),
        attachment: None,
    }
}

pub fn sitting_changed(f: &BookingFacts<'_>) -> OutgoingMail {
    OutgoingMail {
        kind: "sitting_changed",
        dedupe_key: None,
        to_address: f.email.to_string(),
        to_name: f.name.to_string(),
        subject: format!("考试安排变更：{}", f.course_title),
        body: format!(
            "{}，您好：\n\n您报名的考试安排已变更，以下为最新信息。\n\n{}\n请重新下载准考证。\n\n区应急管理局 SafeCert",
            f.name,
            booking_lines(f)
        ),
        attachment: None,
    }
}

pub fn password_reset(name: &str, email: &str, link: &str, valid_minutes: i64) -> OutgoingMail {
    OutgoingMail {
        kind: "password_reset",
        dedupe_key: None,
        to_address: email.to_string(),
        to_name: name.to_string(),
        subject: "重置您的 SafeCert 登录密码".to_string(),
        body: format!(
            "{name}，您好：\n\n有人为您的 SafeCert 账号申请了重置密码。请在{valid_minutes}分钟内打开以下链接设置新密码（链接只能使用一次）：\n\n{link}\n\n如非本人操作，请忽略本邮件，您的密码不会改变。\n\n区应急管理局 SafeCert"
        ),
        attachment: None,
    }
}

pub fn password_setup(name: &str, email: &str, enterprise: &str, link: &str) -> OutgoingMail {
    OutgoingMail {
        kind: "password_setup",
        dedupe_key: None,
        to_address: email.to_string(),
        to_name: name.to_string(),
        subject: "请设置您的 SafeCert 登录密码".to_string(),
        body: format!(
            "{name}，您好：\n\n{enterprise}已为您报名安全生产培训考核，并在 SafeCert 为您建立了账号。\n请在7天内打开以下链接设置登录密码：\n\n{link}\n\n如非本人操作，请忽略本邮件。\n\n区应急管理局 SafeCert"
        ),
        attachment: None,
    }
}
