//! Target arguments: comma lists, `@file` lists, and the size guards.

use super::error::TargetError;
use super::spec::TargetSpec;

/// More addresses than this need an explicit confirmation (`--yes`): a /16 is the largest
/// sweep that may start by accident.
pub const CONFIRM_ABOVE: u64 = 65_536;

/// No command covers more addresses than this, confirmed or not (all of IPv4).
pub const HARD_LIMIT: u64 = 1 << 32;

/// Longest `@file` accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Most items one target list may hold (after `@file` expansion).
pub const MAX_ITEMS: usize = 1 << 20;

/// Parses every target argument. An argument may hold several targets separated by commas;
/// `@PATH` reads more targets from a file through `read_file` (whitespace, commas or new
/// lines between targets, `#` to the end of a line is a comment; no `@` inside a file).
pub fn parse_targets<S, F>(
    arguments: &[S],
    mut read_file: F,
) -> Result<Vec<TargetSpec>, TargetError>
where
    S: AsRef<str>,
    F: FnMut(&str) -> Result<String, String>,
{
    let mut specs = Vec::new();
    for argument in arguments {
        let argument = argument.as_ref().trim();
        if let Some(path) = argument.strip_prefix('@') {
            let text = read_file(path).map_err(|problem| {
                TargetError::new(
                    argument,
                    problem,
                    "check the path after `@`; the file lists one target per line",
                )
            })?;
            if text.len() > MAX_FILE_BYTES {
                return Err(TargetError::new(
                    argument,
                    "is larger than 16 MiB",
                    "split the list into smaller files",
                ));
            }
            parse_file(argument, &text, &mut specs)?;
        } else if argument.is_empty() {
            // An empty argument is a mistake (an unset shell variable), not "no target".
            return Err(TargetError::new(
                argument,
                "an empty host is not a target",
                "give a host name, an address, a CIDR network or a range",
            ));
        } else {
            for item in argument.split(',').filter(|s| !s.trim().is_empty()) {
                push(argument, &mut specs, TargetSpec::parse(item)?)?;
            }
        }
    }
    if specs.is_empty() {
        return Err(TargetError::new(
            "",
            "no targets were given",
            "name at least one host, address, network or range",
        ));
    }
    Ok(specs)
}

fn parse_file(origin: &str, text: &str, specs: &mut Vec<TargetSpec>) -> Result<(), TargetError> {
    for (number, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("");
        for item in content.split(|c: char| c == ',' || c.is_whitespace()) {
            if item.is_empty() {
                continue;
            }
            if item.starts_with('@') {
                return Err(TargetError::new(
                    item,
                    format!(
                        "{origin} line {}: files cannot include other files",
                        number + 1
                    ),
                    "list the targets of the other file directly, or pass both files",
                ));
            }
            let spec = TargetSpec::parse(item).map_err(|e| e.at(origin, number + 1))?;
            push(origin, specs, spec)?;
        }
    }
    Ok(())
}

fn push(origin: &str, specs: &mut Vec<TargetSpec>, spec: TargetSpec) -> Result<(), TargetError> {
    if specs.len() >= MAX_ITEMS {
        return Err(TargetError::new(
            origin,
            "brings the list past 1048576 targets",
            "use CIDR networks or ranges",
        ));
    }
    specs.push(spec);
    Ok(())
}

/// Total number of addresses of the targets (saturating).
pub fn address_total(specs: &[TargetSpec]) -> u128 {
    specs
        .iter()
        .fold(0u128, |sum, s| sum.saturating_add(s.address_count()))
}

/// The sweep guard: refuses target sets above [`CONFIRM_ABOVE`] addresses without
/// `confirmed`, above [`HARD_LIMIT`] always.
pub fn check_size(specs: &[TargetSpec], confirmed: bool) -> Result<u64, TargetError> {
    let total = address_total(specs);
    if total > u128::from(HARD_LIMIT) {
        return Err(TargetError::new(
            "targets",
            format!("cover {total} addresses, more than any scan may ({HARD_LIMIT}, all of IPv4)"),
            "narrow the networks (an IPv6 /64 alone holds 2^64 addresses)",
        ));
    }
    let total = u64::try_from(total).unwrap_or(HARD_LIMIT);
    if total > CONFIRM_ABOVE && !confirmed {
        return Err(TargetError::new(
            "targets",
            format!("cover {total} addresses, more than a /16 ({CONFIRM_ABOVE})"),
            "check the networks, then add --yes to confirm a sweep this large",
        ));
    }
    Ok(total)
}

/// The guard of commands that probe hosts one by one (`check`, `rpc`): at most `cap`
/// addresses, no confirmation. Names the target that pushed the total over.
pub fn check_within(specs: &[TargetSpec], cap: u64, command: &str) -> Result<u64, TargetError> {
    let mut total: u128 = 0;
    for spec in specs {
        total = total.saturating_add(spec.address_count());
        if total > u128::from(cap) {
            return Err(TargetError::new(
                spec.to_string(),
                format!(
                    "brings the targets to {total} addresses, more than `{command}` takes ({cap})"
                ),
                "narrow the network or range, or sweep it with `portolan scan`",
            ));
        }
    }
    Ok(u64::try_from(total).unwrap_or(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_comma_lists() {
        let read = |path: &str| match path {
            "hosts.txt" => {
                Ok("# lab\n10.0.0.1, 10.0.0.2\n\n::1  host.example # dc\nfe80::1%lo\n".to_string())
            }
            "nested.txt" => Ok("@hosts.txt\n".to_string()),
            "bad.txt" => Ok("10.0.0.1\n10.0.0.0/40\n".to_string()),
            _ => Err("No such file or directory".to_string()),
        };
        let specs = parse_targets(&["@hosts.txt", "127.0.0.1,127.0.0.2"], read).unwrap();
        assert_eq!(specs.len(), 7);
        assert_eq!(specs[3], TargetSpec::Name("host.example".into()));
        assert_eq!(specs[4].to_string(), "fe80::1%lo");
        let nested = parse_targets(&["@nested.txt"], read)
            .unwrap_err()
            .to_string();
        assert!(nested.contains("cannot include other files"), "{nested}");
        let bad = parse_targets(&["@bad.txt"], read).unwrap_err().to_string();
        assert!(bad.contains("@bad.txt line 2"), "{bad}");
        let missing = parse_targets(&["@nope.txt"], read).unwrap_err().to_string();
        assert!(missing.contains("No such file"), "{missing}");
        assert!(parse_targets::<&str, _>(&[], read).is_err());
        let empty = parse_targets(&[" "], read).unwrap_err().to_string();
        assert!(empty.contains("an empty host"), "{empty}");
    }

    #[test]
    fn a_slash_8_needs_confirmation() {
        let specs = parse_targets(&["10.0.0.0/8"], |_| Err(String::new())).unwrap();
        let message = check_size(&specs, false).unwrap_err().to_string();
        assert!(message.contains("16777214 addresses"), "{message}");
        assert!(message.contains("--yes"), "{message}");
        assert_eq!(check_size(&specs, true), Ok(16_777_214));
        let slash16 = parse_targets(&["10.1.0.0/16"], |_| Err(String::new())).unwrap();
        assert_eq!(check_size(&slash16, false), Ok(65_534));
        let huge = parse_targets(&["2001:db8::/64"], |_| Err(String::new())).unwrap();
        assert!(
            check_size(&huge, true)
                .unwrap_err()
                .to_string()
                .contains("narrow")
        );
    }

    #[test]
    fn a_check_cap_names_the_target_and_the_fix() {
        let specs = parse_targets(&["10.0.0.1", "10.0.0.0/24"], |_| Err(String::new())).unwrap();
        assert_eq!(check_within(&specs, 255, "check"), Ok(255));
        let message = check_within(&specs, 254, "check").unwrap_err().to_string();
        assert!(message.starts_with("target `10.0.0.0/24`"), "{message}");
        assert!(
            message.contains("255 addresses, more than `check` takes (254)"),
            "{message}"
        );
        assert!(message.contains("portolan scan"), "{message}");
    }
}
