//! Calls with dynamic values: the one place a function named at run time
//! is called, with `wasmtime::component::Val`s. Delegation answers a
//! component's imports through it, and [`super::Components::call_values`]
//! offers it to the commands that let a person call a function
//! (`component call`, `component test`). The function is looked up under
//! the component's version, as typed calls are, and runs under the same
//! limits, in a fresh instance.
//!
//! Must not: convert values; a caller builds them from the types
//! [`functions`] gives.

use super::bound::{Loaded, OutOfStep};
use super::{Error, Runtime};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Type, Val};

/// One function of a world, as a component exports it.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    /// Its interface, e.g. `naming`.
    pub interface: String,
    /// Its name in WIT, e.g. `parse-normalized-named`.
    pub name: String,
    /// Its parameters, by name, with their types.
    pub params: Vec<(String, Type)>,
    /// The types of its results (one, or none).
    pub results: Vec<Type>,
}

impl FunctionInfo {
    /// `IFACE.FUNCTION`, e.g. `naming.parse`: how the command line and the
    /// conformance vectors name it.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.interface, self.name)
    }
}

impl Runtime {
    /// Calls `function` of `interface` of `loaded` with `params`, in a
    /// fresh instance under the limits.
    pub(super) fn call_values(
        &self,
        loaded: &Loaded,
        interface: &str,
        function: &str,
        params: &[Val],
    ) -> Result<Vec<Val>, Error> {
        let index = loaded.export(interface, function)?;
        self.run(loaded, function, |store| {
            let instance = loaded.pre.instantiate(&mut *store)?;
            let func = instance.get_func(&mut *store, index).ok_or_else(|| {
                wasmtime::Error::new(OutOfStep(format!("{function} is not a function")))
            })?;
            let ty = func.ty(&*store);
            if ty.params().len() != params.len() {
                return Err(wasmtime::Error::new(OutOfStep(format!(
                    "{function} takes {} parameters, given {}",
                    ty.params().len(),
                    params.len()
                ))));
            }
            let mut results = vec![Val::Bool(false); ty.results().len()];
            func.call(&mut *store, params, &mut results)?;
            Ok(results)
        })
    }

    /// Every function `loaded` exports of its world's interfaces, in the
    /// world's order of interfaces and the component's order of functions.
    pub(super) fn functions(&self, loaded: &Loaded) -> Vec<FunctionInfo> {
        let ty = loaded.pre.component().component_type();
        let mut functions = Vec::new();
        for interface in loaded.version.interfaces(loaded.world) {
            let name = loaded.version.interface_name(interface);
            let Some(ComponentItem::ComponentInstance(instance)) =
                ty.get_export(&self.engine, &name).map(|e| e.ty)
            else {
                continue;
            };
            for (function, item) in instance.exports(&self.engine) {
                if let ComponentItem::ComponentFunc(func) = item.ty {
                    functions.push(FunctionInfo {
                        interface: interface.to_string(),
                        name: function.to_string(),
                        params: func.params().map(|(n, t)| (n.to_string(), t)).collect(),
                        results: func.results().collect(),
                    });
                }
            }
        }
        functions
    }
}
