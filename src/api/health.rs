//! Liveness and readiness for load balancers and orchestrators.

use crate::AppState;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::ApiTags;

pub struct HealthApi {
    pub state: AppState,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: String,
    /// `ok` or `down`.
    pub database: String,
    /// `ok` or `down`.
    pub live_store: String,
    /// `in_process` or `redis`.
    pub live_store_kind: String,
}

#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// The database and the live-session store answer.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// One of them does not; the body says which.
    #[oai(status = 503)]
    NotReady(Json<Readiness>),
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Liveness {
    /// Always `ok`.
    pub status: String,
    pub version: String,
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// The process is up.
    #[oai(path = "/healthz", method = "get")]
    async fn healthz(&self) -> Json<Liveness> {
        Json(Liveness {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        })
    }

    /// The database and the live-session store both answer.
    #[oai(path = "/readyz", method = "get")]
    async fn readyz(&self) -> ReadyResponse {
        let (db_ok, store) = tokio::join!(self.state.db.ping(), self.state.live.ping());
        let store_ok = store.is_ok();
        let word = |ok: bool| if ok { "ok" } else { "down" }.to_string();
        let body = Readiness {
            status: if db_ok && store_ok {
                "ready"
            } else {
                "not_ready"
            }
            .into(),
            database: word(db_ok),
            live_store: word(store_ok),
            live_store_kind: self.state.live.kind().into(),
        };
        if db_ok && store_ok {
            ReadyResponse::Ready(Json(body))
        } else {
            ReadyResponse::NotReady(Json(body))
        }
    }
}
