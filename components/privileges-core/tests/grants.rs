//! `judge_privileges`: which privileges asked for a person's grants cover.

use privileges_core::{Grants, Privilege, compute_privileges, judge_privileges};

fn privilege(name: &str, value: &[&str]) -> Privilege {
    Privilege {
        name: name.into(),
        description: format!("about {name}"),
        value: value.iter().map(|v| v.to_string()).collect(),
    }
}

fn names(names: &[&str]) -> Grants {
    Grants::Names(names.iter().map(|n| n.to_string()).collect())
}

#[test]
fn a_name_grants_every_privilege_of_that_name_whatever_its_value() {
    let asked = [
        privilege("network", &["host"]),
        privilege("mount", &["/var/lib/x"]),
        privilege("mount", &["/"]),
        privilege("capabilities", &["CAP_SYS_ADMIN"]),
    ];
    assert_eq!(
        judge_privileges(&asked, &names(&["mount", "network"])),
        [true, true, true, false]
    );
}

#[test]
fn grant_all_grants_names_no_list_knows() {
    let asked = [privilege("a-third-party-kind", &["x"])];
    assert_eq!(judge_privileges(&asked, &Grants::All), [true]);
    let known = names(&[
        "network",
        "host ipc namespace",
        "host pid namespace",
        "mount",
        "device",
        "allow-all-devices",
        "capabilities",
    ]);
    assert_eq!(judge_privileges(&asked, &known), [false]);
}

#[test]
fn names_compare_exactly() {
    let asked = [privilege("host ipc namespace", &["true"])];
    assert_eq!(judge_privileges(&asked, &names(&["host ipc"])), [false]);
    assert_eq!(
        judge_privileges(&asked, &names(&["Host IPC Namespace"])),
        [false]
    );
    assert_eq!(
        judge_privileges(&asked, &names(&["host ipc namespace"])),
        [true]
    );
}

#[test]
fn nothing_asked_needs_no_grant_and_no_grant_grants_nothing() {
    assert!(judge_privileges(&[], &names(&[])).is_empty());
    let asked = compute_privileges(r#"{"Network":{"Type":"host"},"IpcHost":true}"#).unwrap();
    assert_eq!(judge_privileges(&asked, &names(&[])), [false, false]);
    assert_eq!(
        judge_privileges(&asked, &names(&["network"])),
        [true, false]
    );
}
