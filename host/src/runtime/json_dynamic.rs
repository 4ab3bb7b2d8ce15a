//! Test-only: a built-in component called with dynamic values, for the
//! tests of [`super`] and of `crate::conformance` until the runtime calls
//! components by name itself (`Components::call_values`).

use super::super::sandbox::Sandbox;
use super::super::{Limits, Runtime, WIT_PACKAGE, builtin};
use super::{FunctionInfo, functions};
use crate::runtime::operations::Declaration;
use std::sync::Arc;
use wasmtime::Store;
use wasmtime::component::{Component, InstancePre, Val};

/// A built-in component, pre-instantiated, with its functions' types.
pub(crate) struct Dynamic {
    runtime: Arc<Runtime>,
    pre: InstancePre<Sandbox>,
    /// Each function, with the full name of its interface.
    pub(crate) functions: Vec<(String, FunctionInfo)>,
}

impl Dynamic {
    /// `operation`'s built-in component.
    pub(crate) fn builtin(operation: &Declaration) -> Self {
        let runtime = Arc::new(Runtime::new(Limits::default(), None).unwrap());
        let component = Component::new(&runtime.engine, builtin::component(operation)).unwrap();
        let pre = runtime.linker.instantiate_pre(&component).unwrap();
        let functions = functions(&runtime.engine, &component, WIT_PACKAGE);
        Self {
            runtime,
            pre,
            functions,
        }
    }

    /// The functions, without their interfaces' full names.
    pub(crate) fn infos(&self) -> Vec<FunctionInfo> {
        self.functions.iter().map(|(_, f)| f.clone()).collect()
    }

    /// Calls `interface.function` with `params` in a fresh instance.
    pub(crate) fn call(
        &self,
        interface: &str,
        function: &str,
        params: &[Val],
    ) -> Result<Vec<Val>, String> {
        let (export, info) = self
            .functions
            .iter()
            .find(|(_, f)| f.interface == interface && f.name == function)
            .ok_or_else(|| format!("no function {interface}.{function}"))?;
        let mut store = Store::new(&self.runtime.engine, Sandbox::new(&Limits::default()));
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| e.to_string())?;
        let iface = instance
            .get_export_index(&mut store, None, export)
            .ok_or("no interface")?;
        let index = instance
            .get_export_index(&mut store, Some(&iface), function)
            .ok_or("no function")?;
        let func = instance
            .get_func(&mut store, index)
            .ok_or("not a function")?;
        let mut results = vec![Val::Bool(false); info.results.len()];
        func.call(&mut store, params, &mut results)
            .map_err(|e| format!("{e:#}"))?;
        Ok(results)
    }
}
