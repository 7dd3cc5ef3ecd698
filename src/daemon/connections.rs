//! Limits on the API's connections, so clients cannot exhaust the daemon:
//! at most [`MAX_CONNECTIONS`] open at once (more are closed as they
//! come), and a client must send its request headers within
//! [`HEADER_TIMEOUT`] (which also closes idle keep-alive connections).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections open at once.
pub const MAX_CONNECTIONS: usize = 256;

/// How long a client may take to send its request headers, and how long an
/// idle connection is kept.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// An acceptor that refuses connections beyond the limit.
#[derive(Clone)]
pub struct Limited {
    permits: Arc<Semaphore>,
}

impl Limited {
    /// At most `max` connections at once.
    pub fn new(max: usize) -> Limited {
        Limited { permits: Arc::new(Semaphore::new(max)) }
    }
}

impl<I, S> Accept<I, S> for Limited
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Send + 'static,
{
    type Stream = Counted<I>;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Counted<I>, S)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        std::future::ready(match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => Ok((Counted { inner: stream, _permit: permit }, service)),
            Err(_) => Err(io::Error::other("too many connections to the daemon's API")),
        })
    }
}

/// A connection holding one of the permits until it closes.
pub struct Counted<I> {
    inner: I,
    _permit: OwnedSemaphorePermit,
}

impl<I: AsyncRead + Unpin> AsyncRead for Counted<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Counted<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
