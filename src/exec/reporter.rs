//! Progress events, implemented by the output layer.

/// Receives progress events from the exec layer.
pub trait Reporter: Send + Sync {
    /// A release's work started; returns an id for the completion event.
    fn on_release_start(&self, release: &str) -> usize;
    /// The work started under `id` finished.
    fn on_release_complete(&self, id: usize, succeeded: bool);
}

/// A reporter that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoReporter;

impl Reporter for NoReporter {
    fn on_release_start(&self, _release: &str) -> usize {
        0
    }
    fn on_release_complete(&self, _id: usize, _succeeded: bool) {}
}
