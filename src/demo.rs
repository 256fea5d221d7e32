//! Demo data for a newcomer on the embedded defaults: a bureau admin, a proctor, streets,
//! enterprises with an admin, and a citizen. Only ever written into an empty database.

use crate::{
    AppState,
    accounts::{self, Registration, StaffAccount},
    domain::Role,
    org::{self, NewEnterprise, NewStreet},
};

/// Password of every demo account (printed in the log and the README).
pub const DEMO_PASSWORD: &str = "safecert-demo-2026";
pub const DEMO_ADMIN_PHONE: &str = "13800000001";

pub async fn seed_if_empty(state: &AppState) -> anyhow::Result<()> {
    if accounts::store::count_users(&state.db).await? > 0 {
        return Ok(());
    }
    let streets = [
        ("福田街道", "440304001", 9.27, 147_000),
        ("沙头街道", "440304007", 10.88, 183_000),
        ("梅林街道", "440304008", 9.91, 145_000),
    ];
    let mut street_ids = Vec::new();
    for (name, code, area, population) in streets {
        let s = org::create_street(
            state,
            NewStreet {
                name,
                code: Some(code),
                area_km2: Some(area),
                population: Some(population),
            },
        )
        .await?;
        street_ids.push(s.id);
    }
    let electroplating = org::create_enterprise(
        state,
        NewEnterprise {
            name: "示范电镀科技有限公司",
            credit_code: "91440300MA5DEM0019",
            industry: "电镀",
            street_id: Some(street_ids[0]),
            address: Some("示范路1号"),
        },
    )
    .await?;
    org::create_enterprise(
        state,
        NewEnterprise {
            name: "示范锂电新能源有限公司",
            credit_code: "91440300MA5DEM002C",
            industry: "锂电池",
            street_id: Some(street_ids[1]),
            address: Some("示范路2号"),
        },
    )
    .await?;
    let staff = [
        (
            "区应急管理局管理员",
            DEMO_ADMIN_PHONE,
            "admin@demo.safecert.local",
            Role::BureauAdmin,
            None,
        ),
        (
            "监考员李明",
            "13800000002",
            "proctor@demo.safecert.local",
            Role::Proctor,
            None,
        ),
        (
            "电镀企业安全主管",
            "13800000003",
            "enterprise@demo.safecert.local",
            Role::EnterpriseAdmin,
            Some(electroplating.id),
        ),
        (
            "街道应急办王芳",
            "13800000005",
            "street@demo.safecert.local",
            Role::StreetOfficer,
            None,
        ),
    ];
    let mut proctor_ids = Vec::new();
    for (name, phone, email, role, enterprise_id) in staff {
        let street_id = (role == Role::StreetOfficer).then_some(street_ids[0]);
        let made = accounts::create_staff(
            state,
            StaffAccount {
                name,
                phone,
                email,
                password: DEMO_PASSWORD,
                id_type: None,
                id_number: None,
                roles: &[role],
                enterprise_id,
                street_id,
            },
        )
        .await?;
        if role == Role::Proctor {
            proctor_ids.push(made.id);
        }
    }
    let citizen = accounts::register_citizen(
        state,
        Registration {
            name: "张三",
            id_type: None,
            id_number: "11010519491231002X",
            phone: "13800000004",
            email: "citizen@demo.safecert.local",
            password: DEMO_PASSWORD,
            street_id: Some(street_ids[0]),
        },
    )
    .await?;
    // An online sitting of the first-responder exam, open for a week, with the demo citizen
    // booked (13800000004 starts it from 我的) and the demo proctor watching it (13800000002,
    // 监考).
    if let Some(course) = crate::courses::store::course_by_code(&state.db, "FR-THEORY").await? {
        let now = chrono::Utc::now();
        let sitting = crate::sittings::create(
            state,
            crate::sittings::SittingPlan {
                course_id: course.id,
                starts_at: now - chrono::Duration::minutes(5),
                ends_at: now + chrono::Duration::days(7),
                capacity: 100,
                venue: crate::sittings::Venue {
                    kind: crate::sittings::VenueKind::Online,
                    name: None,
                    address: None,
                },
                registration_opens_at: None,
                registration_closes_at: None,
                proctor_ids,
            },
        )
        .await?;
        let caller = crate::auth::Caller {
            user_id: citizen.id,
            name: citizen.name.clone(),
            roles: citizen.roles.clone(),
            enterprise_id: None,
            street_id: citizen.street_id,
            token_digest: String::new(),
        };
        crate::registrations::book(state, &caller, sitting.id, None).await?;
    }
    tracing::warn!(
        admin_phone = DEMO_ADMIN_PHONE,
        password = DEMO_PASSWORD,
        "seeded demo data into an empty database (DEMO_DATA=false turns this off)"
    );
    Ok(())
}
