//! What an answer of the `tar-assembly` world must be given its question:
//! a blob placed as `stored` was written there, one omission flag per
//! layer, and a changeset in tar order.

use super::Origin;
use crate::model::{BlobPlacement, Change, Digest, WrittenBlob};
use crate::runtime::Error;

/// What `blob-entry` was asked: the answer is checked against it.
pub(in crate::runtime) struct BlobRequest<'a> {
    /// The blob's digest, when known.
    pub digest: Option<&'a Digest>,
    /// The blobs already written.
    pub written: &'a [WrittenBlob],
}

/// Where a component placed a blob: `stored` must name a blob of the same
/// digest at the path it was `written` to (else the host would drop bytes
/// that are nowhere else).
pub(in crate::runtime) fn placement(
    at: Origin<'_>,
    request: &BlobRequest<'_>,
    placement: BlobPlacement,
) -> Result<BlobPlacement, Error> {
    match &placement {
        BlobPlacement::Stored(path) => {
            let Some(digest) = request.digest else {
                return Err(at.contract(format!(
                    "answered `stored` at {path:?} for a blob whose digest it was not given"
                )));
            };
            if !request
                .written
                .iter()
                .any(|w| &w.digest == digest && &w.path == path)
            {
                return Err(at.contract(format!(
                    "answered `stored` at {path:?}, but no blob {digest} was written there"
                )));
            }
        }
        BlobPlacement::Write(_) => {}
    }
    Ok(placement)
}

/// The layers an incremental load may omit: one flag per layer.
pub(in crate::runtime) fn omissions(
    at: Origin<'_>,
    layers: usize,
    flags: Vec<bool>,
) -> Result<Vec<bool>, Error> {
    if flags.len() != layers {
        return Err(at.contract(format!(
            "answered {} flags for {layers} layers",
            flags.len()
        )));
    }
    Ok(flags)
}

/// A layer's changeset, against the contract of `plan-changeset`: every
/// removal before the first `apply`, and `apply` indices below `members`
/// and strictly increasing (tar order, each member at most once).
pub(in crate::runtime) fn changeset(
    at: Origin<'_>,
    members: usize,
    changes: Vec<Change>,
) -> Result<Vec<Change>, Error> {
    let mut last_applied: Option<u32> = None;
    for (i, change) in changes.iter().enumerate() {
        match change {
            Change::Remove(path) | Change::ClearDirectory(path) if last_applied.is_some() => {
                return Err(at.contract(format!(
                    "change {i} removes {:?} after a member was applied",
                    String::from_utf8_lossy(path)
                )));
            }
            Change::Remove(_) | Change::ClearDirectory(_) => {}
            &Change::Apply(index) => {
                if usize::try_from(index).map_or(true, |n| n >= members) {
                    return Err(
                        at.contract(format!("change {i} applies member {index} of {members}"))
                    );
                }
                if last_applied.is_some_and(|last| index <= last) {
                    return Err(at.contract(format!(
                        "change {i} applies member {index} out of tar order"
                    )));
                }
                last_applied = Some(index);
            }
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Origin<'static> = Origin {
        component: "tar-assembly (built-in)",
        function: "plan-changeset",
    };

    fn contract_message(e: Error) -> String {
        match e {
            Error::Contract {
                component,
                function,
                message,
            } => {
                assert_eq!(component, "tar-assembly (built-in)");
                assert_eq!(function, "plan-changeset");
                message
            }
            other => panic!("expected a broken contract, got {other:?}"),
        }
    }

    #[test]
    fn a_changeset_that_keeps_the_contract_is_taken() {
        let changes = vec![
            Change::Remove(b"etc/old".to_vec()),
            Change::ClearDirectory(b"var".to_vec()),
            Change::Apply(0),
            Change::Apply(2),
        ];
        assert_eq!(changeset(AT, 3, changes.clone()).unwrap(), changes);
    }

    #[test]
    fn a_changeset_applying_a_member_out_of_range_breaks_the_contract() {
        let e = changeset(AT, 2, vec![Change::Apply(2)]).unwrap_err();
        assert!(contract_message(e).contains("member 2 of 2"));
    }

    #[test]
    fn a_changeset_applying_out_of_order_or_twice_breaks_the_contract() {
        for second in [0, 1] {
            let e = changeset(AT, 3, vec![Change::Apply(1), Change::Apply(second)]).unwrap_err();
            assert!(contract_message(e).contains("out of tar order"));
        }
    }

    #[test]
    fn a_changeset_removing_after_an_apply_breaks_the_contract() {
        for late in [
            Change::Remove(b"a".to_vec()),
            Change::ClearDirectory(b"b".to_vec()),
        ] {
            let e = changeset(AT, 1, vec![Change::Apply(0), late]).unwrap_err();
            assert!(contract_message(e).contains("after a member was applied"));
        }
    }

    #[test]
    fn omissions_of_the_wrong_length_break_the_contract() {
        assert_eq!(omissions(AT, 2, vec![true, false]).unwrap(), [true, false]);
        let e = omissions(AT, 2, vec![true]).unwrap_err();
        assert!(contract_message(e).contains("1 flags for 2 layers"));
    }

    fn digest(byte: u8) -> Digest {
        Digest::from_sha256([byte; 32])
    }

    #[test]
    fn stored_must_name_a_written_blob_of_that_digest() {
        let (one, two) = (digest(1), digest(2));
        let written = [WrittenBlob {
            digest: one.clone(),
            path: "blobs/sha256/0101".into(),
        }];
        let stored = || BlobPlacement::Stored("blobs/sha256/0101".into());
        for (given, keeps) in [(Some(&one), true), (Some(&two), false), (None, false)] {
            let request = BlobRequest {
                digest: given,
                written: &written,
            };
            match placement(AT, &request, stored()) {
                Ok(placed) if keeps => assert_eq!(placed, stored()),
                Err(Error::Contract { .. }) if !keeps => {}
                other => panic!("{given:?}: {other:?}"),
            }
        }
    }
}
