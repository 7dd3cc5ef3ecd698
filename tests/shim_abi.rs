//! The shim's ABI seen from Rust through the library: structured errors,
//! cancellation and logs.

use std::sync::Arc;

use helmfire::helm::{HelmBackend, HelmError, ShimBackend, TemplateRequest};

use crate::util::chart;

fn request(chart_name: &str) -> TemplateRequest {
    TemplateRequest {
        release_name: "abi".into(),
        chart: chart(chart_name).display().to_string(),
        ..TemplateRequest::default()
    }
}

#[test]
fn a_call_renders() {
    let backend = ShimBackend::new();
    let out = backend.template(backend.new_call(), &request("files")).unwrap();
    assert!(out.stdout.contains("name: abi-config"));
}

#[test]
fn errors_come_back_typed() {
    let backend = ShimBackend::new();
    let err = backend.template(backend.new_call(), &request("broken")).unwrap_err();
    assert!(matches!(err, HelmError::Render { .. }), "{err:?}");
    let err = backend.template(backend.new_call(), &request("does-not-exist")).unwrap_err();
    assert!(matches!(err, HelmError::Chart { .. }), "{err:?}");
}

#[test]
fn a_call_cancelled_before_it_starts_reports_cancelled() {
    let backend = ShimBackend::new();
    let call = backend.new_call();
    backend.cancel(call);
    let err = backend.template(call, &request("files")).unwrap_err();
    assert!(matches!(err, HelmError::Cancelled), "{err:?}");
    // The next call is unaffected.
    assert!(backend.template(backend.new_call(), &request("files")).is_ok());
}

#[test]
fn calls_run_in_parallel_from_many_threads() {
    let backend = Arc::new(ShimBackend::new());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let backend = Arc::clone(&backend);
            std::thread::spawn(move || {
                backend.template(backend.new_call(), &request("named-templates")).map(|o| o.stdout)
            })
        })
        .collect();
    let outputs: Vec<String> = handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}
