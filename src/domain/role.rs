//! What a signed-in person may do.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    poem_openapi::Enum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Role {
    /// 考生: takes exams, holds certificates.
    Candidate,
    /// 企业管理员: enrols and watches one enterprise's staff.
    EnterpriseAdmin,
    /// 监考员: watches sittings, extends and ends attempts.
    Proctor,
    /// 区应急管理局管理员: keeps banks, courses, sittings and everything else.
    BureauAdmin,
    /// 街道应急办: sees one street's targets, reports, enterprises and people.
    StreetOfficer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Candidate => "candidate",
            Role::EnterpriseAdmin => "enterprise_admin",
            Role::Proctor => "proctor",
            Role::BureauAdmin => "bureau_admin",
            Role::StreetOfficer => "street_officer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Role::Candidate,
            Role::EnterpriseAdmin,
            Role::Proctor,
            Role::BureauAdmin,
            Role::StreetOfficer,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}
