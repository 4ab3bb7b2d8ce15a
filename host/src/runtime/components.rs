//! The registry of loaded components: for each operation of the table,
//! where its component comes from (built-in, or a file the user gave), and
//! the component itself, loaded once, when a command first asks for it.
//!
//! Every command gets its components here, so `--component` is honoured
//! the same way everywhere and a new table entry has its slot without an
//! edit: the slots are the table's entries, in its order.
//!
//! Must not: fetch a component (a `docker://` one is fetched into a file
//! before the registry is made), or list operations by hand.

use super::operations::{ALL, Declaration};
use super::{Error, Operation, Runtime, Source};
use std::any::Any;
use std::sync::{Arc, OnceLock};

/// The components of one command: one slot per operation of the table,
/// each loaded at most once.
///
/// ```no_run
/// use ocipipe::runtime::{Components, Limits, Runtime, Tagging};
/// use std::sync::Arc;
///
/// let runtime = Arc::new(Runtime::new(Limits::default(), None)?);
/// let components = Components::builtin(runtime);
/// let ubuntu = components.get::<Tagging>()?.parse_normalized_named("ubuntu")?;
/// assert_eq!(ubuntu.name, "docker.io/library/ubuntu");
/// # Ok::<(), anyhow::Error>(())
/// ```
pub struct Components {
    runtime: Arc<Runtime>,
    /// One per entry of [`ALL`], in its order.
    slots: Vec<Slot>,
}

/// Where one operation's component comes from, and the component once
/// loaded (its wrapper, as `Box<O>`).
struct Slot {
    source: Source,
    loaded: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl Components {
    /// The components `source` names for each operation of the table,
    /// loaded into `runtime` when first asked for.
    pub fn new(runtime: Arc<Runtime>, source: impl Fn(&Declaration) -> Source) -> Self {
        let slots = ALL
            .iter()
            .map(|operation| Slot {
                source: source(operation),
                loaded: OnceLock::new(),
            })
            .collect();
        Self { runtime, slots }
    }

    /// Every operation's built-in component, whatever the command line
    /// says: for what must not depend on a third-party component (how a
    /// component is fetched).
    pub fn builtin(runtime: Arc<Runtime>) -> Self {
        Self::new(runtime, |_| Source::Builtin)
    }

    /// The runtime the components run in.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Where `operation`'s component comes from.
    pub fn source(&self, operation: &Declaration) -> &Source {
        &self.slot(operation).source
    }

    /// Operation `O`'s component, loaded on the first call (a component
    /// that does not implement `O`'s world is refused then, before any
    /// call of it).
    pub fn get<O: Operation>(&self) -> Result<&O, Error> {
        let slot = self.slot(O::DECLARATION);
        if slot.loaded.get().is_none() {
            let loaded = self.runtime.load::<O>(&slot.source)?;
            // Another thread may have loaded it meanwhile: either is fine.
            let _ = slot.loaded.set(Box::new(loaded));
        }
        let loaded = slot.loaded.get().expect("loaded above");
        Ok(loaded
            .downcast_ref::<O>()
            .expect("a slot holds the wrapper of its own operation"))
    }

    fn slot(&self, operation: &Declaration) -> &Slot {
        let index = ALL
            .iter()
            .position(|o| o == operation)
            .expect("every declaration is an entry of the table");
        &self.slots[index]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Limits, Privileges, Tagging};
    use super::*;
    use std::path::PathBuf;

    fn runtime() -> Arc<Runtime> {
        Arc::new(Runtime::new(Limits::default(), None).unwrap())
    }

    #[test]
    fn each_operation_gets_the_source_named_for_it() {
        let file = PathBuf::from("my-tagging.wasm");
        let components = Components::new(runtime(), |o| {
            if o.name == "tagging" {
                Source::File(file.clone())
            } else {
                Source::Builtin
            }
        });
        assert_eq!(components.source(Tagging::DECLARATION), &Source::File(file));
        assert_eq!(components.source(Privileges::DECLARATION), &Source::Builtin);
    }

    #[test]
    fn a_component_is_loaded_once_and_a_bad_one_only_when_asked_for() {
        let components = Components::new(runtime(), |o| {
            if o.name == "privileges" {
                Source::File(PathBuf::from("/nonexistent/privileges.wasm"))
            } else {
                Source::Builtin
            }
        });
        let first: *const Tagging = components.get::<Tagging>().unwrap();
        let second: *const Tagging = components.get::<Tagging>().unwrap();
        assert_eq!(first, second);
        let refused = components.get::<Privileges>().err().unwrap().to_string();
        assert!(
            refused.starts_with("cannot read component privileges (/nonexistent/"),
            "{refused}"
        );
    }
}
