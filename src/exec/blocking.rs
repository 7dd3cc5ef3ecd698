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

/// Runs `f` on tokio's blocking pool with a fresh cancellable call id.
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

/// Like [`call_helm`], but a first interrupt cancels the call in the shim
/// and then waits for it to return: the shim waits for Helm to settle the
/// release, so nothing is left `pending-*` behind helmfire's back.
pub async fn call_helm_interruptible<R, F>(
    backend: Arc<dyn HelmBackend>,
    interrupts: &super::Interrupts,
    f: F,
) -> Result<R, HelmError>
where
    R: Send + 'static,
    F: FnOnce(&dyn HelmBackend, CallId) -> Result<R, HelmError> + Send + 'static,
{
    let call = backend.new_call();
    let canceller = Arc::clone(&backend);
    let mut handle = tokio::task::spawn_blocking(move || f(backend.as_ref(), call));
    let joined = tokio::select! {
        joined = &mut handle => joined,
        () = interrupts.wait() => {
            canceller.cancel(call);
            handle.await
        }
    };
    match joined {
        Ok(result) => result,
        Err(e) if e.is_cancelled() => Err(HelmError::Cancelled),
        Err(e) => Err(HelmError::internal(format!("a blocking Helm call panicked: {e}"))),
    }
}
