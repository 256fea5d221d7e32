//! A response enum whose variants share a status but differ in content type (a bank export
//! as TOML or xlsx). The derived document keeps only the last variant of a status; this
//! wrapper lists every content type under it, so the document says what the server sends.

use poem::{IntoResponse, Response};
use poem_openapi::{
    ApiResponse,
    registry::{MetaResponse, MetaResponses, Registry},
};

pub struct OneStatus<T>(pub T);

impl<T: ApiResponse> ApiResponse for OneStatus<T> {
    fn meta() -> MetaResponses {
        let mut merged: Vec<MetaResponse> = Vec::new();
        for response in T::meta().responses {
            match merged
                .iter_mut()
                .find(|m| m.status == response.status && m.status_range == response.status_range)
            {
                Some(same) => same.content.extend(response.content),
                None => merged.push(response),
            }
        }
        MetaResponses { responses: merged }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: IntoResponse> IntoResponse for OneStatus<T> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}
