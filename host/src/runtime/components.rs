//! The registry of loaded components: for each operation of the table,
//! where its components come from (a chain: the files the user gave,
//! outermost first, then the built-in), and the outermost component
//! itself, loaded once, when a command first asks for it. A component
//! that imports its own world delegates to the next of its chain
//! (`runtime::delegation`).
//!
//! Every command gets its components here, so `--component` is honoured
//! the same way everywhere and a new table entry has its slot without an
//! edit: the slots are the table's entries, in its order.
//!
//! Must not: fetch a component (a `docker://` one is fetched into a file
//! before the registry is made), or list operations by hand.

use super::bound::Loaded;
use super::operations::{ALL, Declaration};
use super::{Error, FunctionInfo, Operation, Runtime, Source};
use std::any::Any;
use std::sync::{Arc, OnceLock};
use wasmtime::component::Val;

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

/// Where one operation's components come from, and the outermost once
/// loaded: as a layer, and as its wrapper (`Box<O>`).
struct Slot {
    operation: &'static Declaration,
    /// Outermost first; never empty.
    chain: Vec<Source>,
    layer: OnceLock<Loaded>,
    wrapper: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl Components {
    /// The component `source` names for each operation of the table,
    /// loaded into `runtime` when first asked for.
    pub fn new(runtime: Arc<Runtime>, source: impl Fn(&Declaration) -> Source) -> Self {
        Self::chained(runtime, |operation| vec![source(operation)])
    }

    /// The components `chain` names for each operation of the table,
    /// outermost first (an empty chain is the built-in): each one that
    /// delegates runs over the next, the last over the built-in.
    pub fn chained(runtime: Arc<Runtime>, chain: impl Fn(&Declaration) -> Vec<Source>) -> Self {
        let slots = ALL
            .iter()
            .map(|operation| {
                let mut chain = chain(operation);
                if chain.is_empty() {
                    chain.push(Source::Builtin);
                }
                Slot {
                    operation,
                    chain,
                    layer: OnceLock::new(),
                    wrapper: OnceLock::new(),
                }
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

    /// Where `operation`'s outermost component comes from.
    pub fn source(&self, operation: &Declaration) -> &Source {
        &self.slot(operation).chain[0]
    }

    /// Where each of `operation`'s components comes from, outermost first
    /// (the built-in under the last is implied).
    pub fn chain(&self, operation: &Declaration) -> &[Source] {
        &self.slot(operation).chain
    }

    /// Operation `O`'s component, loaded on the first call (a component
    /// that implements no spoken version of `O`'s world is refused then,
    /// before any call of it).
    pub fn get<O: Operation>(&self) -> Result<&O, Error> {
        let slot = self.slot(O::DECLARATION);
        if slot.wrapper.get().is_none() {
            let wrapper = O::bind(self.runtime.clone(), self.layer(O::DECLARATION)?.clone())?;
            // Another thread may have bound it meanwhile: either is fine.
            let _ = slot.wrapper.set(Box::new(wrapper));
        }
        let wrapper = slot.wrapper.get().expect("bound above");
        Ok(wrapper
            .downcast_ref::<O>()
            .expect("a slot holds the wrapper of its own operation"))
    }

    /// The version of its world `operation`'s outermost component
    /// implements, e.g. `0.1.0`.
    pub fn version(&self, operation: &Declaration) -> Result<&str, Error> {
        Ok(self.layer(operation)?.version.exact())
    }

    /// The functions of `operation`'s world its outermost component
    /// exports, with their types: what [`Self::call_values`] can call.
    pub fn functions(&self, operation: &Declaration) -> Result<Vec<FunctionInfo>, Error> {
        Ok(self.runtime.functions(self.layer(operation)?))
    }

    /// Calls `function` of `interface` (e.g. `naming`,
    /// `parse-normalized-named`) of `operation`'s outermost component with
    /// `params`, through its chain and under the limits. Values are not
    /// checked beyond their types: the wrappers are the checked calls.
    pub fn call_values(
        &self,
        operation: &Declaration,
        interface: &str,
        function: &str,
        params: &[Val],
    ) -> Result<Vec<Val>, Error> {
        self.runtime
            .call_values(self.layer(operation)?, interface, function, params)
    }

    /// `operation`'s outermost component, loaded with its chain on the
    /// first call.
    fn layer(&self, operation: &Declaration) -> Result<&Loaded, Error> {
        let slot = self.slot(operation);
        if slot.layer.get().is_none() {
            let loaded = self.runtime.load_layer(slot.operation, &slot.chain)?;
            // Another thread may have loaded it meanwhile: either is fine.
            let _ = slot.layer.set(loaded);
        }
        Ok(slot.layer.get().expect("loaded above"))
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
