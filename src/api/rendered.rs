//! A JSON reply whose bytes our own code renders, for the hot replies whose bulk is already
//! JSON: a start or reload sends the candidate's pre-rendered 100-question paper. poem-openapi's
//! `Json<T>` would rebuild it as a `serde_json::Value` tree (a map and strings per field) and
//! serialise that again; under the start storm this was most of a start's CPU. The OpenAPI
//! document still shows `T`'s schema; a test checks the bytes against `T`'s own rendering.

use poem::{IntoResponse, Response, http::header};
use poem_openapi::{
    ApiResponse,
    payload::Payload,
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry},
    types::Type,
};
use std::marker::PhantomData;

pub struct RenderedJson<T> {
    body: Vec<u8>,
    schema: PhantomData<fn() -> T>,
}

impl<T> RenderedJson<T> {
    /// `body` must be JSON that `T` would render.
    pub fn new(body: Vec<u8>) -> Self {
        Self {
            body,
            schema: PhantomData,
        }
    }
}

impl<T: Type> Payload for RenderedJson<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type> IntoResponse for RenderedJson<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, Self::CONTENT_TYPE)
            .body(self.body)
    }
}

impl<T: Type> ApiResponse for RenderedJson<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Self::CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}
