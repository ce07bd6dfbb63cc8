//! The one resolver of role and service names: every command that takes a role or a service
//! goes through here, so `Domain controller`, `domain-controller` and `DOMAIN_CONTROLLER` name
//! the same role everywhere.
//!
//! A name matches an id, a display name, a table name or a Windows service name, ignoring case,
//! spaces, hyphens and underscores. An exact match wins; otherwise a name contained in exactly
//! one candidate's names picks it. Nothing matching gives "did you mean"; several matching
//! gives the list to choose from.

use std::fmt;

use crate::Catalog;
use crate::model::{Role, Service};

/// What a name was looked up as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A server role (`roles.toml`).
    Role,
    /// A catalog service (`catalog.toml`).
    Service,
}

impl NameKind {
    /// Where the user finds every name of this kind.
    fn list_hint(self) -> &'static str {
        match self {
            NameKind::Role => "`portolan roles` lists the roles",
            NameKind::Service => "`portolan export` lists every service and its id",
        }
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Role => "role",
            NameKind::Service => "service",
        })
    }
}

/// A role or service a name could have meant: its id and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The stable id (what to type to be unambiguous).
    pub id: String,
    /// The display name.
    pub name: String,
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({})", self.id, self.name)
    }
}

/// A role or service name that names nothing, or more than one thing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The name is empty (or only spaces and dashes).
    #[error("empty {kind} name; give an id or a name, e.g. {}", example(*kind))]
    Empty {
        /// Role or service.
        kind: NameKind,
    },
    /// No role or service has this name.
    #[error(
        "no {kind} matches `{input}`: it names no {kind} by id or name; {}",
        did_you_mean(suggestions, known, kind.list_hint())
    )]
    Unknown {
        /// Role or service.
        kind: NameKind,
        /// What was typed.
        input: String,
        /// Close candidates, best first (at most five).
        suggestions: Vec<Candidate>,
        /// Every id of the kind when there are few enough to list (roles); else empty.
        known: Vec<String>,
    },
    /// The name is part of several names, and none exactly.
    #[error(
        "{kind} `{input}` is ambiguous: it matches {} {kind}s ({}); name one of them by id",
        candidates.len(),
        listed(candidates)
    )]
    Ambiguous {
        /// Role or service.
        kind: NameKind,
        /// What was typed.
        input: String,
        /// Every candidate it matches, in catalog order.
        candidates: Vec<Candidate>,
    },
}

fn example(kind: NameKind) -> &'static str {
    match kind {
        NameKind::Role => "domain-controller",
        NameKind::Service => "dns-server",
    }
}

fn did_you_mean(suggestions: &[Candidate], known: &[String], list_hint: &str) -> String {
    match (suggestions, known) {
        ([], []) => list_hint.to_string(),
        // With nothing close, the few ids there are help more than a pointer to the list.
        ([], known) => format!("known: {}; {list_hint}", known.join(", ")),
        ([one], _) => format!("did you mean {one}? ({list_hint})"),
        (many, _) => format!("did you mean one of {}? ({list_hint})", listed(many)),
    }
}

/// Most candidates an error lists; a name as short as `a` matches most of the catalog.
const MAX_LISTED: usize = 10;

fn listed(candidates: &[Candidate]) -> String {
    let mut text = candidates
        .iter()
        .take(MAX_LISTED)
        .map(Candidate::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if candidates.len() > MAX_LISTED {
        text.push_str(&format!(" and {} more", candidates.len() - MAX_LISTED));
    }
    text
}

/// Lower case without spaces, hyphens or underscores: the form names are compared in.
pub fn name_key(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Lower case words, hyphens and underscores read as spaces: the form suggestions score on.
pub(crate) fn name_words(text: &str) -> String {
    // One pass over the lower-cased text: search and "did you mean" put the whole catalog's
    // text through this.
    let lower = text.to_lowercase();
    let mut words = String::with_capacity(lower.len());
    let mut gap = false;
    for c in lower.chars() {
        if is_word_gap(c) {
            gap = !words.is_empty();
        } else {
            if gap {
                words.push(' ');
                gap = false;
            }
            words.push(c);
        }
    }
    words
}

/// What separates the words of a name: white space, hyphens and underscores.
fn is_word_gap(c: char) -> bool {
    c.is_whitespace() || c == '-' || c == '_'
}

/// Something with an id and the names a user may call it by.
pub(crate) trait Named {
    fn id(&self) -> &str;
    fn display_name(&self) -> &str;
    /// Every name it answers to, the id first.
    fn names(&self) -> Vec<&str>;

    fn candidate(&self) -> Candidate {
        Candidate {
            id: self.id().to_string(),
            name: self.display_name().to_string(),
        }
    }
}

impl Named for Role {
    fn id(&self) -> &str {
        &self.id
    }
    fn display_name(&self) -> &str {
        &self.name
    }
    fn names(&self) -> Vec<&str> {
        vec![&self.id, &self.name]
    }
}

impl Named for Service {
    fn id(&self) -> &str {
        &self.id
    }
    fn display_name(&self) -> &str {
        &self.name
    }
    fn names(&self) -> Vec<&str> {
        crate::query::service_names(self).collect()
    }
}

/// Least similarity (Jaro-Winkler, 0 to 1) for a name to be suggested.
const SUGGEST_AT: f64 = 0.75;
/// An unknown name lists every id of its kind when there are at most this many (the roles).
const LIST_UP_TO: usize = 30;
/// Most suggestions given.
const MAX_SUGGESTIONS: usize = 5;
/// Longest input (in characters) that gets suggestions. The longest name in the catalog has
/// under 100, so a longer input is no misspelt name. Jaro-Winkler's cost grows with the
/// product of the lengths, and it barely marks down a length mismatch, so a long input can
/// still score well against short words.
const MAX_SUGGESTED_INPUT: usize = 128;

fn resolve<'c, T: Named>(
    items: &'c [T],
    index: &NameIndex,
    kind: NameKind,
    input: &str,
) -> Result<&'c T, ResolveError> {
    let key = name_key(input);
    if key.is_empty() {
        return Err(ResolveError::Empty { kind });
    }
    let keyed = || items.iter().zip(&index.keys);
    // An id is unique, so it settles a clash between another item's display name and it.
    if let Some((item, _)) = keyed().find(|(_, keys)| keys.first() == Some(&key)) {
        return Ok(item);
    }
    let exact: Vec<&T> = keyed()
        .filter(|(_, keys)| keys.contains(&key))
        .map(|(item, _)| item)
        .collect();
    let found = if exact.is_empty() {
        keyed()
            .filter(|(_, keys)| keys.iter().any(|k| k.contains(&key)))
            .map(|(item, _)| item)
            .collect()
    } else {
        exact
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(ResolveError::Unknown {
            kind,
            input: input.trim().to_string(),
            suggestions: suggest_in(items, index, input)
                .into_iter()
                .map(Named::candidate)
                .collect(),
            known: if items.len() <= LIST_UP_TO {
                items.iter().map(|i| i.id().to_string()).collect()
            } else {
                Vec::new()
            },
        }),
        many => Err(ResolveError::Ambiguous {
            kind,
            input: input.trim().to_string(),
            candidates: many.iter().map(|i| i.candidate()).collect(),
        }),
    }
}

/// Items whose names (whole, or one of their words) are close to `input`, best first.
pub(crate) fn suggest<'c, T: Named>(items: &'c [T], input: &str) -> Vec<&'c T> {
    suggest_in(items, &NameIndex::of(items), input)
}

/// [`suggest`] with the items' names already indexed.
fn suggest_in<'c, T: Named>(items: &'c [T], index: &NameIndex, input: &str) -> Vec<&'c T> {
    let mut candidate = Vec::new();
    suggest_by(items, input, |needle, at, _| {
        index.texts[at]
            .iter()
            .map(|text| needle.similarity(text, &mut candidate))
            .fold(0.0, f64::max)
    })
}

/// The items `score` rates at [`SUGGEST_AT`] or more against the input's words, best first.
fn suggest_by<'c, T: Named>(
    items: &'c [T],
    input: &str,
    mut score: impl FnMut(&Scored, usize, &T) -> f64,
) -> Vec<&'c T> {
    let needle = name_words(input);
    if needle.chars().count() > MAX_SUGGESTED_INPUT {
        return Vec::new();
    }
    let needle = Scored::new(&needle);
    let mut scored: Vec<(f64, &T)> = items
        .iter()
        .enumerate()
        .map(|(at, item)| (score(&needle, at, item), item))
        .filter(|(score, _)| *score >= SUGGEST_AT)
        .collect();
    // Stable: equal scores keep catalog order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, i)| i)
        .collect()
}

/// A list of roles or services with their names in the forms the resolver compares, worked
/// out once: every look-up reads every name of the list.
#[derive(Debug, Default)]
pub(crate) struct NameIndex {
    /// Each item's [`name_key`]s, its id's first.
    keys: Vec<Vec<String>>,
    /// Each item's distinct texts a suggestion scores: every name as [`name_words`], and each
    /// of its words (an id and a display name often read alike: "dns-server", "DNS Server").
    texts: Vec<Vec<String>>,
}

impl NameIndex {
    pub(crate) fn of<T: Named>(items: &[T]) -> Self {
        let keys = items
            .iter()
            .map(|item| item.names().into_iter().map(name_key).collect())
            .collect();
        let texts = items
            .iter()
            .map(|item| {
                let mut texts: Vec<String> = Vec::new();
                for name in item.names() {
                    let whole = name_words(name);
                    for text in whole.split(' ').chain([whole.as_str()]) {
                        if !texts.iter().any(|t| t == text) {
                            texts.push(text.to_string());
                        }
                    }
                }
                texts
            })
            .collect();
        NameIndex { keys, texts }
    }
}

/// strsim's Jaro-Winkler adds its prefix bonus only above this Jaro similarity, so a pair
/// whose Jaro similarity cannot exceed it scores its Jaro similarity, under [`SUGGEST_AT`].
const PREFIX_BONUS_ABOVE: f64 = 0.7;
const _: () = assert!(SUGGEST_AT > PREFIX_BONUS_ABOVE);

/// The input of a "did you mean", prepared to be scored against many names: its characters
/// decoded once and, when it is ASCII, how often each character occurs in it.
struct Scored {
    chars: Vec<char>,
    ascii_counts: Option<[u16; 128]>,
}

impl Scored {
    fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        // Counts that cannot overflow (a suggested input is much shorter than this anyway).
        let countable = chars.len() <= usize::from(u16::MAX) && chars.iter().all(char::is_ascii);
        let ascii_counts = countable.then(|| {
            let mut counts = [0u16; 128];
            for &c in &chars {
                counts[c as usize] += 1;
            }
            counts
        });
        Scored {
            chars,
            ascii_counts,
        }
    }

    /// Jaro-Winkler similarity of the input and `text`, exactly as `strsim::jaro_winkler`
    /// gives it whenever it reaches [`SUGGEST_AT`]; below that, possibly 0 instead.
    ///
    /// Why not plain `strsim::jaro_winkler`: a look-up that names nothing scores the input
    /// against every name and word of the catalog, and strsim decodes both strings again for
    /// every character of one of them. Here the input is decoded once, and a pair is skipped
    /// when an upper bound on its Jaro similarity keeps it from strsim's prefix bonus: Jaro
    /// matches no more characters than the two strings share at all.
    fn similarity(&self, text: &str, candidate: &mut Vec<char>) -> f64 {
        candidate.clear();
        candidate.extend(text.chars());
        if let Some(shared) = self.shared_ascii(candidate) {
            let (a, b) = (self.chars.len() as f64, candidate.len() as f64);
            let shared = shared as f64;
            if (shared / a + shared / b + 1.0) / 3.0 <= PREFIX_BONUS_ABOVE {
                return 0.0;
            }
        }
        strsim::generic_jaro_winkler(&self.chars, &*candidate)
    }

    /// How many characters the input and `candidate` share, counted with repeats, when both
    /// are ASCII and neither is empty; `None` otherwise.
    fn shared_ascii(&self, candidate: &[char]) -> Option<usize> {
        let mut left = self.ascii_counts?;
        if self.chars.is_empty() || candidate.is_empty() || !candidate.iter().all(char::is_ascii) {
            return None;
        }
        let mut shared = 0;
        for &c in candidate {
            let count = &mut left[c as usize];
            if *count > 0 {
                *count -= 1;
                shared += 1;
            }
        }
        Some(shared)
    }
}

impl Catalog {
    /// The role `name` names: its id or display name, in any case and spacing.
    pub fn resolve_role(&self, name: &str) -> Result<&Role, ResolveError> {
        let index = self.role_names.get_or_init(|| NameIndex::of(self.roles()));
        resolve(self.roles(), index, NameKind::Role, name)
    }

    /// The service `name` names: its id, display name, table name or Windows service name,
    /// in any case and spacing, or a part of one of them that only this service has.
    pub fn resolve_service(&self, name: &str) -> Result<&Service, ResolveError> {
        let index = self
            .service_names
            .get_or_init(|| NameIndex::of(self.services()));
        resolve(self.services(), index, NameKind::Service, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::builtin().expect("the built-in catalog loads")
    }

    #[test]
    fn roles_resolve_by_id_and_name_in_any_case_and_spacing() {
        let catalog = catalog();
        for name in [
            "domain-controller",
            "Domain controller",
            "DOMAIN_CONTROLLER",
            "  domain   Controller ",
            "domaincontroller",
        ] {
            assert_eq!(catalog.resolve_role(name).unwrap().id, "domain-controller");
        }
    }

    #[test]
    fn services_resolve_by_windows_service_name() {
        let catalog = catalog();
        assert_eq!(catalog.resolve_service("dns").unwrap().id, "dns-server");
        assert_eq!(
            catalog.resolve_service("DNS Server").unwrap().id,
            "dns-server"
        );
        assert_eq!(
            catalog
                .resolve_service("msdtc")
                .unwrap()
                .windows_service
                .as_deref(),
            Some("MSDTC")
        );
    }

    #[test]
    fn unknown_names_suggest_and_point_to_the_list() {
        let err = catalog().resolve_role("domian-controller").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`domian-controller`"), "{text}");
        assert!(text.contains("did you mean `domain-controller`"), "{text}");
        assert!(text.contains("portolan roles"), "{text}");
        let err = catalog().resolve_role("zzzz").unwrap_err().to_string();
        assert!(
            !err.contains("did you mean") && err.contains("portolan roles"),
            "{err}"
        );
    }

    #[test]
    fn an_input_longer_than_any_name_gets_no_suggestion() {
        // Past the bound nothing is suggested, and the error still points to the list.
        let long = "domian controller ".repeat(10);
        assert!(long.len() > MAX_SUGGESTED_INPUT);
        let err = catalog().resolve_role(&long).unwrap_err().to_string();
        assert!(!err.contains("did you mean"), "{err}");
        assert!(err.contains("portolan roles"), "{err}");
        let items = catalog();
        assert_eq!(suggest(&items.roles, "domian controller").len(), 1);
        assert!(suggest(&items.roles, &long).is_empty());
    }

    #[test]
    fn ambiguous_names_list_the_candidates() {
        let err = catalog().resolve_service("terminal").unwrap_err();
        let ResolveError::Ambiguous { candidates, .. } = &err else {
            panic!("not ambiguous: {err:?}");
        };
        assert!(candidates.len() > 1);
        let text = err.to_string();
        assert!(
            text.contains(&format!("matches {} services", candidates.len())),
            "{text}"
        );
        for c in candidates {
            assert!(text.contains(&c.id), "{text}");
        }
    }

    #[test]
    fn a_very_short_name_lists_some_candidates_and_counts_the_rest() {
        let err = catalog().resolve_service("e").unwrap_err();
        let ResolveError::Ambiguous { candidates, .. } = &err else {
            panic!("not ambiguous: {err:?}");
        };
        let text = err.to_string();
        assert!(
            text.contains(&format!("matches {} services", candidates.len())),
            "{text}"
        );
        assert!(
            text.contains(&format!("and {} more", candidates.len() - MAX_LISTED)),
            "{text}"
        );
    }

    /// What `suggest` gave before it skipped pairs: plain `strsim::jaro_winkler` over every
    /// name, and every word of every name.
    fn suggest_by_strsim<'c, T: Named>(items: &'c [T], input: &str) -> Vec<&'c T> {
        suggest_by(items, input, |needle, _, item| {
            let needle: &str = &needle.chars.iter().collect::<String>();
            item.names()
                .iter()
                .flat_map(|n| {
                    let n = name_words(n);
                    let whole = strsim::jaro_winkler(needle, &n);
                    let words = n.split(' ').map(|w| strsim::jaro_winkler(needle, w));
                    [whole, words.fold(0.0, f64::max)]
                })
                .fold(0.0, f64::max)
        })
    }

    fn ids<T: Named>(items: &[&T]) -> Vec<String> {
        items.iter().map(|i| i.id().to_string()).collect()
    }

    #[test]
    fn suggestions_are_those_of_plain_jaro_winkler() {
        let catalog = catalog();
        for input in [
            "domian controler",
            "dsn",
            "kerberos",
            "kerbros key distribution",
            "terminl services",
            "w32tm",
            "ntp",
            "smtp",
            "microsoft exchange server",
            "zzzz",
            "a",
            "--",
            "Dömain contrôleur",
            "x".repeat(100).as_str(),
        ] {
            assert_eq!(
                ids(&suggest(catalog.services(), input)),
                ids(&suggest_by_strsim(catalog.services(), input)),
                "{input}"
            );
            assert_eq!(
                ids(&suggest(catalog.roles(), input)),
                ids(&suggest_by_strsim(catalog.roles(), input)),
                "{input}"
            );
        }
        assert!(!suggest(catalog.services(), "kerbros").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn the_bound_never_skips_a_pair_that_would_be_suggested(
            a in "[a-z0-9 .é]{0,40}",
            b in "[a-z0-9.é]{0,20}",
        ) {
            let exact = strsim::jaro_winkler(&a, &b);
            let ours = Scored::new(&a).similarity(&b, &mut Vec::new());
            if exact >= SUGGEST_AT {
                proptest::prop_assert_eq!(ours, exact);
            } else {
                proptest::prop_assert!(ours < SUGGEST_AT);
            }
        }

        #[test]
        fn name_words_splits_as_split_whitespace_does(
            text in proptest::prop_oneof!["\\PC{0,40}", "[ -~\t\n\x0b\x0c\r]{0,40}"]
        ) {
            let by_std = text
                .to_lowercase()
                .replace(['-', '_'], " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            proptest::prop_assert_eq!(name_words(&text), by_std);
        }

        #[test]
        fn suggestions_match_plain_jaro_winkler_for_any_input(input in "[a-z -]{0,30}") {
            let catalog = catalog();
            proptest::prop_assert_eq!(
                ids(&suggest(catalog.services(), &input)),
                ids(&suggest_by_strsim(catalog.services(), &input))
            );
        }
    }

    #[test]
    fn name_words_are_lower_case_words_joined_by_one_space() {
        assert_eq!(name_words("  DNS_Server--Role \t x "), "dns server role x");
        assert_eq!(name_words("-_ \u{2003}"), "");
        assert_eq!(name_words("ÉTÉ-Σ"), "été σ");
    }

    #[test]
    fn every_role_and_service_resolves_by_its_id_in_the_seed_and_in_a_view() {
        let seed = catalog();
        let modern = crate::Modern::builtin(&seed).expect("the built-in layer loads");
        let view = seed.at(&modern, crate::WindowsVersion::W2025);
        for catalog in [&seed, &view] {
            assert!(!catalog.roles().is_empty());
            for role in catalog.roles() {
                assert_eq!(catalog.resolve_role(&role.id).unwrap().id, role.id);
            }
            for service in catalog.services() {
                assert_eq!(catalog.resolve_service(&service.id).unwrap().id, service.id);
            }
        }
    }

    #[test]
    fn empty_names_are_refused() {
        assert!(matches!(
            catalog().resolve_service(" -_ "),
            Err(ResolveError::Empty {
                kind: NameKind::Service
            })
        ));
    }
}
