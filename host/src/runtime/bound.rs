//! A loaded component bound to its operation's world: what every wrapper
//! holds, and the one way a wrapper calls a function (fresh instance,
//! limits, `model` types in and out, refusals, answers checked by
//! `checked`). A function is looked up when it is called, under the
//! version the component implements (`versions`): one the component lacks
//! fails that call only, naming it.
//!
//! Must not: know any particular operation; wrappers opt in with
//! [`bind!`].

use super::bindings::types;
use super::checked::{Checked, Origin};
use super::versions::{self, Version};
use super::{CacheOutcome, Error, Runtime, Sandbox, WIT_PACKAGE};
use std::sync::{Arc, Mutex};
use wasmtime::component::{ComponentExportIndex, ComponentNamedList, InstancePre, Lift, Lower};

/// A component compiled and pre-instantiated (its imports linked: WASI,
/// and the next layer when it delegates), not yet bound to a wrapper.
#[derive(Clone)]
pub struct Loaded {
    /// The component as errors name it: `tagging (built-in)`,
    /// `tagging (./my.wasm)`.
    pub(super) name: String,
    /// The world it was loaded for.
    pub(super) world: &'static str,
    /// The version of the world it implements.
    pub(super) version: Version,
    pub(super) pre: InstancePre<Sandbox>,
    /// Instances a call holds at most: this one and those of the layers
    /// under it.
    pub(super) layers: u32,
    /// What the compile cache did; `None` without a cache.
    pub(super) cache: Option<CacheOutcome>,
    /// Functions found so far, by `(interface, function)`: a lookup by
    /// name costs a call a few hundred nanoseconds.
    pub(super) found: Arc<Mutex<Vec<Found>>>,
}

/// `(interface, function, index)` of a function a component exports.
pub(super) type Found = (String, String, ComponentExportIndex);

/// The private half of [`super::Operation`]: how a wrapper is made from a
/// loaded component. Public in a private module, so only this crate can
/// implement it.
pub trait Bind: Sized {
    /// Binds `loaded` to the wrapper's world.
    fn bind(runtime: Arc<Runtime>, loaded: Loaded) -> Result<Self, Error>;

    /// The loaded component.
    fn loaded(&self) -> &Loaded;
}

impl Loaded {
    /// Where the component exports `function` of `interface` (named as
    /// the latest version names them), under its own version; a function
    /// it lacks is [`Error::Missing`].
    pub(super) fn export(
        &self,
        interface: &str,
        function: &str,
    ) -> Result<ComponentExportIndex, Error> {
        let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, index)) = found
            .iter()
            .find(|(i, f, _)| i == interface && f == function)
        {
            return Ok(*index);
        }
        let index = self.look_up(interface, function)?;
        found.push((interface.to_string(), function.to_string(), index));
        Ok(index)
    }

    fn look_up(&self, interface: &str, function: &str) -> Result<ComponentExportIndex, Error> {
        let exported = self.version.interface_name(interface);
        let name = versions::function_name(&self.version, interface, function);
        let component = self.pre.component();
        component
            .get_export_index(None, &exported)
            .and_then(|instance| component.get_export_index(Some(&instance), name))
            .ok_or_else(|| Error::Missing {
                component: self.name.clone(),
                function: function.to_string(),
                interface: format!("{WIT_PACKAGE}/{interface}"),
                version: self.version.exact().to_string(),
            })
    }
}

/// A component bound to its operation's world: it exports every interface
/// of the world at the version it was loaded as; its functions are looked
/// up, and their types checked, when called.
pub(super) struct Bound {
    runtime: Arc<Runtime>,
    pub(super) loaded: Loaded,
}

/// Which function: its exported interface and its name in WIT, e.g.
/// (`plugins`, `compute-privileges`).
pub(super) type Function = (&'static str, &'static str);

impl Bound {
    /// Binds `loaded`, which the runtime loaded for the wrapper's world.
    pub(super) fn new(runtime: Arc<Runtime>, loaded: Loaded) -> Self {
        Self { runtime, loaded }
    }

    /// Calls `function`, which answers `result<T, error>`, on a fresh
    /// instance with `params`. `Params` and `T` are the `model` types of the
    /// WIT's records: wasmtime checks them against the WIT when the function
    /// is looked up, so a type out of step fails the call, naming it. A
    /// WIT `error` becomes [`Error::Refused`]; a value goes through
    /// `convert` (a check against the question from `checked`, or
    /// [`super::checked::as_is`]), then through [`Checked::check`].
    pub(super) fn answer<Params, T, U>(
        &self,
        function: Function,
        params: Params,
        convert: impl FnOnce(Origin<'_>, T) -> Result<U, Error>,
    ) -> Result<U, Error>
    where
        Params: ComponentNamedList + Lower,
        T: Lift + 'static,
        U: Checked,
    {
        let (answer,) = self.call::<Params, (Result<T, types::Error>,)>(function, params)?;
        let at = Origin::new(&self.loaded.name, function.1);
        let answer = convert(at, answer.map_err(|e| at.refused(e))?)?;
        answer.check(at)?;
        Ok(answer)
    }

    /// [`Self::answer`] for a function that cannot refuse.
    pub(super) fn answer_plain<Params, T, U>(
        &self,
        function: Function,
        params: Params,
        convert: impl FnOnce(Origin<'_>, T) -> Result<U, Error>,
    ) -> Result<U, Error>
    where
        Params: ComponentNamedList + Lower,
        T: Lift + 'static,
        U: Checked,
    {
        let (answer,) = self.call::<Params, (T,)>(function, params)?;
        let at = Origin::new(&self.loaded.name, function.1);
        let answer = convert(at, answer)?;
        answer.check(at)?;
        Ok(answer)
    }

    /// Calls `function` with `params` in a fresh instance, under the
    /// limits.
    fn call<Params, Results>(
        &self,
        (interface, function): Function,
        params: Params,
    ) -> Result<Results, Error>
    where
        Params: ComponentNamedList + Lower,
        Results: ComponentNamedList + Lift + 'static,
    {
        super::contract::note(self.loaded.world, interface, function);
        let index = self.loaded.export(interface, function)?;
        self.runtime.run(&self.loaded, function, |store| {
            let instance = self.loaded.pre.instantiate(&mut *store)?;
            let typed = instance
                .get_typed_func::<Params, Results>(&mut *store, &index)
                .map_err(|e| wasmtime::Error::new(OutOfStep(format!("{function}: {e:#}"))))?;
            typed.call(store, params)
        })
    }
}

/// The host's `model` types for a function's parameters or answer do not
/// match the WIT the component was bound with: a host defect, reported
/// as the component not fitting its world rather than as a crash.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct OutOfStep(pub(super) String);

/// Makes the wrapper `$wrapper(Bound)` the [`super::Operation`] declared
/// by `$declaration` in the table.
macro_rules! bind {
    ($wrapper:ident, $declaration:path) => {
        impl super::Operation for $wrapper {
            const DECLARATION: &'static super::Declaration = &$declaration;
        }

        impl super::bound::Bind for $wrapper {
            fn bind(
                runtime: std::sync::Arc<super::Runtime>,
                loaded: super::bound::Loaded,
            ) -> Result<Self, super::Error> {
                Ok(Self(super::bound::Bound::new(runtime, loaded)))
            }

            fn loaded(&self) -> &super::bound::Loaded {
                &self.0.loaded
            }
        }

        #[cfg(test)]
        #[test]
        fn the_operation_is_declared_in_the_table() {
            use super::Operation as _;
            assert!(super::operations::ALL.contains($wrapper::DECLARATION));
        }
    };
}
pub(super) use bind;
