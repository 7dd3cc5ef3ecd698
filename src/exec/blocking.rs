//! Runs one blocking Helm call from async code.

use std::sync::Arc;

use crate::helm::{CallId, HelmBackend, HelmError};

/// Cancels the shim call when the awaiting future is dropped before the
/// call has finished (Ctrl-C, a sibling failure, a timeout).
struct CancelOnDrop {
    backend: Arc<dyn HelmBackend>,
    call: CallId,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.backend.cancel(self.call);
        }
    }
}

/// Runs `f` on tokio's blocking pool with a fresh cancellable call id. A
/// termination signal cancels every call in the shim at once (see
/// [`super::Shutdown`]); the future then resolves when the shim returns,
/// after Helm settled what it was changing.
pub async fn call_helm<R, F>(backend: Arc<dyn HelmBackend>, f: F) -> Result<R, HelmError>
where
    R: Send + 'static,
    F: FnOnce(&dyn HelmBackend, CallId) -> Result<R, HelmError> + Send + 'static,
{
    let call = backend.new_call();
    let mut guard = CancelOnDrop { backend: Arc::clone(&backend), call, armed: true };
    let joined = tokio::task::spawn_blocking(move || f(backend.as_ref(), call)).await;
    guard.armed = false;
    match joined {
        Ok(result) => result,
        Err(e) if e.is_cancelled() => Err(HelmError::Cancelled),
        Err(e) => Err(HelmError::internal(format!("a blocking Helm call panicked: {e}"))),
    }
}
