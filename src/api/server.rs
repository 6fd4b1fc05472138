//! The HTTP server: actix-web's `HttpServer`, assembled from its parts so that every
//! connection's stream is a `ProblemStream` (errors before the handlers are problem+json).
//! Settings are actix-web's defaults.

use std::net::TcpListener;
use std::time::Duration;

use actix_http::{HttpService, KeepAlive, Protocol};
use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{AppConfig, Server};
use actix_web::rt::net::TcpStream;
use actix_web::web;

use super::bare_errors::ProblemStream;
use super::AppState;

/// Listening sockets for `address` (host:port; a name may resolve to several addresses),
/// made as actix-web makes them: SO_REUSEADDR, so a restarted server can bind at once while
/// old connections linger in TIME_WAIT, and a backlog of 1024.
pub fn listen(address: &str) -> std::io::Result<Vec<TcpListener>> {
    use socket2::{Domain, Protocol, Socket, Type};
    use std::net::ToSocketAddrs;
    let mut listeners = Vec::new();
    for addr in address.to_socket_addrs()? {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(1024)?;
        listeners.push(TcpListener::from(socket));
    }
    Ok(listeners)
}

/// Serves the API on `listeners` with `workers` threads; the server runs when awaited.
pub fn serve(
    listeners: Vec<TcpListener>,
    workers: usize,
    state: web::Data<AppState>,
) -> std::io::Result<Server> {
    let mut server = actix_server::Server::build().workers(workers);
    for listener in listeners {
        server = with_listener(server, listener, state.clone())?;
    }
    Ok(server.run())
}

fn with_listener(
    server: actix_server::ServerBuilder,
    listener: TcpListener,
    state: web::Data<AppState>,
) -> std::io::Result<actix_server::ServerBuilder> {
    let local = listener.local_addr()?;
    server.listen(format!("incident-atlas-{local}"), listener, move || {
        let app = super::app(state.clone())
            .into_factory()
            .map_err(|e: actix_web::Error| e.as_response_error().error_response());
        let http = HttpService::build()
            .keep_alive(KeepAlive::Timeout(Duration::from_secs(5)))
            .client_request_timeout(Duration::from_secs(5))
            .client_disconnect_timeout(Duration::from_secs(1))
            .local_addr(local)
            // Requests without a Host header get links from `AppState::listen_host`.
            .finish(map_config(app, |_| AppConfig::default()));
        fn_service(|io: TcpStream| async move {
            let peer = io.peer_addr().ok();
            Ok((ProblemStream::new(io), Protocol::Http1, peer))
        })
        .and_then(http)
    })
}
