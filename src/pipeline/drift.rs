//! Checking the selected releases for drift (and healing it), shared by
//! `helmfire drift`, `apply --watch --drift-interval` and the daemon; then
//! telling the state's webhooks.

use std::sync::Arc;

use super::Context;
use super::kube::{kube_target, namespace_of};
use super::selection::Selected;
use crate::cli::GlobalSettings;
use crate::drift::report::ReleaseError;
use crate::drift::{DEFAULT_IGNORED_MANAGERS, DriftReport, IgnoreRules, ReleaseDrift};
use crate::exec::{Concurrency, call_helm, run_ordered};
use crate::helm::DriftRequest;
use crate::notify::{Webhook, WebhookEvent};
use crate::state::{Release, StateFile};

/// Checks every selected, installed release; `heal` re-applies what drifted.
pub(crate) async fn check_drift(
    selected: &[Selected<'_>],
    global: &GlobalSettings,
    ctx: &Context,
    heal: bool,
    concurrency: Concurrency,
) -> DriftReport {
    let mut jobs = Vec::new();
    for group in selected {
        let spec = &group.file.doc.helmfire.drift;
        let managers: Vec<String> = spec
            .ignore_managers
            .clone()
            .unwrap_or_else(|| DEFAULT_IGNORED_MANAGERS.iter().map(|m| (*m).to_string()).collect());
        let rules = Arc::new(IgnoreRules::new(spec.ignore.clone()));
        for release in group.releases.iter().filter(|r| r.installed) {
            let request = DriftRequest {
                release_name: release.name.clone(),
                namespace: namespace_of(global, release),
                kube: kube_target(global, release),
                heal,
                ignore_managers: managers.clone(),
                show_secrets: false,
            };
            jobs.push((request, Arc::clone(&rules), release.kube_context.clone()));
        }
    }
    let backend = Arc::clone(&ctx.backend);
    let mut report = DriftReport::default();
    run_ordered(
        jobs,
        concurrency,
        move |(request, rules, kube_context)| {
            let backend = Arc::clone(&backend);
            async move {
                let name = request.release_name.clone();
                let out = call_helm(backend, move |helm, call| helm.drift(call, &request)).await;
                (name, out, rules, kube_context)
            }
        },
        |_, (name, out, rules, kube_context)| match out {
            Ok(out) => {
                let mut drift = ReleaseDrift::new(out, &kube_context);
                drift.objects.retain_mut(|o| rules.keep(o));
                report.releases.push(drift);
            }
            Err(e) => report.errors.push(ReleaseError { release: name, error: e.to_string() }),
        },
    )
    .await;
    report
}

/// Queues every drifted object of `report` for the webhooks of the state
/// file its release comes from (the context's outbox delivers them off
/// this path). Failures are warnings: the drift itself has been reported.
pub(crate) fn notify_webhooks(files: &[StateFile], report: &DriftReport, ctx: &Context) {
    for drift in &report.releases {
        let Some(file) = files.iter().find(|f| f.releases.iter().any(|r| is(r, drift))) else {
            continue;
        };
        for spec in &file.doc.helmfire.webhooks {
            let hook = match Webhook::from_spec(spec) {
                Ok(hook) => hook,
                Err(e) => {
                    ctx.printer.warn(&e.to_string());
                    continue;
                }
            };
            for object in &drift.objects {
                match serde_json::to_value(WebhookEvent::drift(
                    &drift.release,
                    &drift.namespace,
                    drift.revision,
                    object,
                )) {
                    Ok(payload) => ctx.outbox.send(hook.clone(), payload),
                    Err(e) => ctx.printer.warn(&format!("drift notification not built: {e}")),
                }
            }
        }
    }
}

fn is(release: &Release, drift: &ReleaseDrift) -> bool {
    release.name == drift.release && release.kube_context == drift.kube_context
}
