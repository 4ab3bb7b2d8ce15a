//! `ocipipe image push`: the engine pushes an image it holds, with the
//! credentials the registry module finds for its registry (the Docker
//! config, credential helpers), as buf's plugin client does it.

use super::Error;
use crate::docker::{Engine, Pushed, RegistryAuth};
use crate::model::{Progress, Reference};
use crate::registry::{Credential, CredentialStore, credential_key};

/// Has the engine push `reference` (normalised, with a tag); the digest
/// the registry gave the manifest.
pub fn push_through_engine(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    credentials: &CredentialStore,
    reference: &Reference,
    progress: &dyn Progress,
) -> Result<Pushed, Error> {
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
    let tag = reference.tag.as_deref().unwrap_or("latest");
    progress.start(&format!("push {}", reference.familiar), None);
    let mut shown = 0;
    let pushed = runtime.block_on(engine.push(&reference.name, tag, &auth, &mut |sent| {
        progress.advance(sent.saturating_sub(shown));
        shown = shown.max(sent);
    }))?;
    progress.finish();
    Ok(pushed)
}
