//! Canonical BagIt (RFC 8493) tag files. Writing and verifying use the same
//! renderers, so verify can demand byte-exact files.

/// Content of `bagit.txt`.
pub(crate) const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/// Renders a manifest: one `<hex>  <path>` line per entry, sorted by path.
/// Two spaces, as `sha256sum` writes, so `sha256sum -c` accepts the file.
pub(crate) fn render_manifest(entries: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (path, hex) in sorted {
        out.push_str(hex);
        out.push_str("  ");
        out.push_str(&encode_path(path));
        out.push('\n');
    }
    out
}

/// Percent-encodes CR, LF and `%` in a manifest path (RFC 8493 §2.1.3).
pub(crate) fn encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Parses a manifest strictly; returns `(path, hex)` pairs or the 1-based
/// number of the first malformed line.
pub(crate) fn parse_manifest(text: &str, hex_len: usize) -> Result<Vec<(String, String)>, usize> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some((hex, path)) = line.split_once(char::is_whitespace) else {
            return Err(i + 1);
        };
        let path = path.trim_start();
        if hex.len() != hex_len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) || path.is_empty() {
            return Err(i + 1);
        }
        let path = path
            .replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%");
        out.push((path, hex.to_ascii_lowercase()));
    }
    Ok(out)
}

/// `bag-info.txt` labels and values, in order.
pub(crate) fn render_bag_info(fields: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (label, value) in fields {
        out.push_str(label);
        out.push_str(": ");
        out.push_str(&crate::text::one_line(value));
        out.push('\n');
    }
    out
}

/// Parses `bag-info.txt` into label/value pairs (continuation lines joined).
pub(crate) fn parse_bag_info(text: &str) -> Result<Vec<(String, String)>, usize> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with([' ', '\t']) {
            match out.last_mut() {
                Some((_, v)) => {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                None => return Err(i + 1),
            }
            continue;
        }
        match line.split_once(':') {
            Some((l, v)) if !l.trim().is_empty() => {
                out.push((l.trim().to_string(), v.trim().to_string()))
            }
            _ => return Err(i + 1),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trip() {
        let entries = vec![
            ("data/b.txt".to_string(), "ab".repeat(32)),
            ("data/a%.txt".to_string(), "cd".repeat(32)),
        ];
        let text = render_manifest(&entries);
        assert!(text.starts_with(&"cd".repeat(32)));
        assert!(text.contains("data/a%25.txt"));
        let mut parsed = parse_manifest(&text, 64).unwrap();
        parsed.sort();
        let mut want = entries.clone();
        want.sort();
        assert_eq!(parsed, want);
        assert_eq!(parse_manifest("zz  data/x\n", 64), Err(1));
    }
}
