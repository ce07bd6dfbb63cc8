//! Text for XML documents (JUnit here, nmap's XML in portolan-scan): one escaping rule.

use quick_xml::escape::escape as xml_escape;

/// Escapes text for an attribute or element. XML 1.0 cannot hold most control characters,
/// even escaped, so they become U+FFFD (a host name or a server's banner could carry one).
pub fn escape(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    xml_escape(&clean).into_owned()
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_control_characters_are_made_safe() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{fffd}"
        );
        assert_eq!(escape("tab\tand\nline"), "tab\tand\nline");
    }
}
