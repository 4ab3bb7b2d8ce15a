//! The running command's contract, checked at the one place every
//! component call goes through (`bound`): which functions the command
//! declared it may call (`cli::contract` holds the table), and the first
//! call outside them.
//!
//! The check is off unless the command line layer turns it on (it does
//! when `OCIPIPE_CHECK_CONTRACT=1`, as the test suites set it), so the
//! table the documentation is generated from is proven by every test that
//! runs the binary. A call outside the declaration is not stopped: it is
//! remembered, and the command fails when it ends ([`violation`]), so that
//! a caller that turns a component's error into a fallback cannot hide it.
//!
//! Must not: know any command or read the environment.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// One function a command may call: its operation (world), exported
/// interface and name, e.g. (`tagging`, `naming`, `parse`).
pub type Call = (&'static str, &'static str, &'static str);

/// What the running command declared, and what broke it.
struct Declared {
    command: &'static str,
    calls: &'static [Call],
    violation: Option<String>,
}

/// Whether a declaration is in force: the fast path of [`note`] when none is.
static CHECKING: AtomicBool = AtomicBool::new(false);

static DECLARED: Mutex<Option<Declared>> = Mutex::new(None);

/// Checks from now on that every call is one of `calls`, the declaration of
/// `command` (e.g. `ref normalize`); replaces an earlier declaration.
pub fn declare(command: &'static str, calls: &'static [Call]) {
    let mut declared = DECLARED.lock().unwrap_or_else(|p| p.into_inner());
    let violation = declared.take().and_then(|d| d.violation);
    *declared = Some(Declared {
        command,
        calls,
        violation,
    });
    CHECKING.store(true, Ordering::Release);
}

/// Notes a call of `interface.function` of `operation`'s component: one
/// the declaration lacks is remembered as the violation.
pub(super) fn note(operation: &str, interface: &str, function: &str) {
    if !CHECKING.load(Ordering::Acquire) {
        return;
    }
    let mut declared = DECLARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(declared) = declared.as_mut() {
        declared.note((operation, interface, function));
    }
}

impl Declared {
    fn note(&mut self, (operation, interface, function): (&str, &str, &str)) {
        let listed = self
            .calls
            .iter()
            .any(|&(o, i, f)| o == operation && i == interface && f == function);
        if !listed && self.violation.is_none() {
            self.violation = Some(format!(
                "ocipipe bug: `{}` called {operation} {interface}.{function}, which its \
                 contract (docs/contract.md) does not list; please report it",
                self.command
            ));
        }
    }
}

/// The first call outside the declaration, as a one-line message naming
/// the command, the operation and the function; `None` when every call
/// was declared (or nothing is checked).
pub fn violation() -> Option<String> {
    let declared = DECLARED.lock().unwrap_or_else(|p| p.into_inner());
    declared.as_ref().and_then(|d| d.violation.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_outside_the_declaration_is_the_violation_named() {
        // A declaration of its own: the process's is the CLI's.
        let mut declared = Declared {
            command: "ref normalize",
            calls: &[("tagging", "naming", "parse-normalized-named")],
            violation: None,
        };
        declared.note(("tagging", "naming", "parse-normalized-named"));
        assert_eq!(declared.violation, None);
        declared.note(("tagging", "naming", "unique-tag"));
        declared.note(("privileges", "plugins", "compute-privileges"));
        let said = declared.violation.unwrap();
        assert!(
            said.starts_with("ocipipe bug: `ref normalize` called tagging naming.unique-tag,"),
            "the first is kept: {said}"
        );
        assert!(!said.contains('\n'));
    }
}
