//! `ocipipe plugin install`: a managed plugin from a registry into the
//! engine, only with the privileges a person granted. The policy
//! `docker plugin install` lacks (it has a prompt, or "grant all").
//!
//! The privileges are ocipipe's: the privileges component computes them
//! from the plugin's config in the registry ([`super::remote_privileges`]).
//! Each is judged against the grants by the privileges component
//! ([`judge`]); when any is not granted the engine is never asked
//! anything. Otherwise the engine pulls the plugin, sent
//! exactly those privileges: it computes them again itself and refuses a
//! pull whose privileges differ (moby's `validatePrivileges`), so what it
//! installs is what was granted. Then it is enabled, unless asked not to;
//! a plugin the engine could not enable is removed again, so a failed
//! install leaves nothing behind. A reference with a digest goes only to
//! an engine that does not crash pulling it (dockerd before 24.0.9 and
//! 25.0.3 panics: moby#47299).
//!
//! A grant names a kind of privilege (`mount`) and, as the component
//! judges it, grants every privilege of that kind the plugin asks for,
//! whatever its value: the values are shown before anything is installed.
//!
//! Must not: compute what a config asks for or judge what a grant covers
//! (the component decides),
//! change, drop or reorder the privileges sent to the engine, or name a
//! plugin (the tagging component normalises names; the engine picks the
//! default alias).

use super::Error;
use super::copy::CopyContext;
use super::push::{engine_auth, reported};
use crate::docker::Engine;
use crate::model::{AnyReference, Grants, Privilege, Reference};
use crate::runtime::{Privileges, Tagging};
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Duration;

/// One privilege a plugin asks for, and whether it was granted. With
/// `--json` it prints as the privilege's `name`, `description`, `value`,
/// and `granted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AskedPrivilege {
    /// The privilege.
    #[serde(flatten)]
    pub privilege: Privilege,
    /// Whether the grants cover it.
    pub granted: bool,
}

/// The privileges `asked`, in their order, each judged against `grants`
/// by the privileges component.
pub fn judge(
    privileges: &Privileges,
    asked: Vec<Privilege>,
    grants: &Grants,
) -> Result<Vec<AskedPrivilege>, Error> {
    let granted = privileges.judge_privileges(&asked, grants)?;
    Ok(asked
        .into_iter()
        .zip(granted)
        .map(|(privilege, granted)| AskedPrivilege { privilege, granted })
        .collect())
}

/// What to install, and how.
#[derive(Debug, Clone)]
pub struct PluginInstall<'a> {
    /// The plugin in its registry, normalised.
    pub reference: &'a Reference,
    /// The name to give it in the engine ([`plugin_name`]); none: the
    /// engine's default, docker's (the familiar name with its tag).
    pub alias: Option<&'a Reference>,
    /// Enable it once pulled, with this timeout for the engine's client of
    /// the plugin; none leaves it disabled.
    pub enable: Option<Duration>,
}

/// A plugin installed.
#[derive(Debug, Clone, Serialize)]
pub struct InstalledPlugin {
    /// Its name in the engine.
    pub name: String,
    /// Its ID.
    pub id: String,
    /// Whether it is enabled.
    pub enabled: bool,
    /// The manifest digest the engine pulled, as it reported it.
    pub digest: Option<String>,
}

/// Installs `request.reference` into the engine of `ctx` when every one of
/// `asked` (its privileges, judged) is granted, sending the engine those
/// privileges as they are; else [`Error::NotGranted`], and the engine is
/// asked nothing. A reference with a digest is pulled only by an engine
/// that does not crash doing so.
pub fn install_plugin(
    ctx: &CopyContext<'_>,
    request: &PluginInstall<'_>,
    asked: &[AskedPrivilege],
) -> Result<InstalledPlugin, Error> {
    let reference = request.reference;
    let missing: Vec<Privilege> = asked
        .iter()
        .filter(|a| !a.granted)
        .map(|a| a.privilege.clone())
        .collect();
    if !missing.is_empty() {
        return Err(Error::NotGranted {
            plugin: reference.full.clone(),
            missing,
        });
    }
    let engine = ctx.engine.expect("an engine for a plugin install");
    if reference.digest.is_some() {
        ctx.runtime
            .block_on(engine.check_plugin_digest_pull(&reference.full))?;
    }
    let auth = engine_auth(&ctx.access.credentials, reference)?;
    let privileges: Vec<Privilege> = asked.iter().map(|a| a.privilege.clone()).collect();
    let progress = ctx.ops.progress;
    progress.start(&format!("pull plugin {}", reference.familiar), None);
    let mut advance = reported(progress);
    let pulled = ctx.runtime.block_on(engine.pull_plugin(
        &reference.full,
        request.alias.map(|a| a.familiar.as_str()),
        &privileges,
        &auth,
        &mut advance,
    ))?;
    progress.finish();
    if let Some(timeout) = request.enable {
        enable_or_remove(ctx.runtime, engine, &pulled.name, timeout)?;
    }
    let plugin = ctx.runtime.block_on(engine.plugin(&pulled.name))?;
    Ok(InstalledPlugin {
        name: plugin.name,
        id: plugin.id,
        enabled: plugin.enabled,
        digest: pulled.digest,
    })
}

/// Enables the plugin `name` just pulled; one the engine cannot enable is
/// removed again, so that the failed install leaves nothing behind.
fn enable_or_remove(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    name: &str,
    timeout: Duration,
) -> Result<(), Error> {
    let Err(source) = runtime.block_on(engine.enable_plugin(name, timeout)) else {
        return Ok(());
    };
    let after = match runtime.block_on(engine.remove_plugin(name, true)) {
        Ok(()) => "it was removed again (--disable installs it without enabling it)".to_string(),
        Err(e) => {
            format!("removing it failed too ({e}); remove it with `ocipipe plugin rm -f {name}`")
        }
    };
    Err(Error::NotEnabled {
        name: name.to_string(),
        after,
        source: Box::new(source),
    })
}

/// A plugin's name in the engine, as `--alias` and `plugin push` take
/// it: normalised by the tagging component with the default tag, as
/// docker takes it; a name with a digest is refused.
pub fn plugin_name(tagging: &Tagging, name: &str) -> Result<Reference, Error> {
    let reference = tagging.normalize_with_default_tag(name)?;
    if reference.digest.is_some() {
        return Err(Error::PluginNameWithDigest {
            name: name.to_string(),
        });
    }
    Ok(reference)
}

/// What the engine is given for a plugin a person named by name or ID
/// prefix: the tagging component decides (Go `ParseAnyReference`), so a
/// malformed name is refused before the engine sees it. A name goes in its
/// familiar form, which the engine normalises back (adding `latest`); an
/// ID goes as the bare hex the engine keys plugins by.
pub fn plugin_engine_name(tagging: &Tagging, input: &str) -> Result<String, Error> {
    Ok(match tagging.parse_any_reference(input)? {
        AnyReference::Id(digest) => digest.encoded().to_string(),
        AnyReference::Named(reference) => reference.familiar,
    })
}

/// `name: [value ...]` for each privilege, comma-separated: how an error
/// names the privileges it is about.
pub(super) fn listed(privileges: &[Privilege]) -> String {
    privileges
        .iter()
        .map(Privilege::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `--grant` argument that grants `privileges`: their distinct names,
/// comma-separated, in their order, quoted for a shell when a name holds
/// a space.
pub(super) fn grant_argument(privileges: &[Privilege]) -> String {
    let mut seen = BTreeSet::new();
    let names = privileges
        .iter()
        .filter(|p| seen.insert(p.name.as_str()))
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(",");
    if names.contains(' ') {
        format!("'{names}'")
    } else {
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn privilege(name: &str, value: &[&str]) -> Privilege {
        Privilege {
            name: name.to_string(),
            description: format!("about {name}"),
            value: value.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn names(names: &[&str]) -> Grants {
        Grants::Names(names.iter().map(|n| n.to_string()).collect())
    }

    fn with_privileges(test: impl FnOnce(&Privileges)) {
        use crate::runtime::{Components, Limits, Runtime, Source};
        let runtime = std::sync::Arc::new(Runtime::new(Limits::default(), None).unwrap());
        let components = Components::new(runtime, |_| Source::Builtin);
        test(components.get::<Privileges>().unwrap());
    }

    #[test]
    fn the_component_judges_each_privilege_and_every_one_is_kept_in_order() {
        with_privileges(|privileges| {
            let asked = vec![
                privilege("network", &["host"]),
                privilege("mount", &["/var/lib/x"]),
                privilege("mount", &["/"]),
                privilege("capabilities", &["CAP_SYS_ADMIN"]),
            ];
            let judged = judge(privileges, asked.clone(), &names(&["mount", "network"])).unwrap();
            let granted: Vec<bool> = judged.iter().map(|a| a.granted).collect();
            assert_eq!(granted, [true, true, true, false]);
            let order: Vec<_> = judged.into_iter().map(|a| a.privilege).collect();
            assert_eq!(order, asked, "judging keeps every privilege, in order");
            let third_party = vec![privilege("a-third-party-kind", &["x"])];
            assert!(judge(privileges, third_party.clone(), &Grants::All).unwrap()[0].granted);
            let known = names(&crate::model::PRIVILEGE_NAMES);
            assert!(!judge(privileges, third_party, &known).unwrap()[0].granted);
            assert!(
                judge(privileges, Vec::new(), &names(&[]))
                    .unwrap()
                    .is_empty()
            );
        });
    }

    #[test]
    fn errors_list_each_privilege_and_each_name_once() {
        let missing = [
            privilege("mount", &["/a"]),
            privilege("mount", &["/b"]),
            privilege("capabilities", &["CAP_A", "CAP_B"]),
        ];
        assert_eq!(
            listed(&missing),
            "mount: [/a], mount: [/b], capabilities: [CAP_A CAP_B]"
        );
        assert_eq!(grant_argument(&missing), "mount,capabilities");
        let namespaces = [
            privilege("host ipc namespace", &["true"]),
            privilege("network", &["host"]),
        ];
        assert_eq!(grant_argument(&namespaces), "'host ipc namespace,network'");
    }
}
