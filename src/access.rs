//! Who may see or do what: scope by role, by enterprise and by the sittings a proctor is
//! assigned to. Handlers and domain modules ask here; no other module decides these rules.
//! A caller who may not see a record gets the same 404 as for a missing one (the callers'
//! choice); these functions only answer yes or no.

use crate::{auth::Caller, db::Db, domain::Role, sittings};

/// Whose records a caller's lists show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The bureau: everyone's.
    All,
    /// An enterprise admin: the enterprise's staff (and what the enterprise booked).
    Enterprise(i64),
    /// Anyone else: their own.
    Own(i64),
}

/// The records `caller` sees in lists.
pub fn scope(caller: &Caller) -> Scope {
    if caller.is_bureau() {
        Scope::All
    } else if let Some(enterprise_id) = enterprise_admin_of(caller) {
        Scope::Enterprise(enterprise_id)
    } else {
        Scope::Own(caller.user_id)
    }
}

/// The enterprise whose admin `caller` is, if any.
pub fn enterprise_admin_of(caller: &Caller) -> Option<i64> {
    caller
        .enterprise_id
        .filter(|_| caller.has(Role::EnterpriseAdmin))
}

/// Whether `caller` acts for `enterprise_id`: its admin, or the bureau.
pub fn acts_for_enterprise(caller: &Caller, enterprise_id: i64) -> bool {
    caller.is_bureau() || enterprise_admin_of(caller) == Some(enterprise_id)
}

/// Whether `caller` may see a person's records: the person themself, the bureau, or the
/// admin of the person's enterprise (or of the enterprise a record was made for).
pub fn sees_person(
    caller: &Caller,
    user_id: i64,
    enterprises: impl IntoIterator<Item = Option<i64>>,
) -> bool {
    caller.is_bureau()
        || caller.user_id == user_id
        || enterprise_admin_of(caller)
            .is_some_and(|own| enterprises.into_iter().any(|e| e == Some(own)))
}

/// The part of the district whose figures a caller's reports and targets cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// The bureau: the whole district.
    District,
    /// A street officer (街道应急办): their street's people and enterprises.
    Street(i64),
    /// An enterprise admin: their enterprise's staff.
    Enterprise(i64),
}

/// The area whose reports `caller` sees; None for anyone else (a candidate, a proctor, or a
/// street officer not assigned to a street).
pub fn report_area(caller: &Caller) -> Option<Area> {
    if caller.is_bureau() {
        Some(Area::District)
    } else if let Some(street) = caller.street_id.filter(|_| caller.has(Role::StreetOfficer)) {
        Some(Area::Street(street))
    } else {
        enterprise_admin_of(caller).map(Area::Enterprise)
    }
}

/// Whether a record in `street` (and, for staff, of `enterprise`) lies in `area`.
pub fn area_covers(area: Area, street: Option<i64>, enterprise: Option<i64>) -> bool {
    match area {
        Area::District => true,
        Area::Street(own) => street == Some(own),
        Area::Enterprise(own) => enterprise == Some(own),
    }
}

/// Whether `caller` is a proctor assigned to the sitting.
pub async fn proctors(db: &Db, caller: &Caller, sitting_id: i64) -> Result<bool, sqlx::Error> {
    Ok(caller.has(Role::Proctor)
        && sittings::store::is_proctor(db, sitting_id, caller.user_id).await?)
}

/// Whether `caller` oversees a sitting: the bureau, or one of its proctors.
pub async fn oversees_sitting(
    db: &Db,
    caller: &Caller,
    sitting_id: i64,
) -> Result<bool, sqlx::Error> {
    Ok(caller.is_bureau() || proctors(db, caller, sitting_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(roles: &[Role], enterprise_id: Option<i64>) -> Caller {
        Caller {
            user_id: 5,
            name: "测试".into(),
            roles: roles.to_vec(),
            enterprise_id,
            street_id: None,
            token_digest: String::new(),
        }
    }

    #[test]
    fn scope_follows_role_and_enterprise() {
        assert_eq!(scope(&caller(&[Role::BureauAdmin], None)), Scope::All);
        assert_eq!(
            scope(&caller(&[Role::EnterpriseAdmin], Some(3))),
            Scope::Enterprise(3)
        );
        // An enterprise admin without an enterprise sees only their own.
        assert_eq!(
            scope(&caller(&[Role::EnterpriseAdmin], None)),
            Scope::Own(5)
        );
        // A candidate who belongs to an enterprise is no admin of it.
        assert_eq!(scope(&caller(&[Role::Candidate], Some(3))), Scope::Own(5));
    }

    #[test]
    fn report_areas_follow_role_street_and_enterprise() {
        assert_eq!(
            report_area(&caller(&[Role::BureauAdmin], None)),
            Some(Area::District)
        );
        let mut officer = caller(&[Role::StreetOfficer], None);
        assert_eq!(report_area(&officer), None, "an officer without a street");
        officer.street_id = Some(2);
        assert_eq!(report_area(&officer), Some(Area::Street(2)));
        assert!(area_covers(Area::Street(2), Some(2), Some(9)));
        assert!(!area_covers(Area::Street(2), Some(3), Some(9)));
        assert_eq!(
            report_area(&caller(&[Role::EnterpriseAdmin], Some(3))),
            Some(Area::Enterprise(3))
        );
        // A candidate who lives in a street oversees nothing.
        let mut resident = caller(&[Role::Candidate], None);
        resident.street_id = Some(2);
        assert_eq!(report_area(&resident), None);
        assert_eq!(report_area(&caller(&[Role::Proctor], None)), None);
    }

    #[test]
    fn people_are_seen_by_themselves_their_enterprise_and_the_bureau() {
        let admin = caller(&[Role::EnterpriseAdmin], Some(3));
        assert!(sees_person(&admin, 9, [Some(3)]));
        assert!(sees_person(&admin, 9, [None, Some(3)]));
        assert!(!sees_person(&admin, 9, [Some(4)]));
        assert!(sees_person(&admin, 5, [None]));
        assert!(sees_person(&caller(&[Role::BureauAdmin], None), 9, [None]));
        assert!(!sees_person(
            &caller(&[Role::Candidate], Some(3)),
            9,
            [Some(3)]
        ));
        assert!(acts_for_enterprise(&admin, 3) && !acts_for_enterprise(&admin, 4));
    }
}
