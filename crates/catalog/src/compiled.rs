//! The compiled form of checked catalog data: the model serialised once at build time (by
//! `crates/builtin`) and read back at start-up, so a look-up neither parses TOML nor checks
//! the data again.
//!
//! The form is postcard: positional and compact, so reading it back costs little more than
//! allocating the model. It is an internal cache, not an interchange format: only the same
//! build of this crate reads it. Types whose human-readable output leaves default fields out
//! write every field here (they ask `is_human_readable`), as a positional format needs.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Compiled data could not be written or read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compiled catalog data ({what}): {problem}")]
pub struct CompiledError {
    /// Which data: `layer`, `sharing`, `view 2025`.
    pub what: String,
    /// What the encoder or decoder said.
    pub problem: String,
}

/// `value` in the compiled form; `what` names it in errors.
pub fn encode<T: Serialize + ?Sized>(what: &str, value: &T) -> Result<Vec<u8>, CompiledError> {
    postcard::to_stdvec(value).map_err(|e| CompiledError {
        what: what.to_string(),
        problem: e.to_string(),
    })
}

/// Reads back what [`encode`] wrote.
pub fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, CompiledError> {
    postcard::from_bytes(bytes).map_err(|e| CompiledError {
        what: what.to_string(),
        problem: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Catalog, Modern, PortSharing, WindowsVersion};

    #[test]
    fn the_builtin_data_survives_the_round_trip() {
        let seed = Catalog::builtin().unwrap();
        let modern = Modern::builtin(&seed).unwrap();
        let sharing = PortSharing::builtin(&seed, &modern).unwrap();
        let layer: (Catalog, Modern) =
            decode("layer", &encode("layer", &(&seed, &modern)).unwrap()).unwrap();
        assert_eq!(layer, (seed.clone(), modern.clone()));
        let back: PortSharing = decode("sharing", &encode("sharing", &sharing).unwrap()).unwrap();
        assert_eq!(back, sharing);
        for version in WindowsVersion::ALL {
            let view = seed.at(&modern, version);
            let back: Catalog = decode("view", &encode("view", &view).unwrap()).unwrap();
            assert_eq!(back, view, "{version:?}");
        }
    }

    #[test]
    fn human_readable_output_still_leaves_defaults_out() {
        // The compiled form writes every field; JSON and TOML keep leaving defaults out.
        let seed = Catalog::builtin().unwrap();
        let role = seed.role("domain-controller").unwrap();
        assert!(!role.user_defined);
        let text = toml::to_string(role).unwrap();
        assert!(!text.contains("user_defined"), "{text}");
        assert!(text.contains("[[services]]"), "{text}");
        let plain = role
            .services
            .iter()
            .find(|e| e.ports.is_all() && !e.optional);
        assert!(plain.is_some(), "a role entry with every row, not optional");
        let entry = toml::to_string(plain.unwrap()).unwrap();
        assert!(
            !entry.contains("optional") && !entry.contains("ports"),
            "{entry}"
        );
        let erratum = seed.errata().iter().find(|e| e.field.is_none()).unwrap();
        assert!(!toml::to_string(erratum).unwrap().contains("field ="));
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let seed = Catalog::builtin().unwrap();
        let bytes = encode("view", &seed).unwrap();
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            let err = decode::<Catalog>("view 2025", &bytes[..cut]).unwrap_err();
            assert!(err.to_string().contains("view 2025"), "{err}");
        }
        assert!(decode::<Catalog>("view", b"\xc1garbage").is_err());
    }
}
