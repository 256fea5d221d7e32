//! The HTTP/1.1 listener that serves the poem application.
//!
//! poem's own `Server` hands each connection to hyper through a boxed stream split in two
//! halves (a lock on every read and write) that does not pass on vectored writes. hyper then
//! copies every response body into a per-connection write buffer and keeps that buffer for
//! the life of the connection: after a start storm, 5,000 open connections each held the
//! ~40 KB paper of their start (bench/README.md, "Found: a paper kept per connection"). Here
//! hyper gets the `TcpStream` itself, writes head and body with one `writev` and keeps no
//! copy. The application is unchanged: the same poem endpoint answers every request.
//!
//! Each request takes its turn (`api::busy::WorkLimit`) here, before poem sees it, so one
//! waiting in line holds hyper's request and little else.

use crate::api::busy::{self, WorkLimit};
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use poem::{
    Addr, Endpoint, Response,
    web::{LocalAddr, RemoteAddr},
};
use std::{convert::Infallible, future::Future, net::SocketAddr, sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::watch};
use tokio_util::task::TaskTracker;

/// Serves `ep` on `listener`, each request in its turn under `limit`, until `shutdown`
/// resolves; then stops accepting, lets requests in flight finish and closes idle
/// connections, waiting at most `grace`.
pub async fn serve<E>(
    listener: TcpListener,
    ep: E,
    limit: Arc<WorkLimit>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()>
where
    E: Endpoint<Output = Response> + 'static,
{
    let local = LocalAddr(Addr::SocketAddr(listener.local_addr()?));
    let ep = Arc::new(ep);
    let (stop, stopping) = watch::channel(false);
    let connections = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, remote)) => {
                    // Replies go out whole; waiting for more to coalesce only adds latency.
                    let _ = tcp.set_nodelay(true);
                    connections.spawn(serve_connection(
                        tcp,
                        remote,
                        local.clone(),
                        ep.clone(),
                        limit.clone(),
                        stopping.clone(),
                    ));
                }
                Err(e) => {
                    // Out of file descriptors and the like: say so, breathe, go on accepting.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = stop.send(true);
    connections.close();
    if tokio::time::timeout(grace, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period");
    }
    Ok(())
}

async fn serve_connection<E>(
    tcp: tokio::net::TcpStream,
    remote: SocketAddr,
    local: LocalAddr,
    ep: Arc<E>,
    limit: Arc<WorkLimit>,
    mut stopping: watch::Receiver<bool>,
) where
    E: Endpoint<Output = Response> + 'static,
{
    let remote = RemoteAddr(Addr::SocketAddr(remote));
    let service = service_fn(move |req: hyper::Request<Incoming>| {
        let (ep, limit, local, remote) = (ep.clone(), limit.clone(), local.clone(), remote.clone());
        // Two boxes, so that memory follows the work. hyper keeps a slot the size of this
        // future in every connection for its whole life, idle or not: boxed, the slot is a
        // pointer. And poem's future for the request (~16 KB: its middleware and handler
        // states, laid out inline) is made only once the request has its turn, so a request
        // waiting in line holds a few hundred bytes (bench/README.md, "Memory per request").
        Box::pin(async move {
            let turn = if busy::exempt(req.uri().path()) {
                None
            } else {
                match limit.enter().await {
                    Some(turn) => Some(turn),
                    None => return Ok(to_hyper(busy::busy())),
                }
            };
            let req = poem::Request::from((req, local, remote, http::uri::Scheme::HTTP));
            let resp = Box::pin(ep.get_response(req)).await;
            drop(turn);
            Ok::<_, Infallible>(to_hyper(resp))
        })
    });
    // A client that never finishes its headers is dropped after 30 s instead of holding a
    // connection (and its buffers) for good; hyper needs a timer for that.
    let conn = http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        _ = async { stopping.wait_for(|stop| *stop).await.map(|_| ()) } => {
            // Finish the request in flight, then close.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

fn to_hyper(resp: Response) -> hyper::Response<BoxBody<Bytes, std::io::Error>> {
    hyper::Response::from(resp)
}
