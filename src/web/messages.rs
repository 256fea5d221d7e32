//! What the pages say when something is refused: one Chinese sentence per error code the
//! candidate's paths can meet, and per field a sign-up form can get wrong.

use crate::error::AppError;

/// The Chinese message for an error, as a person at the page should read it.
pub fn for_error(e: &AppError) -> String {
    match e {
        AppError::Invalid(invalid) => for_field(invalid.field.as_ref()).to_string(),
        AppError::Unauthenticated => "请先登录。".into(),
        AppError::InvalidCredentials => "手机号/邮箱或密码不正确。".into(),
        AppError::AccountLocked { retry_after_secs } => format!(
            "连续输错密码次数过多，账号已临时锁定，请在 {} 分钟后再试。",
            retry_after_secs.div_ceil(60).max(1)
        ),
        AppError::Forbidden { code, message }
        | AppError::NotFound { code, message }
        | AppError::Conflict { code, message, .. }
        | AppError::Unavailable { code, message } => match known_code(code) {
            Some(text) => text.to_string(),
            // The admission rules already speak Chinese, with the dates and counts in them.
            None if message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) =>
            {
                message.clone()
            }
            None => GENERIC.to_string(),
        },
        AppError::ImportInvalid(_) | AppError::RosterInvalid(_) => {
            "文件有误，未导入任何内容。".into()
        }
        AppError::Internal(_) => "服务暂时出错，请稍后再试。".into(),
    }
}

const GENERIC: &str = "操作未能完成，请稍后再试。";

/// The Chinese message for an error code of the API, where the pages know it.
pub fn known_code(code: &str) -> Option<&'static str> {
    Some(match code {
        "sitting_full" => "该场次名额已满，请选择其他场次。",
        "registration_closed" => "该场次报名已截止或尚未开始。",
        "sitting_cancelled" => "该场次已取消。",
        "sitting_not_found" => "没有找到该场次。",
        "sitting_not_open" => "考试时间未到或已结束，请在场次规定的时间内进入考试。",
        "not_registered" => "您没有报名该场次，不能参加考试。",
        "retake_limit_reached" => "该课程的补考次数已用完。",
        "already_passed" => "您已通过该课程考核，无需再次报名。",
        "certificate_required" => "报名该复训课程需要持有有效的初训证书。",
        "registration_cancelled" => "该报名已取消。",
        "registration_not_found" => "没有找到该报名记录。",
        "too_late_to_cancel" => "考试开始后不能取消报名。",
        "attempt_closed" => "本次考试已结束（已交卷、已到时间或被监考终止），不能再作答。",
        "attempt_open" => "试卷还在作答中，交卷后才能查看成绩。",
        "attempt_not_found" => "没有找到该次考试记录。",
        "grading_in_progress" => "正在评分，请稍候刷新。",
        "position_not_found" => "没有这道题。",
        "store_unavailable" | "database_unavailable" | "server_busy" => {
            "系统繁忙，答案已暂存在本机，正在自动重试。"
        }
        "forbidden" => "您没有权限进行此操作。",
        "phone_taken" => "该手机号已注册，请直接登录。",
        "email_taken" => "该电子邮箱已注册，请直接登录或换一个邮箱。",
        "id_number_taken" => "该证件号码已注册，请直接登录。",
        _ => return None,
    })
}

/// What to fix in a form field, in Chinese.
pub fn for_field(field: &str) -> &'static str {
    crate::domain::field_in_chinese(field)
}

/// A course category as people name it.
pub fn category(category: crate::courses::CourseCategory) -> &'static str {
    use crate::courses::CourseCategory;
    match category {
        CourseCategory::FirstResponder => "应急第一响应人",
        CourseCategory::SafetyManager => "安全生产管理人员",
        CourseCategory::SpecialOperation => "特种作业",
        CourseCategory::Other => "其他",
    }
}
