//! Tag filters: allow, deny, semver and latest, each alone and together,
//! versions as tags write them, and every refusal naming its field.

use tagging_core::tag_filter::{NEST_LIMIT, PATTERN_LENGTH_LIMIT};
use tagging_core::{
    FilterError, FilterField, TagFilter, check_tag_filter, select_tags, tag_version,
};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn filter(allow: &[&str], deny: &[&str], semver: Option<&str>, latest: Option<u32>) -> TagFilter {
    TagFilter {
        allow: strings(allow),
        deny: strings(deny),
        semver: semver.map(str::to_string),
        latest,
    }
}

fn every() -> TagFilter {
    filter(&[], &[], None, None)
}

fn select(tags: &[&str], filter: &TagFilter) -> Vec<String> {
    select_tags(&strings(tags), filter).unwrap()
}

/// Tags as an alpine-like repository has them, in the order a registry
/// lists them (lexical).
const ALPINE: &[&str] = &[
    "20240606",
    "3",
    "3.17",
    "3.17.7",
    "3.18",
    "3.18.0",
    "3.18.6",
    "3.19",
    "3.19.0-rc1",
    "3.19.1",
    "3.20",
    "3.20.0_rc2",
    "3.20-rc",
    "3.20.3",
    "3.21.0-rc.1",
    "edge",
    "latest",
    "v3.21",
];

// ------------------------------------------------------------------ the issue's example

#[test]
fn the_issues_example_keeps_the_three_highest_3x_from_3_18_without_rcs() {
    let f = filter(&[r"^3\."], &["-rc"], Some(">=3.18"), Some(3));
    assert_eq!(select(ALPINE, &f), ["3.19.1", "3.20", "3.20.3"]);
}

#[test]
fn the_issues_example_without_latest_keeps_every_3x_from_3_18() {
    let f = filter(&[r"^3\."], &["-rc"], Some(">=3.18"), None);
    assert_eq!(
        select(ALPINE, &f),
        [
            "3.18", "3.18.0", "3.18.6", "3.19", "3.19.1", "3.20", "3.20.3"
        ]
    );
}

// ------------------------------------------------------------------ allow and deny

#[test]
fn an_empty_filter_selects_every_tag_versions_or_not() {
    assert_eq!(select(ALPINE, &every()), strings(ALPINE));
}

#[test]
fn patterns_are_searched_unanchored() {
    assert_eq!(
        select(ALPINE, &filter(&["rc"], &[], None, None)),
        ["3.19.0-rc1", "3.20.0_rc2", "3.20-rc", "3.21.0-rc.1"]
    );
    assert_eq!(
        select(ALPINE, &filter(&["^3.17$"], &[], None, None)),
        ["3.17"]
    );
}

#[test]
fn a_tag_matching_any_allow_pattern_is_allowed() {
    assert_eq!(
        select(ALPINE, &filter(&["^edge$", "^latest$"], &[], None, None)),
        ["edge", "latest"]
    );
}

#[test]
fn a_tag_matching_any_deny_pattern_is_dropped() {
    let f = filter(&[r"^3\.19"], &["rc", r"\.1$"], None, None);
    assert_eq!(select(ALPINE, &f), ["3.19"]);
}

#[test]
fn deny_alone_keeps_everything_else() {
    let f = filter(&[], &[r"^\d", "^v"], None, None);
    assert_eq!(select(ALPINE, &f), ["edge", "latest"]);
}

#[test]
fn classes_and_case_are_ascii_as_in_go() {
    let tags = ["1.2", "ABC", "abc", "x_y"];
    assert_eq!(select(&tags, &filter(&[r"^\d"], &[], None, None)), ["1.2"]);
    assert_eq!(
        select(&tags, &filter(&["(?i)^abc$"], &[], None, None)),
        ["ABC", "abc"]
    );
    assert_eq!(
        select(&tags, &filter(&[r"^\w+$"], &[], None, None)),
        ["ABC", "abc", "x_y"]
    );
    assert_eq!(select(&tags, &filter(&["^.+_."], &[], None, None)), ["x_y"]);
}

#[test]
fn each_pattern_keeps_its_own_flags_and_group_names() {
    let tags = ["ABC", "abc", "X", "x"];
    let f = filter(&["(?i)^abc$", "^x$"], &[], None, None);
    assert_eq!(select(&tags, &f), ["ABC", "abc", "x"]);
    let f = filter(
        &["(?x) ^ a # a comment", "(?P<v>^X)", "(?P<v>^x)"],
        &[],
        None,
        None,
    );
    assert_eq!(select(&tags, &f), ["abc", "X", "x"]);
}

// ------------------------------------------------------------------ semver

#[test]
fn a_range_drops_the_tags_that_are_no_versions() {
    let f = filter(&[], &[], Some(">=3.20"), None);
    assert_eq!(select(ALPINE, &f), ["20240606", "3.20", "3.20.3", "v3.21"]);
}

#[test]
fn a_bare_version_is_a_caret_range() {
    let tags = ["2.9", "3.0", "3.18", "3.99.1", "4.0"];
    assert_eq!(
        select(&tags, &filter(&[], &[], Some("3.18"), None)),
        ["3.18", "3.99.1"]
    );
}

#[test]
fn ranges_with_several_comparators_and_wildcards_work() {
    let tags = ["1.1", "1.2.0", "1.9.9", "2.0.0", "1.4.2", "1.5"];
    assert_eq!(
        select(&tags, &filter(&[], &[], Some(">=1.2, <2"), None)),
        ["1.2.0", "1.9.9", "1.4.2", "1.5"]
    );
    assert_eq!(
        select(&tags, &filter(&[], &[], Some("~1.4"), None)),
        ["1.4.2"]
    );
    assert_eq!(
        select(&tags, &filter(&[], &[], Some("1.*"), None)),
        ["1.1", "1.2.0", "1.9.9", "1.4.2", "1.5"]
    );
}

#[test]
fn a_prerelease_satisfies_only_a_range_that_names_its_version_with_a_prerelease() {
    let tags = ["3.19.0-rc.1", "3.19.0-rc.2", "3.19.0", "3.20.0-beta"];
    assert_eq!(
        select(&tags, &filter(&[], &[], Some(">=3.18"), None)),
        ["3.19.0"]
    );
    assert_eq!(
        select(&tags, &filter(&[], &[], Some(">=3.19.0-rc.2"), None)),
        ["3.19.0-rc.2", "3.19.0"]
    );
}

#[test]
fn a_v_prefix_and_missing_parts_make_versions() {
    let tags = ["v1", "v1.2", "1.2.3", "v1.2.4", "V1.3", "vv1.4", "1.2.3.4"];
    assert_eq!(
        select(&tags, &filter(&[], &[], Some(">=1"), None)),
        ["v1", "v1.2", "1.2.3", "v1.2.4"]
    );
}

// ------------------------------------------------------------------ latest

#[test]
fn latest_keeps_the_highest_versions_in_input_order() {
    let tags = ["1.10.0", "1.9.0", "1.2.0", "2.0.0-rc.1", "1.11.1", "edge"];
    assert_eq!(
        select(&tags, &filter(&[], &[], None, Some(2))),
        ["2.0.0-rc.1", "1.11.1"]
    );
    assert_eq!(
        select(&tags, &filter(&[], &["-"], None, Some(2))),
        ["1.10.0", "1.11.1"]
    );
}

#[test]
fn latest_alone_drops_the_tags_that_are_no_versions() {
    let tags = ["latest", "edge", "1.0", "stable"];
    assert_eq!(select(&tags, &filter(&[], &[], None, Some(5))), ["1.0"]);
}

#[test]
fn latest_larger_than_what_is_left_keeps_it_all() {
    let f = filter(&[r"^3\.17"], &[], None, Some(10));
    assert_eq!(select(ALPINE, &f), ["3.17", "3.17.7"]);
}

#[test]
fn equal_versions_rank_by_their_tag_text_whatever_their_order() {
    let tags = ["3.18", "v3.18.0", "3.18.0", "3.17"];
    let f = filter(&[], &[], None, Some(1));
    assert_eq!(select(&tags, &f), ["v3.18.0"]);
    let f = filter(&[], &[], None, Some(2));
    assert_eq!(select(&tags, &f), ["v3.18.0", "3.18.0"]);
    let reversed: Vec<&str> = tags.iter().rev().copied().collect();
    assert_eq!(select(&reversed, &f), ["3.18.0", "v3.18.0"]);
}

// ------------------------------------------------------------------ input

#[test]
fn a_tag_given_twice_is_selected_once_at_its_first_place() {
    let tags = ["b", "a", "b", "c", "a"];
    assert_eq!(select(&tags, &every()), ["b", "a", "c"]);
    let tags = ["1.0", "2.0", "1.0", "2.0"];
    assert_eq!(
        select(&tags, &filter(&[], &[], None, Some(2))),
        ["1.0", "2.0"]
    );
}

#[test]
fn no_tags_select_nothing() {
    let f = filter(&["x"], &["y"], Some(">=1"), Some(1));
    assert!(select(&[], &f).is_empty());
}

// ------------------------------------------------------------------ versions

#[test]
fn versions_are_read_as_tags_write_them() {
    let v = |t: &str| tag_version(t).map(|v| v.to_string());
    assert_eq!(v("3").as_deref(), Some("3.0.0"));
    assert_eq!(v("3.18").as_deref(), Some("3.18.0"));
    assert_eq!(v("v3.18.4").as_deref(), Some("3.18.4"));
    assert_eq!(v("2024.01.15").as_deref(), Some("2024.1.15"));
    assert_eq!(v("3.19-rc.1").as_deref(), Some("3.19.0-rc.1"));
    assert_eq!(v("1.2.3-alpine+b.7").as_deref(), Some("1.2.3-alpine+b.7"));
    for no in [
        "",
        "v",
        "latest",
        "3.",
        ".3",
        "3..1",
        "1.2.3.4",
        "3.18-",
        "3.18+",
        "3.20.0_rc2",
        "3.x",
        "-1",
        "1.2-rc.01",
        "1.2-rc..1",
        "99999999999999999999",
        "V3",
        "vv3",
    ] {
        assert_eq!(v(no), None, "{no:?} is no version");
    }
}

// ------------------------------------------------------------------ refusals

fn field(e: &FilterError) -> String {
    format!("{:?}", e.field)
}

fn field_of(f: FilterField) -> String {
    format!("{f:?}")
}

fn refused(f: &TagFilter) -> FilterError {
    let checked = check_tag_filter(f).unwrap_err();
    let selected = select_tags(&strings(&["1.0"]), f).unwrap_err();
    assert_eq!(
        format!("{checked:?}"),
        format!("{selected:?}"),
        "check and select refuse alike"
    );
    checked
}

#[test]
fn a_good_filter_passes_the_check() {
    check_tag_filter(&every()).unwrap();
    check_tag_filter(&filter(&[r"^3\."], &["-rc"], Some(">=3.18"), Some(3))).unwrap();
}

#[test]
fn an_allow_pattern_that_does_not_compile_is_named_by_index() {
    let e = refused(&filter(&["ok", "(unclosed"], &[], None, None));
    assert_eq!(field(&e), field_of(FilterField::Allow(1)));
    assert!(e.message.contains("(unclosed"), "{}", e.message);
    assert!(e.message.contains("without closing ')'"), "{}", e.message);
    assert!(!e.message.contains('\n'), "one line: {}", e.message);
}

#[test]
fn a_deny_pattern_that_does_not_compile_is_named_by_index() {
    let e = refused(&filter(&["ok"], &["a", "b", "x{2,1}"], None, None));
    assert_eq!(field(&e), field_of(FilterField::Deny(2)));
    assert!(!e.message.contains('\n'), "one line: {}", e.message);
}

#[test]
fn a_unicode_class_is_refused() {
    let e = refused(&filter(&[r"\p{Greek}"], &[], None, None));
    assert_eq!(field(&e), field_of(FilterField::Allow(0)));
}

#[test]
fn a_pathological_pattern_is_refused_by_the_size_limit() {
    let e = refused(&filter(&[], &["ok", "((a{100}){100}){100}"], None, None));
    assert_eq!(field(&e), field_of(FilterField::Deny(1)));
    assert!(e.message.contains("size limit"), "{}", e.message);
}

#[test]
fn a_pattern_nested_too_deep_is_refused() {
    let nested = |depth: usize| format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
    let depth = NEST_LIMIT as usize;
    assert_eq!(
        select(&["a", "b"], &filter(&[&nested(depth)], &[], None, None)),
        ["a"]
    );
    let e = refused(&filter(&["a"], &[&nested(depth + 1)], None, None));
    assert_eq!(field(&e), field_of(FilterField::Deny(0)));
    assert!(e.message.contains("nesting"), "{}", e.message);
    // Far deeper, as a hostile file may write it: refused the same way.
    let e = refused(&filter(&[&nested(100_000 / 2)], &[], None, None));
    assert_eq!(field(&e), field_of(FilterField::Allow(0)));
}

#[test]
fn a_pattern_too_long_is_refused_before_it_is_parsed() {
    let longest = "a".repeat(PATTERN_LENGTH_LIMIT);
    check_tag_filter(&filter(&[&longest], &[], None, None)).unwrap();
    let too_long = format!("{longest}(");
    let e = refused(&filter(&["ok", &too_long], &[], None, None));
    assert_eq!(field(&e), field_of(FilterField::Allow(1)));
    assert!(
        e.message
            .contains(&format!("more than the {PATTERN_LENGTH_LIMIT}")),
        "{}",
        e.message
    );
    assert!(e.message.len() < 200, "the pattern is not repeated whole");
}

#[test]
fn patterns_too_big_together_are_refused_naming_the_last() {
    // Each fits the limit on its own; a thousand of them do not.
    let each = "[a-d]{2000}";
    let many: Vec<&str> = std::iter::repeat_n(each, 100).collect();
    check_tag_filter(&filter(&[each], &[], None, None)).unwrap();
    let e = refused(&filter(&many, &[], None, None));
    assert_eq!(field(&e), field_of(FilterField::Allow(99)));
    assert!(e.message.contains("100 patterns together"), "{}", e.message);
}

#[test]
fn a_range_that_does_not_parse_is_refused() {
    for bad in ["", "not a range", ">=3.18.", "=>1", "1.2.3.4"] {
        let e = refused(&filter(&[], &[], Some(bad), None));
        assert_eq!(field(&e), field_of(FilterField::Semver), "{bad:?}");
        assert!(e.message.contains("not a semver range"), "{}", e.message);
    }
}

#[test]
fn latest_zero_is_refused() {
    let e = refused(&filter(&[], &[], Some(">=1"), Some(0)));
    assert_eq!(field(&e), field_of(FilterField::Latest));
    assert!(e.message.contains("at least 1"), "{}", e.message);
}

#[test]
fn the_first_fault_is_answered_allow_before_deny_before_semver_before_latest() {
    let all_bad = |allow: &[&str], deny: &[&str]| filter(allow, deny, Some("??"), Some(0));
    assert_eq!(
        field(&refused(&all_bad(&["("], &["("]))),
        field_of(FilterField::Allow(0))
    );
    assert_eq!(
        field(&refused(&all_bad(&[], &["("]))),
        field_of(FilterField::Deny(0))
    );
    assert_eq!(
        field(&refused(&all_bad(&[], &[]))),
        field_of(FilterField::Semver)
    );
}
