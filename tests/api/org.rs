use crate::helpers::{PASSWORD, phone, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

/// 华为技术有限公司's published code: a real, valid GB 32100 code.
const REAL_CODE: &str = "914403001922038216";

#[tokio::test]
async fn the_bureau_keeps_streets_and_enterprises() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;

    let street = app
        .post(
            "/api/v1/streets",
            Some(&bureau),
            json!({"name": "福田街道", "code": "440304001", "area_km2": 9.27, "population": 147000}),
        )
        .await;
    assert_eq!(street.status, StatusCode::CREATED, "{}", street.text);
    let street_id = street.body["id"].as_i64().unwrap();

    let enterprise = app
        .post(
            "/api/v1/enterprises",
            Some(&bureau),
            json!({"name": "某电镀有限公司", "credit_code": REAL_CODE, "industry": "电镀",
                   "street_id": street_id, "address": "福田区某路1号"}),
        )
        .await;
    assert_eq!(
        enterprise.status,
        StatusCode::CREATED,
        "{}",
        enterprise.text
    );
    assert_eq!(enterprise.body["credit_code"], REAL_CODE);

    // Anyone signed in reads them.
    app.register_citizen(1, "张三").await;
    let citizen = app.token(&phone(1), PASSWORD).await;
    let streets = app.get("/api/v1/streets", Some(&citizen)).await;
    assert_eq!(streets.status, StatusCode::OK);
    assert_eq!(streets.body["total"], 1);
    assert_eq!(streets.body["items"][0]["name"], "福田街道");
    let listed = app
        .get(
            &format!("/api/v1/enterprises?street_id={street_id}"),
            Some(&citizen),
        )
        .await;
    assert_eq!(listed.body["total"], 1);
    assert_eq!(listed.body["items"][0]["name"], "某电镀有限公司");

    // Not signed in: refused.
    assert_eq!(
        app.get("/api/v1/streets", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn credit_codes_are_checked_and_unique() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    for bad in [
        "914403001922038217",
        "91440300192203821",
        "91440300O92203821X",
    ] {
        let reply = app
            .post(
                "/api/v1/enterprises",
                Some(&bureau),
                json!({"name": "某公司", "credit_code": bad, "industry": "锂电池"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(reply.body["field"], "credit_code");
    }
    let first = app
        .post(
            "/api/v1/enterprises",
            Some(&bureau),
            json!({"name": "某公司", "credit_code": REAL_CODE, "industry": "锂电池"}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app
        .post(
            "/api/v1/enterprises",
            Some(&bureau),
            json!({"name": "另一公司", "credit_code": REAL_CODE.to_lowercase(), "industry": "锂电池"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["code"], "credit_code_taken");
    assert_eq!(again.body["field"], "credit_code");

    let no_street = app
        .post(
            "/api/v1/enterprises",
            Some(&bureau),
            json!({"name": "某公司2", "credit_code": "91440300MA5DEM0019", "industry": "锂电池", "street_id": 999}),
        )
        .await;
    assert_eq!(no_street.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_street.body["field"], "street_id");
}

#[tokio::test]
async fn only_the_bureau_writes() {
    let app = spawn_app().await;
    app.register_citizen(2, "李四").await;
    let citizen = app.token(&phone(2), PASSWORD).await;
    let reply = app
        .post(
            "/api/v1/streets",
            Some(&citizen),
            json!({"name": "沙头街道"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.body["code"], "forbidden");
    let reply = app
        .post(
            "/api/v1/users",
            Some(&citizen),
            json!({"name": "x", "phone": phone(3), "email": "x@example.cn", "password": PASSWORD, "roles": ["bureau_admin"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn enterprise_admins_belong_to_one_enterprise_and_see_only_it() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let mine = app
        .post(
            "/api/v1/enterprises",
            Some(&bureau),
            json!({"name": "甲公司", "credit_code": REAL_CODE, "industry": "粉尘涉爆"}),
        )
        .await;
    let other = app
        .post(
            "/api/v1/enterprises",
            Some(&bureau),
            json!({"name": "乙公司", "credit_code": "91440300MA5DEM0019", "industry": "电镀"}),
        )
        .await;
    let mine_id = mine.body["id"].as_i64().unwrap();

    let without_enterprise = app
        .post(
            "/api/v1/users",
            Some(&bureau),
            json!({"name": "管理员", "phone": phone(20), "email": "ea@example.cn",
                   "password": PASSWORD, "roles": ["enterprise_admin"]}),
        )
        .await;
    assert_eq!(without_enterprise.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(without_enterprise.body["field"], "enterprise_id");

    let admin = app
        .post(
            "/api/v1/users",
            Some(&bureau),
            json!({"name": "甲公司安全主管", "phone": phone(20), "email": "ea@example.cn",
                   "password": PASSWORD, "roles": ["enterprise_admin"], "enterprise_id": mine_id}),
        )
        .await;
    assert_eq!(admin.status, StatusCode::CREATED, "{}", admin.text);
    assert_eq!(admin.body["enterprise_id"], mine_id);
    let token = app.token(&phone(20), PASSWORD).await;

    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["roles"], json!(["enterprise_admin"]));

    let seen = app.get("/api/v1/enterprises", Some(&token)).await;
    assert_eq!(seen.body["total"], 1);
    assert_eq!(seen.body["items"][0]["id"], mine_id);
    assert_ne!(seen.body["items"][0]["id"], other.body["id"]);

    // Their people list holds their own enterprise only (here: themselves).
    app.register_citizen(21, "路人").await;
    let people = app.get("/api/v1/users", Some(&token)).await;
    assert_eq!(people.status, StatusCode::OK, "{}", people.text);
    assert_eq!(people.body["total"], 1);
    assert_eq!(people.body["items"][0]["name"], "甲公司安全主管");
}
