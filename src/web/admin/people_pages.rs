//! 人员与企业: finding people and enterprises, and tying a person to an enterprise.

use super::*;

struct PersonRow {
    id: i64,
    name: String,
    phone: String,
    id_masked: String,
    enterprise: String,
    roles: String,
}

struct EnterpriseRow {
    id: i64,
    name: String,
    credit_code: String,
    industry: String,
}

#[derive(Template)]
#[template(path = "admin_people.html")]
struct PeoplePage<'a> {
    layout: &'a Layout,
    query: String,
    people: Vec<PersonRow>,
    enterprises: Vec<EnterpriseRow>,
    notice: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct PeopleQuery {
    q: Option<String>,
    linked: Option<i64>,
}

fn role_label(role: crate::domain::Role) -> &'static str {
    use crate::domain::Role;
    match role {
        Role::Candidate => "考生",
        Role::EnterpriseAdmin => "企业管理员",
        Role::Proctor => "监考员",
        Role::BureauAdmin => "管理局管理员",
        Role::StreetOfficer => "街道应急办",
    }
}

/// People (by mobile number, ID number or name) and enterprises (by name or credit code);
/// a person can be tied to an enterprise here.
#[handler]
pub async fn people(
    req: &Request,
    Query(q): Query<PeopleQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau(state, req).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let query = q.q.unwrap_or_default().trim().to_string();
    let found = async {
        if query.is_empty() {
            return AppResult::Ok((Vec::new(), Vec::new()));
        }
        let people = crate::accounts::search(state, &query).await?;
        let enterprises = crate::org::store::search_enterprises(&state.db, &query, PAGE).await?;
        AppResult::Ok((people, enterprises))
    }
    .await;
    let (people, enterprises) = match found {
        Ok(f) => f,
        Err(e) => return refused(state, &layout, &e),
    };
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut rows = Vec::with_capacity(people.len());
    for p in people {
        let enterprise = match p.enterprise_id {
            Some(id) => {
                if let Some(name) = names.get(&id) {
                    name.clone()
                } else {
                    let name = match crate::org::store::enterprise(&state.db, id).await {
                        Ok(e) => e.map(|e| e.name).unwrap_or_default(),
                        Err(e) => return refused(state, &layout, &e.into()),
                    };
                    names.insert(id, name.clone());
                    name
                }
            }
            None => String::new(),
        };
        rows.push(PersonRow {
            id: p.id,
            name: p.name,
            phone: crate::domain::mask_phone(&p.phone),
            id_masked: p.id_number_masked.unwrap_or_default(),
            enterprise,
            roles: p
                .roles
                .iter()
                .map(|r| role_label(*r))
                .collect::<Vec<_>>()
                .join("、"),
        });
    }
    render(
        state,
        &layout,
        &PeoplePage {
            layout: &layout,
            query,
            people: rows,
            enterprises: enterprises
                .into_iter()
                .map(|e| EnterpriseRow {
                    id: e.id,
                    name: e.name,
                    credit_code: e.credit_code,
                    industry: e.industry,
                })
                .collect(),
            notice: q.linked.map(|_| "已关联到企业。".to_string()),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct LinkForm {
    csrf: Option<String>,
    /// The enterprise's 统一社会信用代码.
    credit_code: String,
    q: Option<String>,
}

/// Ties a person to the enterprise with this credit code.
#[handler]
pub async fn link_person(
    req: &Request,
    Path(id): Path<i64>,
    Form(form): Form<LinkForm>,
    Data(state): Data<&AppState>,
) -> Response {
    let (layout, _) = match bureau_form(state, req, form.csrf.as_deref(), "/admin/people").await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let code = form.credit_code.trim().to_uppercase();
    let enterprise = match crate::org::store::search_enterprises(&state.db, &code, 2).await {
        Ok(found) => found.into_iter().find(|e| e.credit_code == code),
        Err(e) => return refused(state, &layout, &e.into()),
    };
    let Some(enterprise) = enterprise else {
        return problem(
            state,
            &layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "没有这家企业",
            "没有找到这个统一社会信用代码的企业，请核对后重试。".into(),
        );
    };
    match crate::accounts::link_enterprise(state, id, enterprise.id).await {
        Ok(_) => {
            let q: String =
                url::form_urlencoded::byte_serialize(form.q.as_deref().unwrap_or("").as_bytes())
                    .collect();
            see_other(&format!("/admin/people?q={q}&linked={id}"))
        }
        Err(e) => refused(state, &layout, &e),
    }
}
