//! A summary of an X.509 certificate (RFC 5280) for the TLS evidence line: who it names,
//! who issued it, for which host names and addresses, and until when.
//!
//! The engine completes a TLS handshake with rustls and hands the server's end-entity
//! certificate (DER) to [`parse_certificate`]. Decoding is done by the `x509-parser`
//! crate; this module only picks the fields the checker reports and bounds the input.
//! Nothing is verified cryptographically: "self-signed" means the issuer name equals the
//! subject name and, when both key identifiers are present, the authority key identifier
//! equals the subject key identifier. That is enough to say "a lab or default certificate"
//! and cheap enough for a port checker.

use core::fmt;
use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::nom;
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::simple::Escaped;
use crate::smb2::utc_string;
use crate::{Error, Result};

/// Largest certificate accepted.
pub const MAX_CERTIFICATE: usize = 64 * 1024;

/// Most subject alternative names kept.
pub const MAX_NAMES: usize = 256;

const WHAT: &str = "X.509 certificate";

/// What the checker reports about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSummary {
    /// The subject distinguished name, e.g. `O=portolan lab, CN=apps.lab.example`.
    pub subject: String,
    /// The first common name of the subject.
    pub subject_cn: Option<String>,
    /// The issuer distinguished name.
    pub issuer: String,
    /// The first common name of the issuer.
    pub issuer_cn: Option<String>,
    /// DNS names from the subject alternative name extension.
    pub dns_names: Vec<String>,
    /// IP addresses from the subject alternative name extension.
    pub ip_addresses: Vec<IpAddr>,
    /// Start of validity, `YYYY-MM-DD HH:MM:SS UTC`.
    pub not_before: String,
    /// End of validity, `YYYY-MM-DD HH:MM:SS UTC`.
    pub not_after: String,
    /// Start of validity in seconds since 1970.
    pub not_before_unix: i64,
    /// End of validity in seconds since 1970.
    pub not_after_unix: i64,
    /// Whether the certificate names itself as issuer (see the module documentation).
    pub self_signed: bool,
    /// Whether basic constraints mark it as a CA.
    pub is_ca: bool,
    /// The serial number, hex bytes separated by colons.
    pub serial: String,
    /// The signature algorithm's short name (or its OID).
    pub signature_algorithm: String,
    /// The public key type and size, e.g. `RSA 2048`.
    pub public_key: String,
}

impl CertificateSummary {
    /// Whether `unix_seconds` lies within the validity period.
    pub fn is_valid_at(&self, unix_seconds: i64) -> bool {
        (self.not_before_unix..=self.not_after_unix).contains(&unix_seconds)
    }

    /// Whether the certificate covers `host`: an IP address listed in the alternative
    /// names, or a DNS name matching one listed (a `*.` wildcard covers one leftmost
    /// label), or, when there are no alternative names, the subject common name.
    pub fn covers(&self, host: &str) -> bool {
        if let Ok(address) = host.parse::<IpAddr>() {
            return self.ip_addresses.contains(&address);
        }
        let host = host.trim_end_matches('.');
        let matches = |pattern: &str| {
            let pattern = pattern.trim_end_matches('.');
            match pattern.strip_prefix("*.") {
                Some(suffix) => host.split_once('.').is_some_and(|(label, rest)| {
                    !label.is_empty() && rest.eq_ignore_ascii_case(suffix)
                }),
                None => pattern.eq_ignore_ascii_case(host),
            }
        };
        if self.dns_names.is_empty() && self.ip_addresses.is_empty() {
            return self.subject_cn.as_deref().is_some_and(matches);
        }
        self.dns_names.iter().any(|name| matches(name))
    }
}

impl fmt::Display for CertificateSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TLS certificate: ")?;
        match &self.subject_cn {
            Some(cn) => write!(f, "CN={}", Escaped::new(cn.as_bytes(), 40))?,
            None => write!(f, "{}", Escaped::new(self.subject.as_bytes(), 40))?,
        }
        if self.self_signed {
            f.write_str(", self-signed")?;
        } else {
            match &self.issuer_cn {
                Some(cn) => write!(f, ", issuer CN={}", Escaped::new(cn.as_bytes(), 40))?,
                None => write!(f, ", issuer {}", Escaped::new(self.issuer.as_bytes(), 40))?,
            }
        }
        write!(f, ", valid until {}", self.not_after)
    }
}

fn first_cn(name: &X509Name<'_>) -> Option<String> {
    name.iter_common_name().next().map(|cn| match cn.as_str() {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(cn.as_slice()).into_owned(),
    })
}

fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Summarises the DER certificate `der` (nothing may follow it).
pub fn parse_certificate(der: &[u8]) -> Result<CertificateSummary> {
    if der.len() > MAX_CERTIFICATE {
        return Err(Error::too_large(WHAT, der.len(), MAX_CERTIFICATE));
    }
    let (rest, cert) = X509Certificate::from_der(der).map_err(|err| match err {
        nom::Err::Incomplete(_) => Error::truncated(WHAT, der.len() + 1, der.len()),
        nom::Err::Error(_) | nom::Err::Failure(_) => {
            Error::malformed(WHAT, "not a DER X.509 certificate")
        }
    })?;
    if !rest.is_empty() {
        return Err(Error::malformed(WHAT, "bytes follow the certificate"));
    }

    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    let mut subject_key_id = None;
    let mut authority_key_id = None;
    for extension in cert.iter_extensions() {
        match extension.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                if san.general_names.len() > MAX_NAMES {
                    return Err(Error::too_large(
                        "subject alternative names",
                        san.general_names.len(),
                        MAX_NAMES,
                    ));
                }
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
                        GeneralName::IPAddress(bytes) => ip_addresses.extend(ip_from(bytes)),
                        _ => {}
                    }
                }
            }
            ParsedExtension::SubjectKeyIdentifier(id) => subject_key_id = Some(id.0),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                authority_key_id = aki.key_identifier.as_ref().map(|id| id.0);
            }
            _ => {}
        }
    }

    let subject = cert.subject();
    let issuer = cert.issuer();
    let keys_agree = match (subject_key_id, authority_key_id) {
        (Some(subject_id), Some(authority_id)) => subject_id == authority_id,
        _ => true,
    };
    let self_signed = subject.as_raw() == issuer.as_raw() && keys_agree;

    let validity = cert.validity();
    let not_before_unix = validity.not_before.timestamp();
    let not_after_unix = validity.not_after.timestamp();
    let algorithm = &cert.signature_algorithm.algorithm;
    let signature_algorithm = oid2sn(algorithm, oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| algorithm.to_id_string());
    let public_key = match cert.public_key().parsed() {
        Ok(key) => {
            let kind = match key {
                x509_parser::public_key::PublicKey::RSA(_) => "RSA",
                x509_parser::public_key::PublicKey::EC(_) => "EC",
                x509_parser::public_key::PublicKey::DSA(_) => "DSA",
                _ => "other",
            };
            format!("{kind} {}", key.key_size())
        }
        Err(_) => "unknown".to_owned(),
    };

    Ok(CertificateSummary {
        subject: subject.to_string(),
        subject_cn: first_cn(subject),
        issuer: issuer.to_string(),
        issuer_cn: first_cn(issuer),
        dns_names,
        ip_addresses,
        not_before: utc_string(not_before_unix),
        not_after: utc_string(not_after_unix),
        not_before_unix,
        not_after_unix,
        self_signed,
        is_ca: cert.is_ca(),
        serial: cert.raw_serial_as_string(),
        signature_algorithm,
        public_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMBA_LDAPS: &[u8] = include_bytes!("../tests/fixtures/x509/samba-4.17-ldaps-636.der");
    const SAMBA_CA: &[u8] = include_bytes!("../tests/fixtures/x509/samba-4.17-ca.der");
    const APPS: &[u8] = include_bytes!("../tests/fixtures/x509/apps-lab-nginx-443.der");

    #[test]
    fn samba_ldaps_certificate() {
        let cert = parse_certificate(SAMBA_LDAPS).unwrap();
        assert_eq!(
            cert.subject,
            "O=Samba Administration, OU=Samba - temporary autogenerated HOST certificate, \
             CN=DC1.lab.example"
        );
        assert_eq!(cert.subject_cn.as_deref(), Some("DC1.lab.example"));
        assert_eq!(cert.issuer_cn.as_deref(), Some("DC1.lab.example"));
        assert!(cert.issuer.contains("autogenerated CA certificate"));
        assert!(!cert.self_signed, "issued by Samba's own CA, not by itself");
        assert!(!cert.is_ca);
        assert!(cert.dns_names.is_empty() && cert.ip_addresses.is_empty());
        assert_eq!(cert.not_before, "2026-11-26 14:04:38 UTC");
        assert_eq!(cert.not_after, "2028-10-26 14:04:38 UTC");
        assert_eq!(cert.serial, "76:3c:08:6b");
        assert_eq!(cert.signature_algorithm, "sha256WithRSAEncryption");
        assert_eq!(cert.public_key, "RSA 4096");
        assert_eq!(
            cert.to_string(),
            "TLS certificate: CN=DC1.lab.example, issuer CN=DC1.lab.example, \
             valid until 2028-10-26 14:04:38 UTC"
        );
        assert!(
            cert.covers("dc1.lab.example"),
            "CN is used when there is no SAN"
        );
        assert!(!cert.covers("10.201.0.2"));
    }

    #[test]
    fn samba_ca_is_self_signed() {
        let cert = parse_certificate(SAMBA_CA).unwrap();
        assert!(cert.self_signed && cert.is_ca);
        assert!(
            cert.to_string()
                .contains(", self-signed, valid until 2028-10-26")
        );
    }

    #[test]
    fn apps_lab_certificate_with_alternative_names() {
        let cert = parse_certificate(APPS).unwrap();
        assert_eq!(cert.subject, "O=portolan lab, CN=apps.lab.example");
        assert!(cert.self_signed && cert.is_ca);
        assert_eq!(cert.dns_names, ["apps.lab.example"]);
        assert_eq!(cert.ip_addresses, [IpAddr::from([10, 201, 2, 2])]);
        assert_eq!(cert.not_before, "2026-11-26 14:05:11 UTC");
        assert_eq!(cert.not_after, "2036-11-23 14:05:11 UTC");
        assert_eq!(cert.public_key, "RSA 2048");
        assert!(cert.is_valid_at(cert.not_before_unix));
        assert!(!cert.is_valid_at(cert.not_after_unix + 1));
        assert!(cert.covers("APPS.lab.example."));
        assert!(cert.covers("10.201.2.2"));
        assert!(!cert.covers("other.lab.example"));
        assert_eq!(
            cert.to_string(),
            "TLS certificate: CN=apps.lab.example, self-signed, valid until 2036-11-23 14:05:11 UTC"
        );
    }

    #[test]
    fn wildcard_matching() {
        let mut cert = parse_certificate(APPS).unwrap();
        cert.dns_names = vec!["*.lab.example".to_owned()];
        assert!(cert.covers("dc1.lab.example"));
        assert!(!cert.covers("lab.example"));
        assert!(!cert.covers("a.dc1.lab.example"));
    }

    #[test]
    fn truncated_trailing_and_foreign_input() {
        for cut in [0, 1, 4, 100, APPS.len() - 1] {
            assert!(parse_certificate(&APPS[..cut]).is_err(), "cut at {cut}");
        }
        let mut trailing = APPS.to_vec();
        trailing.push(0);
        assert_eq!(
            parse_certificate(&trailing),
            Err(Error::malformed(WHAT, "bytes follow the certificate"))
        );
        assert!(parse_certificate(b"-----BEGIN CERTIFICATE-----").is_err());
        assert!(matches!(
            parse_certificate(&vec![0x30; MAX_CERTIFICATE + 1]),
            Err(Error::TooLarge { .. })
        ));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(cert) = parse_certificate(&bytes) {
                let _ = cert.to_string();
            }
        }

        #[test]
        fn mutated_certificates_never_panic(at in 0usize..876, value in any::<u8>()) {
            let mut bytes = APPS.to_vec();
            bytes[at] = value;
            if let Ok(cert) = parse_certificate(&bytes) {
                let shown = cert.to_string();
                prop_assert!(shown.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            }
        }
    }
}
