//! `ocipipe image push` and `plugin push`: the engine pushes an image or
//! a plugin it holds, with the credentials the registry module finds for
//! its registry (the Docker config, credential helpers), as buf's plugin
//! client does it.

use super::Error;
use super::tag::tag_of;
use crate::docker::{Engine, Pushed, RegistryAuth};
use crate::model::{Progress, Reference};
use crate::registry::{Credential, CredentialStore, credential_key};

/// What the engine is to push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnginePush {
    /// An image.
    Image,
    /// A managed plugin.
    Plugin,
}

/// Has the engine push `reference` (normalised, with a tag); the digest
/// the registry gave the manifest.
pub fn push_through_engine(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    credentials: &CredentialStore,
    reference: &Reference,
    what: EnginePush,
    progress: &dyn Progress,
) -> Result<Pushed, Error> {
    let auth = engine_auth(credentials, reference)?;
    let tag = tag_of(reference)?;
    let task = match what {
        EnginePush::Image => format!("push {}", reference.familiar),
        EnginePush::Plugin => format!("push plugin {}", reference.familiar),
    };
    progress.start(&task, None);
    let mut advance = reported(progress);
    let pushed = runtime.block_on(async {
        match what {
            EnginePush::Image => engine.push(&reference.name, tag, &auth, &mut advance).await,
            EnginePush::Plugin => {
                engine
                    .push_plugin(&reference.familiar, tag, &auth, &mut advance)
                    .await
            }
        }
    })?;
    progress.finish();
    Ok(pushed)
}

/// The credentials of the Docker config for `reference`'s registry, as
/// the engine takes them (`X-Registry-Auth`).
pub(super) fn engine_auth(
    credentials: &CredentialStore,
    reference: &Reference,
) -> Result<RegistryAuth, Error> {
    let server = credential_key(&reference.domain);
    let mut auth = match credentials.lookup(server)? {
        Credential::Anonymous => RegistryAuth::default(),
        Credential::Basic { username, password } => RegistryAuth {
            username: Some(username),
            password: Some(password),
            ..RegistryAuth::default()
        },
        Credential::IdentityToken(token) => RegistryAuth {
            identitytoken: Some(token),
            ..RegistryAuth::default()
        },
    };
    auth.serveraddress = Some(server.to_string());
    Ok(auth)
}

/// What to call with the running totals an engine's stream reports: each
/// call advances `progress` by what is new.
pub(super) fn reported(progress: &dyn Progress) -> impl FnMut(u64) + Send + '_ {
    let mut shown = 0;
    move |total: u64| {
        progress.advance(total.saturating_sub(shown));
        shown = shown.max(total);
    }
}
