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
    text.to_lowercase()
        .replace(['-', '_'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
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
    kind: NameKind,
    input: &str,
) -> Result<&'c T, ResolveError> {
    let key = name_key(input);
    if key.is_empty() {
        return Err(ResolveError::Empty { kind });
    }
    // An id is unique, so it settles a clash between another item's display name and it.
    if let Some(item) = items.iter().find(|i| name_key(i.id()) == key) {
        return Ok(item);
    }
    let exact: Vec<&T> = items
        .iter()
        .filter(|i| i.names().iter().any(|n| name_key(n) == key))
        .collect();
    let found = if exact.is_empty() {
        items
            .iter()
            .filter(|i| i.names().iter().any(|n| name_key(n).contains(&key)))
            .collect()
    } else {
        exact
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(ResolveError::Unknown {
            kind,
            input: input.trim().to_string(),
            suggestions: suggest(items, input)
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
    let needle = name_words(input);
    if needle.chars().count() > MAX_SUGGESTED_INPUT {
        return Vec::new();
    }
    let mut scored: Vec<(f64, &T)> = items
        .iter()
        .map(|item| {
            let best = item
                .names()
                .iter()
                .flat_map(|n| {
                    let n = name_words(n);
                    let whole = strsim::jaro_winkler(&needle, &n);
                    let words = n
                        .split(' ')
                        .map(|w| strsim::jaro_winkler(&needle, w))
                        .fold(0.0, f64::max);
                    [whole, words]
                })
                .fold(0.0, f64::max);
            (best, item)
        })
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

impl Catalog {
    /// The role `name` names: its id or display name, in any case and spacing.
    pub fn resolve_role(&self, name: &str) -> Result<&Role, ResolveError> {
        resolve(self.roles(), NameKind::Role, name)
    }

    /// The service `name` names: its id, display name, table name or Windows service name,
    /// in any case and spacing, or a part of one of them that only this service has.
    pub fn resolve_service(&self, name: &str) -> Result<&Service, ResolveError> {
        resolve(self.services(), NameKind::Service, name)
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
