//! helmfile's hooks: commands a state or a release runs on events
//! (`prepare`, `preapply`, `presync`, `postsync`, `preuninstall`, `postuninstall`,
//! `cleanup`). The command and its arguments are Go templates rendered
//! with `.Environment`, `.Namespace`, `.Event` and `.Release`; the command
//! runs in the state file's directory. A `kubectlApply` hook is kubectl's
//! apply, run in-process.

use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_yaml_ng::{Mapping, Value};

use super::Context;
use super::engine::ShimEngine;
use crate::helm::{KubeTarget, KubectlApplyRequest};
use crate::state::{HookSpec, Release, RenderRequest, StateFile, TemplateEngine, TextSource};

/// A hook that could not run or failed.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// Its command or arguments did not render.
    #[error("hook[{name}]: {message}")]
    Render {
        /// The hook's name (or command).
        name: String,
        /// The template engine's message.
        message: String,
    },
    /// Its command could not be started.
    #[error("hook[{name}]: cannot run `{command}`: {source}")]
    Start {
        /// The hook's name.
        name: String,
        /// The rendered command.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// HELMFILE_DISABLE_HOOKS forbids hooks, and one would run.
    #[error(
        "hook[{name}] would run on event \"{event}\", but HELMFILE_DISABLE_HOOKS is true; unset it, or remove the hook"
    )]
    Disabled {
        /// The hook's name.
        name: String,
        /// The event.
        event: &'static str,
    },
    /// Its `kubectlApply` is malformed or the apply failed.
    #[error("hook[{name}]: {message}")]
    KubectlApply {
        /// The hook's name.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// Its command ended with a failure.
    #[error("hook[{name}]: command `{command}` failed: {status}")]
    Failed {
        /// The hook's name.
        name: String,
        /// The rendered command.
        command: String,
        /// How it ended.
        status: std::process::ExitStatus,
    },
}

/// A hook event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Prepare,
    Preapply,
    Presync,
    Postsync,
    Preuninstall,
    Postuninstall,
    Cleanup,
}

impl Event {
    fn name(self) -> &'static str {
        match self {
            Event::Prepare => "prepare",
            Event::Preapply => "preapply",
            Event::Presync => "presync",
            Event::Postsync => "postsync",
            Event::Preuninstall => "preuninstall",
            Event::Postuninstall => "postuninstall",
            Event::Cleanup => "cleanup",
        }
    }
}

/// helmfile's HELMFILE_DISABLE_HOOKS: any boolean spelling Go's
/// strconv.ParseBool reads as true.
fn hooks_disabled() -> bool {
    std::env::var(crate::env_vars::HELMFILE_DISABLE_HOOKS)
        .is_ok_and(|v| matches!(v.as_str(), "1" | "t" | "T" | "true" | "TRUE" | "True"))
}

/// Runs `cleanup` hooks of every selected release and state, reporting
/// (not returning) failures: the command's own result stands.
pub(crate) fn cleanup(ctx: &Context, selected: &[super::selection::Selected<'_>]) {
    for group in selected {
        for release in &group.releases {
            if let Err(e) = trigger(ctx, Event::Cleanup, group.file, Some(release), None) {
                crate::output::report(&ctx.printer, &anyhow::Error::new(e));
            }
        }
        if let Err(e) = trigger(ctx, Event::Cleanup, group.file, None, None) {
            crate::output::report(&ctx.printer, &anyhow::Error::new(e));
        }
    }
}

/// Runs the hooks of `release` (or, with None, of the state) for `event`.
/// `error` is the failure that preceded a post-event (`.Event.Error`).
pub(crate) fn trigger(
    ctx: &Context,
    event: Event,
    file: &StateFile,
    release: Option<&Release>,
    error: Option<&str>,
) -> Result<(), HookError> {
    let hooks: &[HookSpec] = match release {
        Some(release) => &release.hooks,
        None => &file.doc.hooks,
    };
    let matching: Vec<&HookSpec> = hooks.iter().filter(|h| h.events.iter().any(|e| e == event.name())).collect();
    if matching.is_empty() {
        return Ok(());
    }
    if hooks_disabled() {
        return Err(HookError::Disabled { name: hook_name(matching[0]).to_string(), event: event.name() });
    }
    let engine = ShimEngine::new(Arc::clone(&ctx.backend));
    let data = data(file, release, event, error);
    for hook in matching {
        let name = hook_name(hook);
        let render = |text: &str| {
            engine
                .render(RenderRequest {
                    name: &file.path,
                    text,
                    data: &data,
                    base_dir: &file.base_dir,
                    source: TextSource::Derived,
                })
                .map_err(|message| HookError::Render { name: name.to_string(), message })
        };
        ctx.printer.debug(&format!("hook[{name}]: triggered by event \"{}\"", event.name()));
        let ran = if hook.kubectl_apply.is_empty() {
            run_command(ctx, file, hook, name, &render)?
        } else {
            kubectl_apply(ctx, file, release, hook, name, &render)?
        };
        if hook.showlogs {
            for line in ran.output.lines() {
                ctx.printer.info(&format!("hook[{}] logs | {line}", event.name()));
            }
        } else if !ran.output.is_empty() {
            ctx.printer.debug(&format!("hook[{name}]: {}", ran.output.trim_end()));
        }
        if let Some(failure) = ran.failure {
            return Err(failure);
        }
    }
    Ok(())
}

/// A hook's name in messages: its `name`, else its command, else
/// `kubectlApply` (helmfile's choice).
fn hook_name(hook: &HookSpec) -> &str {
    match (hook.name.as_str(), hook.command.as_str()) {
        ("", "") if !hook.kubectl_apply.is_empty() => "kubectlApply",
        ("", command) => command,
        (name, _) => name,
    }
}

/// What a hook printed, and how it failed if it did.
struct Ran {
    output: String,
    failure: Option<HookError>,
}

/// Runs a hook's command (rendered, with its rendered arguments) in the
/// state file's directory.
fn run_command(
    ctx: &Context,
    file: &StateFile,
    hook: &HookSpec,
    name: &str,
    render: &dyn Fn(&str) -> Result<String, HookError>,
) -> Result<Ran, HookError> {
    let command = render(&hook.command)?;
    let args = hook.args.iter().map(|a| render(a)).collect::<Result<Vec<_>, _>>()?;
    let dir = if file.base_dir.as_os_str().is_empty() { std::path::Path::new(".") } else { file.base_dir.as_path() };
    let start_failed = |source| HookError::Start { name: name.to_string(), command: command.clone(), source };
    // A hook is the first thing helmfire starts that a signal must reach
    // through Shutdown: its registration with Go has to be in place.
    crate::helm::wait_for_registrations();
    let child = Command::new(&command)
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(start_failed)?;
    // A signal interrupts the hook's command with the rest of the run.
    let _adopted = ctx.shutdown.adopt(child.id(), &format!("hook[{name}]"));
    let output = child.wait_with_output().map_err(start_failed)?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let failure = (!output.status.success()).then(|| HookError::Failed {
        name: name.to_string(),
        command: command.clone(),
        status: output.status,
    });
    Ok(Ran { output: text, failure })
}

/// A `kubectlApply` hook: `kubectl apply -f FILENAME` or `-k DIR`, run
/// in-process by the shim with kubectl's own code. helmfile runs the
/// kubectl binary against its current context; helmfire applies to the
/// cluster the release (or, for a state's hook, the environment) deploys
/// to, which `--kube-context` overrides as it does for releases.
fn kubectl_apply(
    ctx: &Context,
    file: &StateFile,
    release: Option<&Release>,
    hook: &HookSpec,
    name: &str,
    render: &dyn Fn(&str) -> Result<String, HookError>,
) -> Result<Ran, HookError> {
    if !hook.command.is_empty() {
        ctx.printer.warn(&format!("warn: ignoring command '{}' given within a kubectlApply hook", hook.command));
    }
    let invalid = |message: &str| HookError::KubectlApply { name: name.to_string(), message: message.to_string() };
    for key in hook.kubectl_apply.keys().filter(|k| !matches!(k.as_str(), "filename" | "kustomize")) {
        ctx.printer.warn(&format!(
            "hook[{name}]: ignoring kubectlApply key `{key}` (helmfile reads `filename` or `kustomize`)"
        ));
    }
    let field = |key: &str| hook.kubectl_apply.get(key).map(|text| render(text)).transpose();
    let (filename, kustomize) = (field("filename")?, field("kustomize")?);
    if filename.is_some() && kustomize.is_some() {
        return Err(invalid("kustomize & filename cannot be used together"));
    }
    if filename.is_none() && kustomize.is_none() {
        return Err(invalid("either kustomize or filename must be given"));
    }
    let context = ctx.cluster.kube_context.clone().unwrap_or_else(|| match release {
        Some(release) => release.cluster_context.clone(),
        None => file.environment.kube_context.clone(),
    });
    let request = KubectlApplyRequest {
        kube: KubeTarget {
            kubeconfig: ctx.cluster.kubeconfig.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            context,
            namespace: String::new(),
        },
        filename: filename.unwrap_or_default(),
        kustomize: kustomize.unwrap_or_default(),
        base_dir: file.base_dir.display().to_string(),
    };
    let call = ctx.backend.new_call();
    match ctx.backend.kubectl_apply(call, &request) {
        Ok(out) => Ok(Ran { output: out.output, failure: None }),
        Err(error) => Ok(Ran { output: String::new(), failure: Some(invalid(&error.to_string())) }),
    }
}

fn data(file: &StateFile, release: Option<&Release>, event: Event, error: Option<&str>) -> Value {
    let mut data = match file.environment.template_data("") {
        Value::Mapping(m) => m,
        _ => Mapping::new(),
    };
    let mut ev = Mapping::new();
    ev.insert("Name".into(), event.name().into());
    ev.insert("Error".into(), error.map_or(Value::Null, |e| e.into()));
    data.insert("Event".into(), Value::Mapping(ev));
    if let Some(release) = release {
        data.insert("Release".into(), super::template_data::release_data(release));
    }
    Value::Mapping(data)
}
